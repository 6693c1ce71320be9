/**
 * The composition root of cleanup: every handler, one per record kind, registered by one function that the
 * action's main and post steps and the CLI all call (so the CLI's cleanup after a failure or Ctrl-C undoes the
 * same things the post step does). Each adapter is imported only when a record of its kind is left (the post
 * bundle stays small, and a clean run loads none of them).
 */
import { rm } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import { registerCleanupHandler } from './cleanup.js';

export function registerCleanupHandlers(config: Config | undefined): void {
  registerCleanupHandler('file', async (record) => {
    await rm(record.path, { force: true, recursive: true });
  });
  // 'pytorchjob' → `arena delete`, 'serving' → `arena serve delete`, each confirmed (and finished) through the
  // Kubernetes API (src/stages/teardown.ts), with ctx.env's KUBECONFIG and the PATH the setup stage exported.
  registerCleanupHandler('pytorchjob', async (record, ctx) =>
    (await import('../stages/teardown.js')).clusterCleanupHandlers(config).pytorchjob(record, ctx)
  );
  registerCleanupHandler('serving', async (record, ctx) =>
    (await import('../stages/teardown.js')).clusterCleanupHandlers(config).serving(record, ctx)
  );
  registerCleanupHandler('multipart-upload', async (record) => {
    if (!config) throw new Error('no valid OSS configuration to abort the upload with');
    const { abortUploads } = await import('../oss/cleanup.js');
    const { failed } = await abortUploads(config.oss, [record]);
    if (failed.length > 0) throw new Error(failed[0].error);
  });
}
