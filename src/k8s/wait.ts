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
  return new Promise<T>((resolve, reject) => new Wait(opts, resolve, reject).start());
}

/** Where one source's list-then-watch stands. */
interface SourceState {
  /** The resourceVersion to watch from; undefined: list (again) first. */
  rv?: string;
  /** Consecutive failed watches. */
  failures: number;
  /** Consecutive watches that ended at once without an event. */
  quickCloses: number;
}

/** One wait in progress: a store per source, kept by list-then-watch, checked after every change. */
class Wait<K extends string, T> {
  private readonly timers: Timers;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly maxFailures: number;
  private readonly keys: K[];
  private readonly objects: Map<K, Map<string, KObj>>;
  private readonly listed = new Set<K>();
  /** Ends every source's loop and stream once the wait is settled. */
  private readonly inner = new AbortController();
  private readonly handles = new Set<WatchHandle>();
  private settled = false;
  private timer: unknown;

  constructor(
    private readonly opts: WaitOptions<K, T>,
    private readonly resolve: (value: T) => void,
    private readonly reject: (reason: unknown) => void
  ) {
    this.timers = opts.timers ?? realTimers;
    // reconnects wait on the injected timers when given (the scenario clock in tests), never for real there
    this.sleep = opts.sleep ?? (opts.timers ? sleepOn(opts.timers) : abortableSleep);
    this.random = opts.random ?? Math.random;
    this.maxFailures = opts.maxFailures ?? 8;
    this.keys = Object.keys(opts.sources) as K[];
    this.objects = new Map(this.keys.map((k) => [k, new Map()]));
  }

  start(): void {
    this.timer = this.timers.setTimeout(() => {
      const err = this.opts.onTimeout
        ? this.opts.onTimeout(this.snapshot())
        : new WaitTimeoutError(`still waiting after ${Math.round(this.opts.timeoutMs / 1000)} s`);
      this.finish(() => this.reject(err));
    }, this.opts.timeoutMs);
    if (this.opts.signal?.aborted) return this.onAbort();
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    for (const key of this.keys) {
      this.runSource(key).catch((err) => {
        if (!this.inner.signal.aborted)
          this.finish(() => this.reject(apiGaveUp(err, String(key), this.opts.sources[key])));
      });
    }
  }

  private readonly onAbort = () => this.finish(() => this.reject(this.opts.signal?.reason ?? new Error('aborted')));

  private snapshot(): Snapshot<K> {
    return Object.fromEntries(this.keys.map((k) => [k, [...this.objects.get(k)!.values()]])) as unknown as Snapshot<K>;
  }

  private finish(settle: () => void): void {
    if (this.settled) return;
    this.settled = true;
    this.timers.clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.inner.abort();
    for (const h of this.handles) h.abort();
    settle();
  }

  /** Asks `check` once every source has listed. */
  private evaluate(): void {
    if (this.settled || this.listed.size < this.keys.length) return;
    let verdict: Verdict<T>;
    try {
      verdict = this.opts.check(this.snapshot());
    } catch (err) {
      verdict = { fail: err as Error };
    }
    if (verdict && 'done' in verdict) this.finish(() => this.resolve(verdict.done));
    else if (verdict) this.finish(() => this.reject(verdict.fail));
  }

  /** List, then watch from there, until the wait is settled; throws when the API keeps failing. */
  private async runSource(key: K): Promise<void> {
    const state: SourceState = { failures: 0, quickCloses: 0 };
    while (!this.inner.signal.aborted) {
      if (state.rv === undefined) state.rv = await this.list(key);
      const { ended, events } = await this.watchOnce(key, state);
      if (this.inner.signal.aborted) return;
      await this.afterWatch(key, state, ended, events);
    }
  }

  /** Fills the source's store from a list (retried while transient); returns its resourceVersion. */
  private async list(key: K): Promise<string> {
    const src = this.opts.sources[key];
    const list = await retry(() => this.opts.api.list(src.type, src.namespace, src.selector), {
      attempts: this.maxFailures,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      retryable: isTransient,
      signal: this.inner.signal,
      sleep: this.sleep,
      random: this.random,
      onRetry: (err) => this.opts.onReconnect?.(key, `list failed (${(err as Error).message}), retrying`)
    });
    const store = this.objects.get(key)!;
    store.clear();
    for (const o of list.items) store.set(o.metadata.name, o);
    this.listed.add(key);
    this.evaluate();
    return list.resourceVersion;
  }

  /** One watch stream from `state.rv`: applies its events; resolves how it ended ('closed', 'gone' or an error). */
  private watchOnce(key: K, state: SourceState): Promise<{ ended: unknown; events: number }> {
    const src = this.opts.sources[key];
    const store = this.objects.get(key)!;
    let events = 0;
    return new Promise((done) => {
      let handle: WatchHandle | undefined;
      let stopped = false;
      const stop = (why: unknown) => {
        stopped = true;
        handle?.abort();
        if (handle) this.handles.delete(handle);
        this.inner.signal.removeEventListener('abort', onInnerAbort);
        done({ ended: why, events });
      };
      const onInnerAbort = () => stop('closed');
      this.inner.signal.addEventListener('abort', onInnerAbort, { once: true });
      this.opts.api
        .watch(
          src.type,
          src.namespace,
          { ...src.selector, resourceVersion: state.rv! },
          (type, obj) => {
            if (this.settled) return;
            if (type === 'ERROR') return stop(watchErrorStatus(obj));
            events++;
            if (obj.metadata?.resourceVersion) state.rv = obj.metadata.resourceVersion;
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') store.delete(obj.metadata.name);
            else store.set(obj.metadata.name, obj);
            this.opts.onChange?.(key, type, obj);
            this.evaluate();
          },
          (err) => stop(err === undefined || err === null ? 'closed' : err)
        )
        .then(
          (h) => {
            handle = h;
            // the stream may have ended (or been told to) before its handle arrived
            if (stopped || this.inner.signal.aborted) h.abort();
            else this.handles.add(h);
          },
          (err) => stop(err)
        );
    });
  }

  /** After a stream ended: re-list on 410, reconnect (backing off when it keeps ending at once), or give up. */
  private async afterWatch(key: K, state: SourceState, ended: unknown, events: number): Promise<void> {
    if (ended === 'gone' || isGone(ended)) {
      this.opts.onReconnect?.(key, 'resourceVersion too old (410), re-listing');
      state.rv = undefined;
      return;
    }
    if (ended === 'closed') {
      // Servers end idle watches; only an empty stream that ends at once again and again is slowed down.
      state.quickCloses = events > 0 ? 0 : state.quickCloses + 1;
      state.failures = 0;
      this.opts.onReconnect?.(key, 'watch closed, reconnecting');
      if (state.quickCloses > 0) await this.backOff(state.quickCloses);
      return;
    }
    if (!isTransient(ended)) throw ended;
    state.failures++;
    if (state.failures >= this.maxFailures) throw ended;
    this.opts.onReconnect?.(key, `watch failed (${(ended as Error).message}), reconnecting`);
    await this.backOff(state.failures);
  }

  private backOff(attempt: number): Promise<void> {
    return this.sleep(backoffDelay(attempt, 100, 5000, this.random), this.inner.signal).catch(() => undefined);
  }
}

/** A watch's ERROR event: 'gone' for 410 (re-list), else the API error it carries. */
function watchErrorStatus(obj: KObj): unknown {
  const st = obj as unknown as { code?: number; reason?: string; message?: string };
  return st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone'
    ? 'gone'
    : new KubeApiError(st.code ?? 500, st.reason ?? 'Unknown', st.message ?? 'watch error');
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
