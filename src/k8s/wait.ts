/**
 * The one wait primitive: keep a live snapshot of some objects (list, then watch from the list's
 * resourceVersion; re-list on 410 Gone; reconnect when the stream drops) and settle as soon as `check` says the
 * wait is over — done with a value, or failed with a diagnosis — or at the timeout, or when aborted.
 * Every stage that waits for the cluster (PVC bound, job finished, rollout available) goes through here.
 */
import { backoffDelay, retry, abortableSleep, sleepOn } from '../util/retry.js';
import { PipelineError } from '../errors.js';
import {
  KubeApiError,
  isGone,
  isTransient,
  type KObj,
  type KubeApi,
  type ResourceType,
  type Selector,
  type WatchHandle
} from './types.js';

export interface WaitSource {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly selector?: Selector;
}

/** `undefined`: keep waiting. */
export type Verdict<T> = { readonly done: T } | { readonly fail: Error } | undefined;

export type Snapshot<K extends string> = Readonly<Record<K, readonly KObj[]>>;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WaitOptions<K extends string, T> {
  readonly api: KubeApi;
  readonly sources: Readonly<Record<K, WaitSource>>;
  /** Called with the whole snapshot after the first lists and after every change. */
  readonly check: (snap: Snapshot<K>) => Verdict<T>;
  readonly timeoutMs: number;
  /** The error to reject with at the timeout (default: WaitTimeoutError). */
  readonly onTimeout?: (snap: Snapshot<K>) => Error;
  readonly signal?: AbortSignal;
  /** Every applied change, e.g. to report a restart. */
  readonly onChange?: (source: K, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObj) => void;
  /** Reconnects, re-lists and retries, for the log. */
  readonly onReconnect?: (source: K, why: string) => void;
  readonly timers?: Timers;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Consecutive failed watch or list attempts before giving up (default 8). */
  readonly maxFailures?: number;
}

export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
};

export function waitFor<K extends string, T>(opts: WaitOptions<K, T>): Promise<T> {
  const timers = opts.timers ?? realTimers;
  // reconnects wait on the injected timers when given (the scenario clock in tests), never for real there
  const sleep = opts.sleep ?? (opts.timers ? sleepOn(opts.timers) : abortableSleep);
  const random = opts.random ?? Math.random;
  const maxFailures = opts.maxFailures ?? 8;
  const keys = Object.keys(opts.sources) as K[];
  const objects = new Map<K, Map<string, KObj>>(keys.map((k) => [k, new Map()]));
  const listed = new Set<K>();
  const inner = new AbortController();
  const handles = new Set<WatchHandle>();

  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const snapshot = (): Snapshot<K> =>
      Object.fromEntries(keys.map((k) => [k, [...objects.get(k)!.values()]])) as unknown as Snapshot<K>;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      inner.abort();
      for (const h of handles) h.abort();
      fn();
    };
    const evaluate = () => {
      if (settled || listed.size < keys.length) return;
      let verdict: Verdict<T>;
      try {
        verdict = opts.check(snapshot());
      } catch (err) {
        verdict = { fail: err as Error };
      }
      if (verdict && 'done' in verdict) finish(() => resolve(verdict.done));
      else if (verdict) finish(() => reject(verdict.fail));
    };
    const onAbort = () => finish(() => reject(opts.signal?.reason ?? new Error('aborted')));
    const timer = timers.setTimeout(() => {
      const err = opts.onTimeout
        ? opts.onTimeout(snapshot())
        : new WaitTimeoutError(`still waiting after ${Math.round(opts.timeoutMs / 1000)} s`);
      finish(() => reject(err));
    }, opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const runSource = async (key: K) => {
      const src = opts.sources[key];
      const store = objects.get(key)!;
      let rv: string | undefined;
      let failures = 0;
      let quickCloses = 0;
      while (!inner.signal.aborted) {
        if (rv === undefined) {
          const list = await retry(() => opts.api.list(src.type, src.namespace, src.selector), {
            attempts: maxFailures,
            baseDelayMs: 200,
            maxDelayMs: 5000,
            retryable: isTransient,
            signal: inner.signal,
            sleep,
            random,
            onRetry: (err) => opts.onReconnect?.(key, `list failed (${(err as Error).message}), retrying`)
          });
          store.clear();
          for (const o of list.items) store.set(o.metadata.name, o);
          rv = list.resourceVersion;
          listed.add(key);
          evaluate();
        }
        let events = 0;
        const ended = await new Promise<'closed' | 'gone' | unknown>((done) => {
          let handle: WatchHandle | undefined;
          let stopped = false;
          const stop = (why: unknown) => {
            stopped = true;
            handle?.abort();
            if (handle) handles.delete(handle);
            inner.signal.removeEventListener('abort', onInnerAbort);
            done(why);
          };
          const onInnerAbort = () => stop('closed');
          inner.signal.addEventListener('abort', onInnerAbort, { once: true });
          opts.api
            .watch(
              src.type,
              src.namespace,
              { ...src.selector, resourceVersion: rv! },
              (type, obj) => {
                if (settled) return;
                if (type === 'ERROR') {
                  const st = obj as unknown as { code?: number; reason?: string; message?: string };
                  return stop(
                    st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone'
                      ? 'gone'
                      : new KubeApiError(st.code ?? 500, st.reason ?? 'Unknown', st.message ?? 'watch error')
                  );
                }
                events++;
                if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
                if (type === 'BOOKMARK') return;
                if (type === 'DELETED') store.delete(obj.metadata.name);
                else store.set(obj.metadata.name, obj);
                opts.onChange?.(key, type, obj);
                evaluate();
              },
              (err) => stop(err === undefined || err === null ? 'closed' : err)
            )
            .then(
              (h) => {
                handle = h;
                // the stream may have ended (or been told to) before its handle arrived
                if (stopped || inner.signal.aborted) h.abort();
                else handles.add(h);
              },
              (err) => stop(err)
            );
        });
        if (inner.signal.aborted) return;
        if (ended === 'gone' || isGone(ended)) {
          opts.onReconnect?.(key, 'resourceVersion too old (410), re-listing');
          rv = undefined;
          continue;
        }
        if (ended === 'closed') {
          // Servers end idle watches; only an empty stream that ends at once again and again is slowed down.
          quickCloses = events > 0 ? 0 : quickCloses + 1;
          failures = 0;
          opts.onReconnect?.(key, 'watch closed, reconnecting');
          if (quickCloses > 0)
            await sleep(backoffDelay(quickCloses, 100, 5000, random), inner.signal).catch(() => undefined);
          continue;
        }
        if (!isTransient(ended)) throw ended;
        failures++;
        if (failures >= maxFailures) throw ended;
        opts.onReconnect?.(key, `watch failed (${(ended as Error).message}), reconnecting`);
        await sleep(backoffDelay(failures, 100, 5000, random), inner.signal).catch(() => undefined);
      }
    };
    for (const key of keys) {
      runSource(key).catch((err) => {
        if (!inner.signal.aborted) finish(() => reject(apiGaveUp(err, String(key), opts.sources[key])));
      });
    }
  });
}

/**
 * After the retries, a failing API server is the user's problem to look at, not a bug of ours: say which
 * watch failed and what the server answered.
 */
function apiGaveUp(err: unknown, key: string, src: { type: { plural: string }; namespace?: string }): unknown {
  if (err instanceof PipelineError || !(err instanceof KubeApiError || isTransient(err))) return err;
  const where = `${src.type.plural}${src.namespace ? ` in namespace ${src.namespace}` : ''}`;
  const what =
    err instanceof KubeApiError ? `HTTP ${err.status} ${err.reason}: ${err.message}` : (err as Error).message;
  return new PipelineError(
    'K8S_API_FAILED',
    `the Kubernetes API kept failing while watching ${where} (${key}): ${what}`,
    'Check that the cluster’s API server is healthy and reachable from the runner, then run again: finished work is skipped and a running job is attached to.',
    { cause: err }
  );
}
