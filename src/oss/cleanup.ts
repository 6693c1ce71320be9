/**
 * Undo for 'multipart-upload' cleanup records: abort the uploads a cancelled or failed run left unfinished, so no
 * orphan parts stay billed. Used by the sync stage on failure and by the post step after a cancelled job.
 */
import type { Config } from '../config/types.js';
import type { CleanupRecord } from '../pipeline/types.js';
import { describeError } from '../errors.js';
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
