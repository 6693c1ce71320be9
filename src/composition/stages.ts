/**
 * The stage registry. A stage is a file in src/stages/ exporting a `Stage`; registering it here is all the
 * runner needs (it runs the selected ones in STAGE_NAMES order).
 *
 * Each stage module is loaded when the stage first runs or plans, not at start-up: the adapters behind them
 * (ali-oss, @kubernetes/client-node, the tokenizer) are most of the bundle, and a run of `stages: setup` or a
 * failed input check should not pay for them (ncc splits each into its own chunk).
 */
import type { StageName } from '../config/types.js';
import type { Stage } from '../pipeline/types.js';

export function registerStage(registry: Map<StageName, Stage>, stage: Stage): void {
  if (registry.has(stage.name)) throw new Error(`stage ${stage.name} registered twice`);
  registry.set(stage.name, stage);
}

/** A stage whose module is imported on first use. */
export function lazyStage(name: StageName, load: () => Promise<Stage>): Stage {
  let loaded: Promise<Stage> | undefined;
  const get = () => (loaded ??= load());
  return {
    name,
    run: async (ctx) => (await get()).run(ctx),
    plan: async (ctx) => (await get()).plan(ctx)
  };
}

export function defaultStages(): Map<StageName, Stage> {
  const registry = new Map<StageName, Stage>();
  for (const stage of [
    lazyStage('setup', async () => (await import('./setup.js')).setupStage),
    lazyStage('sync', async () => (await import('./sync.js')).syncStage),
    lazyStage('storage', async () => (await import('./storage.js')).storageStage),
    lazyStage('convert', async () => (await import('./convert.js')).convertStage),
    lazyStage('deploy', async () => (await import('./deploy.js')).deployStage),
    lazyStage('smoke', async () => (await import('./smoke.js')).smokeStage)
  ]) {
    registerStage(registry, stage);
  }
  return registry;
}
