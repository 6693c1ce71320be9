import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import {
  KubeApiError,
  POD,
  PVC,
  PYTORCHJOB,
  type KObj,
  type KubeApi,
  type LogRequest,
  type ResourceType,
  type WatchEventType
} from '../../src/k8s/types.js';
import { waitFor, WaitTimeoutError, type Timers } from '../../src/k8s/wait.js';
import { followLog, LineDeduper, splitTimestamp } from '../../src/k8s/logs.js';
import { masterPodName, watchJob } from '../../src/k8s/job.js';

/** An in-memory API with watch history, 410 after compaction, dropped streams and injected list errors. */
class FakeKube implements KubeApi {
  rv = 1;
  objects = new Map<string, KObj>();
  history: { rv: number; type: WatchEventType; obj: KObj; kind: string }[] = [];
  compactedBelow = 0;
  watchers = new Set<{ kind: string; fn: (t: WatchEventType, o: KObj) => void; done: (e?: unknown) => void }>();
  listErrors = 0;
  lists = 0;
  watches = 0;
  logs: { text: string; at: string }[] = [];
  logCalls: LogRequest[] = [];

  put(type: ResourceType, obj: KObj): KObj {
    const key = `${type.kind}/${obj.metadata.name}`;
    const o = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    const ev: WatchEventType = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, o);
    this.history.push({ rv: this.rv, type: ev, obj: o, kind: type.kind });
    for (const w of this.watchers) if (w.kind === type.kind) w.fn(ev, o);
    return o;
  }
  compact(): void {
    this.compactedBelow = this.rv + 1;
  }
  drop(): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.done(undefined);
    }
  }
  async get(type: ResourceType, _ns: string | undefined, name: string) {
    return this.objects.get(`${type.kind}/${name}`);
  }
  async list(type: ResourceType) {
    this.lists++;
    if (this.listErrors > 0) {
      this.listErrors--;
      throw new KubeApiError(500, 'InternalError', 'boom');
    }
    return {
      items: [...this.objects.entries()].filter(([k]) => k.startsWith(`${type.kind}/`)).map(([, o]) => o),
      resourceVersion: String(this.rv)
    };
  }
  async watch(
    type: ResourceType,
    _ns: string | undefined,
    opts: { resourceVersion: string },
    onEvent: (t: WatchEventType, o: KObj) => void,
    onDone: (e?: unknown) => void
  ) {
    this.watches++;
    const from = Number(opts.resourceVersion);
    const w = { kind: type.kind, fn: onEvent, done: onDone };
    queueMicrotask(() => {
      if (from < this.compactedBelow - 1) {
        onEvent('ERROR', {
          metadata: { name: '' },
          kind: 'Status',
          code: 410,
          reason: 'Expired',
          message: 'too old'
        } as unknown as KObj);
        return;
      }
      for (const h of this.history) if (h.rv > from && h.kind === type.kind) onEvent(h.type, h.obj);
      this.watchers.add(w);
    });
    return { abort: () => this.watchers.delete(w) };
  }
  async apply(obj: KObj) {
    return obj;
  }
  async delete() {
    return true;
  }
  async log(_ns: string, _pod: string, _c: string, req: LogRequest, out: Writable) {
    this.logCalls.push(req);
    const since = req.sinceTime;
    for (const l of this.logs) if (!since || l.at >= since) out.write(`${req.timestamps ? `${l.at} ` : ''}${l.text}\n`);
    return { abort: () => undefined, done: Promise.resolve() };
  }
}

const pvc = (phase: string): KObj => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c' },
  status: { phase }
});
const noSleep = async () => undefined;
const bound = (snap: { c: readonly KObj[] }) =>
  snap.c[0]?.status?.phase === 'Bound'
    ? { done: snap.c[0] }
    : snap.c[0]?.status?.phase === 'Lost'
      ? { fail: new Error('lost') }
      : undefined;

function manualTimers(): Timers & { fire(): void } {
  const pending = new Map<number, () => void>();
  let id = 0;
  return {
    setTimeout: (fn) => (pending.set(++id, fn), id),
    clearTimeout: (h) => void pending.delete(h as number),
    fire: () => [...pending.values()].forEach((f) => f())
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('waitFor', () => {
  it('resolves from the first list when the predicate already holds', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Bound'));
    const got = await waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 1000, sleep: noSleep });
    expect(got?.status.phase).toBe('Bound');
    expect(api.lists).toBe(1);
  });

  it('sees a change through the watch started at the list’s resourceVersion', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const p = waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 1000, sleep: noSleep });
    await tick();
    api.put(PVC, pvc('Bound'));
    await expect(p).resolves.toMatchObject({ status: { phase: 'Bound' } });
    expect(api.lists).toBe(1);
  });

  it('rejects with the failure predicate’s error', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const p = waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 1000, sleep: noSleep });
    await tick();
    api.put(PVC, pvc('Lost'));
    await expect(p).rejects.toThrow('lost');
  });

  it('reconnects from the last resourceVersion when the stream drops, missing nothing', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const reconnects: string[] = [];
    const p = waitFor({
      api,
      sources: { c: { type: PVC } },
      check: bound,
      timeoutMs: 1000,
      sleep: noSleep,
      onReconnect: (_s, why) => reconnects.push(why)
    });
    await tick();
    api.drop();
    api.put(PVC, pvc('Bound')); // happens while no watch is open
    await expect(p).resolves.toMatchObject({ status: { phase: 'Bound' } });
    expect(api.lists).toBe(1);
    expect(api.watches).toBeGreaterThanOrEqual(2);
    expect(reconnects.join()).toMatch(/closed/);
  });

  it('re-lists after 410 Gone', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const p = waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 1000, sleep: noSleep });
    await tick();
    api.drop();
    api.put(PVC, pvc('Bound'));
    api.compact();
    await expect(p).resolves.toMatchObject({ status: { phase: 'Bound' } });
    expect(api.lists).toBe(2);
  });

  it('retries a list that fails with 500', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Bound'));
    api.listErrors = 2;
    await expect(
      waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 1000, sleep: noSleep })
    ).resolves.toBeDefined();
    expect(api.lists).toBe(3);
  });

  it('times out with the caller’s error (injected timers)', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const timers = manualTimers();
    const p = waitFor({
      api,
      sources: { c: { type: PVC } },
      check: bound,
      timeoutMs: 5000,
      timers,
      sleep: noSleep,
      onTimeout: (s) => new Error(`still ${s.c[0].status.phase}`)
    });
    await tick();
    timers.fire();
    await expect(p).rejects.toThrow('still Pending');
    const q = waitFor({ api, sources: { c: { type: PVC } }, check: bound, timeoutMs: 5000, timers, sleep: noSleep });
    await tick();
    timers.fire();
    await expect(q).rejects.toBeInstanceOf(WaitTimeoutError);
  });

  it('stops on abort and closes its watches', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Pending'));
    const ctl = new AbortController();
    const p = waitFor({
      api,
      sources: { c: { type: PVC } },
      check: bound,
      timeoutMs: 1000,
      signal: ctl.signal,
      sleep: noSleep
    });
    await tick();
    ctl.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    await tick();
    expect(api.watchers.size).toBe(0);
  });

  it('waits for every source’s first list and combines them', async () => {
    const api = new FakeKube();
    api.put(PVC, pvc('Bound'));
    const p = waitFor({
      api,
      sources: { c: { type: PVC }, pods: { type: POD } },
      check: (s) => (s.pods.length > 0 && s.c.length > 0 ? { done: s.pods.length } : undefined),
      timeoutMs: 1000,
      sleep: noSleep
    });
    await tick();
    api.put(POD, { metadata: { name: 'p' } });
    await expect(p).resolves.toBe(1);
  });
});

describe('log follower', () => {
  it('splits timestamps', () => {
    expect(splitTimestamp('2026-11-25T15:00:00.123456789Z hello world')).toEqual({
      ts: '2026-11-25T15:00:00.123456789Z',
      key: '2026-11-25T15:00:00.123456789',
      text: 'hello world'
    });
    expect(splitTimestamp('no stamp')).toEqual({ text: 'no stamp' });
  });

  it('dedupes lines across reconnects by time and by count at the same instant', () => {
    const d = new LineDeduper();
    d.nextRequest();
    const a = [
      '2026-01-01T00:00:01.000000000Z a',
      '2026-01-01T00:00:02.000000000Z b',
      '2026-01-01T00:00:02.000000000Z c'
    ];
    expect(a.map((l) => d.accept(l))).toEqual(['a', 'b', 'c']);
    expect(d.nextRequest()).toEqual({ sinceTime: '2026-01-01T00:00:02.000000000Z' });
    // the server resends from the second (both lines of that instant), then a new one
    const b = [
      '2026-01-01T00:00:01.500000000Z a2',
      '2026-01-01T00:00:02.000000000Z b',
      '2026-01-01T00:00:02.000000000Z c',
      '2026-01-01T00:00:03.000000000Z d'
    ];
    expect(b.map((l) => d.accept(l))).toEqual([undefined, undefined, undefined, 'd']);
  });

  it('without timestamps, skips the already-seen count', () => {
    const d = new LineDeduper();
    d.nextRequest();
    expect(['x', 'y'].map((l) => d.accept(l))).toEqual(['x', 'y']);
    expect(d.nextRequest()).toEqual({});
    expect(['x', 'y', 'z'].map((l) => d.accept(l))).toEqual([undefined, undefined, 'z']);
  });

  it('follows, reconnects after the stream ends, prints each line once and keeps the tail', async () => {
    const api = new FakeKube();
    api.logs = [
      { at: '2026-01-01T00:00:01.000000000Z', text: 'one' },
      { at: '2026-01-01T00:00:02.000000000Z', text: 'two' }
    ];
    const seen: string[] = [];
    let rounds = 0;
    const f = followLog(api, 'ns', 'p', 'c', {
      onLine: (l) => seen.push(l),
      keep: 2,
      sleep: noSleep,
      finished: async () => {
        rounds++;
        if (rounds === 1) api.logs.push({ at: '2026-01-01T00:00:03.000000000Z', text: 'three' });
        return rounds >= 2;
      }
    });
    await f.done;
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(f.tail()).toEqual(['two', 'three']);
    expect(api.logCalls[1]).toMatchObject({
      follow: true,
      timestamps: true,
      sinceTime: '2026-01-01T00:00:02.000000000Z'
    });
  });
});

describe('job watch', () => {
  it("waits for the converter's last log lines on the injected timers, never for real", async () => {
    const api = new FakeKube();
    let ended: (() => void) | undefined;
    // a follow stream that stays open until it is aborted (the container's last lines may still come)
    api.log = async (_ns, _pod, _c, req, out) => {
      api.logCalls.push(req);
      out.write('2026-01-01T00:00:01.000000000Z converting\n');
      return { abort: () => void ended?.(), done: new Promise<void>((r) => (ended = r)) };
    };
    const job = (phase: string): KObj => ({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'j' },
      status: { conditions: [{ type: phase, status: 'True' }] }
    });
    api.put(PYTORCHJOB, job('Running'));
    api.put(POD, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: masterPodName('j') },
      status: { phase: 'Running' }
    });
    const delays: number[] = [];
    const timers = manualTimers();
    const recording: Timers = {
      setTimeout: (fn, ms) => (delays.push(ms), timers.setTimeout(fn, ms)),
      clearTimeout: (h) => timers.clearTimeout(h)
    };
    const lines: string[] = [];
    const watched = watchJob({
      api,
      namespace: 'ns',
      name: 'j',
      timeoutMs: 3_600_000,
      timers: recording,
      onLogLine: (l) => lines.push(l)
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(lines).toEqual(['converting']);
    api.put(PYTORCHJOB, job('Succeeded'));
    for (let i = 0; i < 5; i++) await tick();
    // the grace for the last lines is one of the injected timers (besides the wait's own timeout)
    expect(delays.filter((ms) => ms !== 3_600_000)).toHaveLength(1);
    timers.fire();
    const res = await watched;
    expect(res.logTail).toEqual(['converting']);
  });
});
