/**
 * The sandbox's network model: token buckets per connection and per side, RTT per request, one endpoint per client
 * side. Time is injected: the shaping is checked as bytes per tick of a fake clock, never as wall-clock durations.
 */
import type { Socket } from 'node:net';
import { downloadFile } from '@huggingface/hub';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startHub, type HubHandle } from '../../sandbox/hub/index.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { checkNetworkConfig, NetworkModel, TokenBucket, type NetClock } from '../../sandbox/network.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aliOss } from './oss-client.js';

/** A discrete-event clock: sleeps wait on virtual time, which `runUntil` advances timer by timer. */
class FakeClock implements NetClock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  readonly slept: number[] = [];
  now = () => this.t;
  sleep = (ms: number) => {
    this.slept.push(ms);
    return new Promise<void>((resolve) => this.timers.push({ at: this.t + ms, resolve }));
  };
  /** Lets every flow run, then jumps to the earliest timer, until virtual time `limit`. */
  async runUntil(limit: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > limit) {
        this.t = limit;
        return;
      }
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
  }
}

/** A clock whose sleeps pass at once but advance virtual time: totals how long the shaping made requests wait. */
class SkippingClock implements NetClock {
  t = 0;
  now = () => this.t;
  sleep = (ms: number) => {
    this.t += ms;
    return Promise.resolve();
  };
}

const fakeSocket = () => ({}) as Socket;
const KiB = 1024;

describe('TokenBucket (fake clock)', () => {
  it('grants the burst at once, then one chunk per rate-tick', () => {
    let t = 0;
    const b = new TokenBucket(1000, 100, () => t); // 1000 B/s, 100 B burst
    expect(b.take(100)).toBe(0);
    expect(b.take(100)).toBe(100); // 100 B of debt: 100 ms
    t = 100;
    expect(b.take(50)).toBe(50); // the debt was paid; 50 B more is 50 ms
    t = 10_000;
    expect(b.take(100)).toBe(0); // refilled, but only up to the burst
    expect(b.take(1)).toBe(1);
  });
});

describe('NetworkModel (fake clock)', () => {
  /** `flows` connections each writing 16 KiB chunks as fast as the shaper lets them, for `ms` of virtual time. */
  async function flows(model: NetworkModel, clock: FakeClock, n: number, ms: number, dir: 'down' | 'up' = 'down') {
    const bytes = new Array<number>(n).fill(0);
    let running = true;
    const loops = bytes.map(async (_b, i) => {
      const shaper = model.shaper('oss', 'cluster', fakeSocket());
      while (running) {
        await shaper[dir](16 * KiB);
        bytes[i] += 16 * KiB;
      }
    });
    await clock.runUntil(ms);
    running = false;
    await clock.runUntil(ms + 10_000);
    await Promise.all(loops);
    return bytes;
  }

  it('caps each connection at its rate when the aggregate has room', async () => {
    const clock = new FakeClock();
    const model = new NetworkModel(clock);
    const c = 1024 * KiB;
    model.configure({ oss: { cluster: { perConnectionBytesPerSec: c, aggregateBytesPerSec: 8 * c } } });
    const [one] = await flows(model, clock, 1, 10_000);
    const rate = one / 10;
    expect(rate).toBeGreaterThan(0.95 * c);
    expect(rate).toBeLessThan(1.05 * c);
  });

  it('shares the aggregate: 4 connections capped at c each with aggregate 2c move 2c in total, evenly', async () => {
    const clock = new FakeClock();
    const model = new NetworkModel(clock);
    const c = 1024 * KiB;
    model.configure({ oss: { cluster: { perConnectionBytesPerSec: c, aggregateBytesPerSec: 2 * c } } });
    const bytes = await flows(model, clock, 4, 10_000);
    const total = bytes.reduce((a, b) => a + b, 0) / 10;
    expect(total).toBeGreaterThan(0.95 * 2 * c);
    expect(total).toBeLessThan(1.05 * 2 * c);
    for (const b of bytes) expect(b / 10).toBeGreaterThan(0.4 * c);
  });

  it('shapes request bodies (up) apart from response bodies (down), as a full-duplex link', async () => {
    const clock = new FakeClock();
    const model = new NetworkModel(clock);
    const c = 512 * KiB;
    model.configure({ oss: { cluster: { aggregateBytesPerSec: c } } });
    const [down, up] = await Promise.all([flows(model, clock, 1, 4000, 'down'), flows(model, clock, 1, 4000, 'up')]);
    for (const b of [down[0], up[0]]) {
      expect(b / 4).toBeGreaterThan(0.95 * c);
      expect(b / 4).toBeLessThan(1.05 * c);
    }
  });

  it('waits one RTT per request, two on a new connection, and leaves unconfigured sides and services alone', async () => {
    const clock = new SkippingClock();
    const model = new NetworkModel(clock);
    model.configure({ hub: { runner: { rttMs: 150 } } });
    const socket = fakeSocket();
    await model.shaper('hub', 'runner', socket).rtt();
    await model.shaper('hub', 'runner', socket).rtt();
    expect(clock.t).toBe(3 * 150);
    await model.shaper('hub', 'cluster', fakeSocket()).rtt();
    await model.shaper('oss', 'runner', fakeSocket()).down(1e9);
    expect(clock.t).toBe(3 * 150);
  });

  it('turns shaping off with an empty configuration', async () => {
    const clock = new SkippingClock();
    const model = new NetworkModel(clock);
    model.configure({ oss: { runner: { perConnectionBytesPerSec: 1000 } } });
    model.configure({});
    await model.shaper('oss', 'runner', fakeSocket()).down(1e6);
    expect(clock.t).toBe(0);
    expect(model.current()).toEqual({});
  });

  it.each([
    [[], /must be an object of services/],
    [{ s3: {} }, /network\.s3: unknown service; use one of hub, oss/],
    [{ oss: { laptop: {} } }, /network\.oss\.laptop: unknown side; use one of runner, cluster/],
    [{ oss: { runner: { bandwidth: 1 } } }, /network\.oss\.runner\.bandwidth: unknown field/],
    [{ oss: { runner: { perConnectionBytesPerSec: 0 } } }, /perConnectionBytesPerSec must be a positive number, not 0/],
    [{ hub: { cluster: { rttMs: -1 } } }, /network\.hub\.cluster\.rttMs must be a non-negative number, not -1/],
    [{ hub: { cluster: { aggregateBytesPerSec: '1MB' } } }, /must be a positive number, not "1MB"/]
  ])('rejects %j, naming the field', (config, message) => {
    expect(() => checkNetworkConfig(config)).toThrow(message);
  });
});

describe('the services shape by the side a request arrives on (real clients, injected clock)', () => {
  let root: string;
  let oss: OssHandle;
  let hub: HubHandle;
  const clock = new SkippingClock();
  const model = new NetworkModel(clock);

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'net-test-'));
    const faults = new FaultRegistry();
    oss = await startOss({ faults, root, network: model });
    hub = await startHub({ faults, network: model });
    hub.declareRepo({ id: 'org/net', files: [{ path: 'model.safetensors', size: 2 * 1024 * KiB, seed: 'net' }] });
  });
  afterAll(async () => {
    await Promise.all([oss.stop(), hub.stop()]);
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock.t = 0;
    model.configure({});
  });

  it('an upload and a download through the internal endpoint take bytes/rate; the runner endpoint is not shaped', async () => {
    const rate = 256 * KiB;
    model.configure({ oss: { cluster: { perConnectionBytesPerSec: rate } } });
    const body = Buffer.alloc(1024 * KiB, 7);
    const internal = aliOss({ ...oss, endpoint: oss.internalEndpoint });
    await internal.put('net/a.bin', body);
    const afterUp = clock.t;
    // 1 MiB at 256 KiB/s is 4 s, less the bucket's burst
    expect(afterUp).toBeGreaterThan(3500);
    expect(afterUp).toBeLessThan(4100);
    const got = await internal.get('net/a.bin');
    expect(Buffer.compare(got.content, body)).toBe(0);
    expect(clock.t - afterUp).toBeGreaterThan(3500);
    expect(clock.t - afterUp).toBeLessThan(4100);
    const before = clock.t;
    const runner = aliOss(oss);
    await runner.put('net/b.bin', body);
    expect(Buffer.compare((await runner.get('net/b.bin')).content, body)).toBe(0);
    expect(clock.t).toBe(before);
  });

  it('the hub cluster endpoint redirects to the CDN cluster endpoint, whose bytes the hub profile shapes', async () => {
    const rate = 512 * KiB;
    model.configure({ hub: { cluster: { aggregateBytesPerSec: rate, rttMs: 40 } } });
    const blob = await downloadFile({ repo: 'org/net', path: 'model.safetensors', hubUrl: hub.clusterEndpoint });
    expect((await blob!.arrayBuffer()).byteLength).toBe(2 * 1024 * KiB);
    // 2 MiB at 512 KiB/s is 4 s; two requests (resolve, CDN GET) on new connections add 2 × 2 RTT
    expect(clock.t).toBeGreaterThan(3500 + 160);
    expect(clock.t).toBeLessThan(4100 + 160);
    const before = clock.t;
    const runnerBlob = await downloadFile({ repo: 'org/net', path: 'model.safetensors', hubUrl: hub.endpoint });
    expect((await runnerBlob!.arrayBuffer()).byteLength).toBe(2 * 1024 * KiB);
    expect(clock.t).toBe(before);
  });
});

describe('startSandbox: cluster endpoints in the JSON line, POST /network', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ pieces: ['hub', 'oss'], seedDemo: false });
  });
  afterAll(() => sb.stop());

  it('prints the cluster side under a new key, keeping the runner keys as they were', () => {
    expect(Object.keys(sb.info.hub).sort()).toEqual(['endpoint', 'token']);
    expect(sb.info.cluster).toEqual({
      hub: { endpoint: sb.hub!.clusterEndpoint },
      oss: { endpoint: sb.oss!.internalEndpoint }
    });
    expect(sb.info.cluster!.oss!.endpoint).not.toBe(sb.info.oss.endpoint);
  });

  it('sets, shows and resets the model, and refuses a bad profile with the field named', async () => {
    const admin = sb.info.admin.endpoint;
    const config = { oss: { cluster: { perConnectionBytesPerSec: 1e6, aggregateBytesPerSec: 4e6, rttMs: 2 } } };
    const set = await fetch(`${admin}/network`, { method: 'POST', body: JSON.stringify(config) });
    expect(set.status).toBe(200);
    expect(await (await fetch(`${admin}/network`)).json()).toEqual(config);
    const bad = await fetch(`${admin}/network`, { method: 'POST', body: JSON.stringify({ oss: { pod: {} } }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'network.oss.pod: unknown side; use one of runner, cluster' });
    expect(sb.network.current()).toEqual(config);
    await fetch(`${admin}/reset`, { method: 'POST' });
    expect(await (await fetch(`${admin}/network`)).json()).toEqual({});
  });
});

describe('real time, as the bench sees it (loose ratios only, never a duration)', () => {
  let root: string;
  let oss: OssHandle;
  const model = new NetworkModel();

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'net-real-'));
    oss = await startOss({ faults: new FaultRegistry(), root, network: model });
    await aliOss(oss).put('real/a.bin', Buffer.alloc(512 * KiB, 1));
  });
  afterAll(async () => {
    await oss.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('4 connections capped at c with aggregate 2c move 4x the bytes in about 2x the time of one', async () => {
    const c = 1024 * KiB;
    model.configure({ oss: { cluster: { perConnectionBytesPerSec: c, aggregateBytesPerSec: 2 * c } } });
    const internal = () => aliOss({ ...oss, endpoint: oss.internalEndpoint });
    const timed = async (n: number) => {
      const clients = Array.from({ length: n }, internal);
      const t0 = performance.now();
      const got = await Promise.all(clients.map((cl) => cl.get('real/a.bin')));
      const ms = performance.now() - t0;
      for (const g of got) expect(g.content.length).toBe(512 * KiB);
      return ms;
    };
    const one = await timed(1);
    const four = await timed(4);
    // 2 MiB at 2c against 0.5 MiB at c: a ratio of 2; no aggregate cap would give 1, no per-connection cap 4
    expect(four / one).toBeGreaterThan(1.4);
    expect(four / one).toBeLessThan(3);
  });
});
