/** ali-oss (the real client) pointed at a sandbox OSS server, and the error it throws, for the OSS fidelity tests. */
import OSS from 'ali-oss';
import type { OssHandle } from '../../sandbox/oss/index.js';

// ali-oss's typings lack several calls the tests use (listV2 options, multipart internals).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Client = any;

export function aliOss(oss: OssHandle, extra: Record<string, unknown> = {}): Client {
  return new OSS({
    endpoint: oss.endpoint,
    bucket: oss.bucket,
    region: oss.region,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret,
    ...extra
  } as OSS.Options);
}

/** The error a call rejects with (fails the test when it resolves). */
export async function failure(
  p: Promise<unknown>
): Promise<{ name: string; code: string; status: number; requestId?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected the call to fail');
}
