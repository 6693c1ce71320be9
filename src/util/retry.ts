/**
 * The one retry helper: exponential backoff with full jitter, an optional server-given delay
 * (e.g. Retry-After), and an abort signal. Time is injectable so tests never sleep for real.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in total, the first included. */
  readonly attempts: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Return false to stop retrying (the error is rethrown at once). */
  readonly retryable?: (err: unknown) => boolean;
  /** A delay the server asked for (ms), e.g. parsed from Retry-After; overrides the backoff when larger. */
  readonly delayHintMs?: (err: unknown) => number | undefined;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/** A real sleep that ends early, rejecting with the signal's reason, when the signal aborts. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    // node's AbortError carries the reason as its cause; callers tell a cancel from a timeout by the reason
    throw signal?.aborted ? (signal.reason ?? err) : err;
  }
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? abortableSleep;
  const random = opts.random ?? Math.random;
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (attempt >= opts.attempts || (opts.retryable && !opts.retryable(err))) throw err;
      const hinted = opts.delayHintMs?.(err);
      const delay = Math.max(backoffDelay(attempt, base, max, random), hinted ?? 0);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/**
 * An abortable sleep on injected timers (e.g. the stages' `Timers`, which tests run at the scenario clock's
 * speed): retries and reconnects then wait on the same clock as the timeouts, never for real in tests.
 */
export function sleepOn(timers: {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}): (ms: number, signal?: AbortSignal) => Promise<void> {
  return (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const onAbort = () => {
        timers.clearTimeout(handle);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const handle = timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}
