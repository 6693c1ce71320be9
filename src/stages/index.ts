/**
 * The stage registry. A stage is a file in src/stages/ exporting a `Stage`; registering it here is all the
 * runner needs (it runs the selected ones in STAGE_NAMES order).
 */
import type { StageName } from '../config/types.js';
import type { Stage } from '../pipeline/types.js';
import { setupStage } from './setup.js';
import { syncStage } from './sync.js';
import { storageStage } from './storage.js';
import { convertStage } from './convert.js';
import { deployStage } from './deploy.js';
import { smokeStage } from './smoke.js';

export function registerStage(registry: Map<StageName, Stage>, stage: Stage): void {
  if (registry.has(stage.name)) throw new Error(`stage ${stage.name} registered twice`);
  registry.set(stage.name, stage);
}

export function defaultStages(): Map<StageName, Stage> {
  const registry = new Map<StageName, Stage>();
  for (const stage of [setupStage, syncStage, storageStage, convertStage, deployStage, smokeStage]) {
    registerStage(registry, stage);
  }
  return registry;
}
