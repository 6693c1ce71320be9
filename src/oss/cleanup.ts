/**
 * Undo for 'multipart-upload' cleanup records: abort the uploads a cancelled or failed run left unfinished, so no
 * orphan parts stay billed. The composition root (src/composition/cleanup.ts) hands it the store of the run's
 * OSS settings, for the post step and the CLI alike.
 */
import { describeError } from '../errors.js';

/** What a 'multipart-upload' cleanup record holds. */
export interface UploadRecord {
  readonly kind: 'multipart-upload';
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
}

export const isUploadRecord = <R extends { readonly kind: string }>(r: R): r is R & UploadRecord =>
  r.kind === 'multipart-upload';

/** The one call aborting needs (src/oss/client.ts's OssStore has it). */
export interface UploadAborter {
  readonly bucket: string;
  abort(key: string, uploadId: string): Promise<void>;
}

/**
 * Aborts each recorded upload of the store's bucket (one already gone counts as aborted). Returns what could not
 * be aborted, with why; never throws, so one failure does not keep the others.
 */
export async function abortUploads<R extends { readonly kind: string }>(
  store: UploadAborter,
  records: readonly R[]
): Promise<{ aborted: UploadRecord[]; failed: { record: UploadRecord; error: string }[] }> {
  const aborted: UploadRecord[] = [];
  const failed: { record: UploadRecord; error: string }[] = [];
  for (const r of records.filter(isUploadRecord)) {
    if (r.bucket !== store.bucket) {
      failed.push({ record: r, error: `bucket ${r.bucket} is not the configured bucket ${store.bucket}` });
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
