/**
 * Downloads a file while hashing it (sha256), with the one retry helper: network errors, resets mid-body, 5xx and
 * 429 are retried; 404 and other 4xx are not. A custom mirror is not allowed to redirect.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { retry, type RetryOptions } from '../util/retry.js';

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string
  ) {
    super(`HTTP ${status} from ${url}`);
    this.name = 'HttpStatusError';
  }
}

export interface DownloadOptions {
  /** false: a redirect is an error (custom mirrors). */
  readonly followRedirects: boolean;
  readonly signal?: AbortSignal;
  /** Attempts in total (default 4). */
  readonly attempts?: number;
  /** Injected in tests so retries never sleep for real. */
  readonly sleep?: RetryOptions['sleep'];
  readonly onRetry?: (err: unknown, attempt: number) => void;
  /** Per-attempt time limit in ms (default 10 minutes). */
  readonly timeoutMs?: number;
}

export const isRetryable = (e: unknown): boolean =>
  !(e instanceof HttpStatusError) || e.status >= 500 || e.status === 429 || e.status === 408;

async function get(url: string, opts: DownloadOptions): Promise<Response> {
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 600_000), ...(opts.signal ? [opts.signal] : [])];
  const res = await fetch(url, {
    redirect: opts.followRedirects ? 'follow' : 'manual',
    signal: AbortSignal.any(signals)
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, url);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new HttpStatusError(res.status, url);
  }
  return res;
}

function retryOptions(opts: DownloadOptions): RetryOptions {
  return {
    attempts: opts.attempts ?? 4,
    baseDelayMs: 1000,
    maxDelayMs: 10_000,
    retryable: isRetryable,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    onRetry: (err, attempt) => opts.onRetry?.(err, attempt)
  };
}

/** Streams `url` into a new file under `dir`; returns its path and sha256 (hex). */
export async function downloadFile(
  url: string,
  dir: string,
  opts: DownloadOptions
): Promise<{ file: string; sha256: string; bytes: number }> {
  const file = path.join(dir, randomUUID());
  return retry(async () => {
    const res = await get(url, opts);
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      }
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as unknown as WebReadableStream),
        tap,
        createWriteStream(file, { mode: 0o755 })
      );
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
    return { file, sha256: hash.digest('hex'), bytes };
  }, retryOptions(opts));
}

/** A small text file (a `.sha256`), or undefined on 404. */
export async function downloadText(url: string, opts: DownloadOptions): Promise<string | undefined> {
  try {
    return await retry(async () => (await get(url, opts)).text(), retryOptions(opts));
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) return undefined;
    throw e;
  }
}
