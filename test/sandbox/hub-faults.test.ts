/**
 * Injected faults on the hub and the CDN as clients see them (plain fetch and @huggingface/hub), and a 4 GiB
 * generated file read at its end without being materialised.
 */
import { createCipheriv, createHash } from 'node:crypto';
import http from 'node:http';
import { downloadFile, listFiles } from '@huggingface/hub';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startHub, type HubHandle } from '../../sandbox/hub/index.js';

function generated(seed: string, start: number, end: number): Buffer {
  const key = createHash('sha256').update(`hub-sandbox:${seed}`).digest();
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(start / 16)), 8);
  return createCipheriv('aes-256-ctr', key, iv)
    .update(Buffer.alloc(end - start + (start % 16)))
    .subarray(start % 16);
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const SIZE = 2 * 1024 * 1024;
const GIB4 = 4 * 1024 ** 3;
/** sha256 of the 4 GiB file of seed 'big-4g' (hashed once offline: the spec may give it, saving 5 s a run). */
const GIB4_SHA256 = 'b7bed34bd5427303186500bdde8f4cc6ee9df5feae6dab1baa6e47cbfe7ff5ff';

describe('sandbox hub faults', () => {
  let hub: HubHandle;
  let faults: FaultRegistry;
  const auth = () => ({ authorization: `Bearer ${hub.token}` });
  const resolve = (path: string, init: RequestInit = {}) =>
    fetch(`${hub.endpoint}/org/model/resolve/main/${path}`, { ...init, headers: { ...auth(), ...init.headers } });

  beforeAll(async () => {
    faults = new FaultRegistry();
    hub = await startHub({ faults });
    hub.declareRepo({
      id: 'org/model',
      files: [
        { path: 'config.json', content: '{"n_layer":2}' },
        { path: 'model.bin', size: SIZE, seed: 'faults' },
        { path: 'huge.safetensors', size: GIB4, seed: 'big-4g', sha256: GIB4_SHA256 }
      ]
    });
  });
  afterAll(() => hub.stop());
  beforeEach(() => faults.reset());

  it('rate-limits with 429, Retry-After and RateLimit headers, then serves normally', async () => {
    faults.add({
      service: 'hub',
      method: 'GET',
      path: '/config\\.json',
      action: { kind: 'status', status: 429, retryAfterSeconds: 3 }
    });
    const limited = await resolve('config.json');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('ratelimit')).toBe('"api";r=0;t=3');
    expect(limited.headers.get('ratelimit-policy')).toBeTruthy();
    expect(((await limited.json()) as { error: string }).error).toMatch(/quotas/);
    expect((await resolve('config.json')).status).toBe(200);
  });

  it('answers 5xx with a JSON error on the hub and XML on the CDN, as many times as asked', async () => {
    faults.add({ service: 'hub', path: '/tree/', times: 2, action: { kind: 'status', status: 502 } });
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${hub.endpoint}/api/models/org/model/tree/main`);
      expect(r.status).toBe(502);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      expect(await r.json()).toEqual({ error: 'Bad Gateway' });
    }
    expect((await fetch(`${hub.endpoint}/api/models/org/model/tree/main`)).status).toBe(200);

    faults.add({
      service: 'cdn',
      action: { kind: 'status', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }
    });
    const cdn = await resolve('model.bin');
    expect(cdn.status).toBe(503);
    expect(await cdn.text()).toMatch(/<Code>SlowDown<\/Code><Message>Please reduce your request rate.<\/Message>/);
  });

  it('resets the connection after N body bytes: fetch and @huggingface/hub see a terminated body, not a short file', async () => {
    faults.add({ service: 'cdn', method: 'GET', action: { kind: 'reset', afterBytes: 1000 } });
    const r = await resolve('model.bin');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe(String(SIZE));
    await expect(r.arrayBuffer()).rejects.toThrow('terminated');

    const blob = (await downloadFile({ repo: 'org/model', path: 'model.bin', hubUrl: hub.endpoint }))!;
    faults.add({ service: 'cdn', method: 'GET', action: { kind: 'reset', afterBytes: 0 } });
    await expect(blob.arrayBuffer()).rejects.toThrow('terminated');

    faults.add({ service: 'hub', path: '/config\\.json', action: { kind: 'reset', afterBytes: 5 } });
    const received = await new Promise<number>((done) => {
      http.get(`${hub.endpoint}/org/model/resolve/main/config.json`, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('aborted', () => done(n));
        res.on('end', () => done(-1));
      });
    });
    expect(received).toBe(5);
    faults.add({ service: 'hub', path: '/config\\.json', action: { kind: 'reset', afterBytes: 5 } });
    await expect((await resolve('config.json')).text()).rejects.toThrow('terminated');
    expect(await (await resolve('config.json')).text()).toBe('{"n_layer":2}');
  });

  it('corrupts a byte in transit: the length is right and the sha256 is not', async () => {
    const head = await resolve('model.bin', { method: 'HEAD', redirect: 'manual' });
    const want = JSON.parse(head.headers.get('x-linked-etag')!);
    faults.add({ service: 'cdn', method: 'GET', action: { kind: 'corrupt', atByte: SIZE - 1 } });
    const bad = Buffer.from(await (await resolve('model.bin')).arrayBuffer());
    expect(bad.length).toBe(SIZE);
    expect(sha256(bad)).not.toBe(want);
    const good = Buffer.from(await (await resolve('model.bin')).arrayBuffer());
    expect(sha256(good)).toBe(want);
    expect(bad.compare(good, 0, SIZE - 1, 0, SIZE - 1)).toBe(0);

    const blob = (await downloadFile({ repo: 'org/model', path: 'model.bin', hubUrl: hub.endpoint }))!;
    faults.add({ service: 'cdn', method: 'GET', action: { kind: 'corrupt', atByte: 0 } });
    expect(sha256(Buffer.from(await blob.arrayBuffer()))).not.toBe(want);
  });

  it('delays a response and then serves it', async () => {
    faults.add({ service: 'hub', method: 'GET', path: '/tree/', action: { kind: 'delay', ms: 20 } });
    const files = [];
    for await (const f of listFiles({ repo: 'org/model', hubUrl: hub.endpoint, accessToken: hub.token }))
      files.push(f.path);
    expect(files).toEqual(['config.json', 'huge.safetensors', 'model.bin']);
    expect(faults.pending()).toEqual([]);
  });

  it('hashes a big generated file once, off the event loop, when the spec gives no sha256', async () => {
    const size = 17 * 1024 * 1024 + 3;
    hub.declareRepo({ id: 'org/lazy', files: [{ path: 'shard.safetensors', size, seed: 'lazy' }] });
    const url = `${hub.endpoint}/api/models/org/lazy/tree/main`;
    const list = () => fetch(url).then(async (r) => (await r.json()) as { lfs?: object }[]);
    const [a, b] = await Promise.all([list(), list()]);
    expect(a).toEqual(b);
    expect(a[0].lfs).toEqual({ oid: sha256(generated('lazy', 0, size)), size, pointerSize: expect.any(Number) });
  });

  it('reads the last bytes of a 4 GiB generated file through the redirect without materialising it', async () => {
    const rss = process.memoryUsage().rss;
    const r = await resolve('huge.safetensors', { headers: { range: `bytes=${GIB4 - 4096}-` } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${GIB4 - 4096}-${GIB4 - 1}/${GIB4}`);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(generated('big-4g', GIB4 - 4096, GIB4));
    const head = await resolve('huge.safetensors', { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(GIB4));
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
  });
});
