/**
 * Undo for 'multipart-upload' cleanup records: abort the uploads a cancelled or failed run left unfinished, so no
 * orphan parts stay billed. Used by the sync stage on failure and by the post step after a cancelled job.
 */
import type { Config } from '../config/types.js';
import type { CleanupRecord } from '../pipeline/types.js';
import { describeError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { registerCleanupHandler } from '../pipeline/cleanup.js';
import { OssStore } from './client.js';

type UploadRecord = Extract<CleanupRecord, { kind: 'multipart-upload' }>;

export const isUploadRecord = (r: CleanupRecord): r is UploadRecord => r.kind === 'multipart-upload';

/**
 * Aborts each recorded upload (one already gone counts as aborted). Returns what could not be aborted, with why;
 * never throws, so one failure does not keep the others.
 */
export async function abortUploads(
  cfg: Config['oss'],
  records: readonly CleanupRecord[],
  opts: { store?: OssStore; attempts?: number } = {}
): Promise<{ aborted: UploadRecord[]; failed: { record: UploadRecord; error: string }[] }> {
  const store = opts.store ?? OssStore.fromConfig(cfg, { attempts: opts.attempts ?? 3 });
  const aborted: UploadRecord[] = [];
  const failed: { record: UploadRecord; error: string }[] = [];
  for (const r of records.filter(isUploadRecord)) {
    if (r.bucket !== cfg.bucket) {
      failed.push({ record: r, error: `bucket ${r.bucket} is not the configured bucket ${cfg.bucket}` });
      continue;
    }
    try {
      await store.abort(r.key, r.uploadId);
      aborted.push(r);
    } catch (err) {
      failed.push({ record: r, error: describeError(err) });
    }
  }
  return { aborted, failed };
}

/** The OSS settings of the action's own inputs (`INPUT_*` variables, as in the main step). */
export function ossConfigFromInputs(env: NodeJS.ProcessEnv): Config['oss'] {
  const getInput = (name: string) => env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  return loadConfig({ getInput, env, workspace: env.GITHUB_WORKSPACE }).oss;
}

/**
 * Registers the post step's handler for 'multipart-upload' records: abort the upload a cancelled run left.
 * `ossConfig` gives the OSS settings in the post step (default: the action inputs).
 */
export function registerUploadCleanup(
  ossConfig: (env: NodeJS.ProcessEnv) => Config['oss'] = ossConfigFromInputs
): void {
  registerCleanupHandler('multipart-upload', async (record, ctx) => {
    const { failed } = await abortUploads(ossConfig(ctx.env), [record]);
    if (failed.length > 0) throw new Error(failed[0].error);
  });
}
