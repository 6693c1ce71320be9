/**
 * The stage registry: each stage built with its dependencies (src/composition/cluster.ts for the cluster stages).
 * The runner runs the selected ones in STAGE_NAMES order.
 *
 * Each stage module, and the adapters behind it, is loaded when the stage first runs or plans, not at start-up:
 * the adapters (ali-oss, @kubernetes/client-node, the tokenizer) are most of the bundle, and a run of
 * `stages: setup` or a failed input check should not pay for them (ncc splits each into its own chunk).
 */
import * as core from '@actions/core';
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

/** The setup stage's PATH and exported variables go to the runner (outside one, @actions/core only prints them). */
const actionsHost = {
  addPath: (dir: string) => core.addPath(dir),
  exportVariable: (name: string, value: string) => core.exportVariable(name, value)
};

/** The cluster stages' dependencies, loaded with the first of them. */
const clusterDeps = async () => (await import('./cluster.js')).defaultDeps;

/** The stage with its GPU-hours recorded (src/stages/gpu-usage.ts, loaded with the stage). */
async function gpuMetered(stage: Stage): Promise<Stage> {
  return (await import('../stages/gpu-usage.js')).withGpuUsage(stage, await clusterDeps());
}

export function defaultStages(): Map<StageName, Stage> {
  const registry = new Map<StageName, Stage>();
  for (const stage of [
    lazyStage('setup', async () => (await import('../stages/setup.js')).createSetupStage({ host: actionsHost })),
    lazyStage('sync', async () => {
      const [{ createModalSyncStage }, { syncClients, syncKube }] = await Promise.all([
        import('../stages/sync-cluster.js'),
        import('./sync.js')
      ]);
      return createModalSyncStage({ clients: syncClients, kube: syncKube });
    }),
    lazyStage('storage', async () => (await import('../stages/storage.js')).makeStorageStage(await clusterDeps())),
    lazyStage('convert', async () =>
      gpuMetered((await import('../stages/convert.js')).makeConvertStage(await clusterDeps()))
    ),
    lazyStage('deploy', async () =>
      gpuMetered((await import('../stages/deploy.js')).makeDeployStage(await clusterDeps()))
    ),
    lazyStage('smoke', async () =>
      gpuMetered((await import('../stages/smoke.js')).makeSmokeStage(await clusterDeps()))
    ),
    lazyStage('canary', async () =>
      gpuMetered(
        (await import('../stages/canary.js')).makeCanaryStage(
          await clusterDeps(),
          (await import('./cluster.js')).canaryMesh
        )
      )
    ),
    lazyStage('gc', async () => (await import('../stages/gc.js')).makeGcStage(await clusterDeps()))
  ]) {
    registerStage(registry, stage);
  }
  return registry;
}
