/**
 * The composition root: the one place that builds every adapter from the config, hands each stage its
 * dependencies and builds the cleanup handlers. The action's main and post steps and the CLI use only this
 * module (plus config and report), so the three run the same pipeline and undo the same things
 * (the layers: README "Architecture"; the rules: .dependency-cruiser.cjs).
 */
import type { Config } from '../config/types.js';
import { runCleanup, type CleanupOutcome } from '../pipeline/cleanup.js';
import { runPipeline, type RunOptions, type RunReport } from '../pipeline/runner.js';
import type { CleanupRecord, Logger } from '../pipeline/types.js';
import { cleanupHandlers } from './cleanup.js';
import { defaultStages } from './stages.js';

export { MemoryCleanupRegistry, POST_CLEANUP_BUDGET_MS } from '../pipeline/cleanup.js';
export { loadPostState, savePostState, type PostState, type StateStore } from '../pipeline/state.js';
export { removeKubeconfig } from '../kubeconfig/write.js';
export { runModelsPlan } from '../model-versions/action.js';
export type { RunReport } from '../pipeline/runner.js';

/** The pipeline with every stage wired to the real outside world. */
export function runStages(opts: Omit<RunOptions, 'stages'>): Promise<RunReport> {
  return runPipeline({ ...opts, stages: defaultStages() });
}

/**
 * `arena-ft-pipeline sync-shard`: what a cluster-mode sync pod runs (src/stages/sync-shard-pod.ts), with the real
 * hub and OSS clients. Resolves with the exit code.
 */
export async function runSyncShard(o: {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  signal: AbortSignal;
}): Promise<number> {
  const [{ runShard }, { syncClients }] = await Promise.all([
    import('../stages/sync-shard-pod.js'),
    import('./sync.js')
  ]);
  return runShard({ ...o, deps: { clients: syncClients } });
}

/**
 * Undoes what a run left unfinished (newest first), with the handlers built from `config`; `config` undefined:
 * the inputs no longer validate, so only what needs no configuration is undone.
 */
export function cleanUp(
  records: readonly CleanupRecord[],
  config: Config | undefined,
  ctx: { log: Logger; env: NodeJS.ProcessEnv; signal: AbortSignal }
): Promise<CleanupOutcome[]> {
  return runCleanup(records, cleanupHandlers(config), ctx);
}
