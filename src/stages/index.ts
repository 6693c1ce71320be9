/**
 * The stage registry. A stage is a file in src/stages/ exporting a `Stage`; registering it here is all the
 * runner needs (it runs the selected ones in STAGE_NAMES order).
 */
import type { StageName } from '../config/types.js';
import type { Stage } from '../pipeline/types.js';
import { setupStage } from './setup.js';

export function registerStage(registry: Map<StageName, Stage>, stage: Stage): void {
  if (registry.has(stage.name)) throw new Error(`stage ${stage.name} registered twice`);
  registry.set(stage.name, stage);
}

export function defaultStages(): Map<StageName, Stage> {
  const registry = new Map<StageName, Stage>();
  registerStage(registry, setupStage);
  // The lead wires: sync, storage, convert, deploy, smoke.
  return registry;
}
