/**
 * The sync stage against the sandbox hub + CDN and OSS (issue 5, point 7). No test sleeps: retries use an
 * injected sleep that records the delays.
 */
import crcReference from 'crc64-ecma182.js';
import { generate, generatorKey } from '../../sandbox/hub/content.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startHub } from '../../sandbox/hub/index.js';
import { startOss } from '../../sandbox/oss/index.js';
import { createSyncStage } from '../../src/stages/sync.js';
import { syncClients } from '../../src/composition/sync.js';
import { PipelineError } from '../../src/errors.js';
import { testConfig, testContext } from '../helpers/config.js';

type Hub = Awaited<ReturnType<typeof startHub>>;
type Oss = Awaited<ReturnType<typeof startOss>>;

const MiB = 1024 * 1024;
let faults: FaultRegistry;
let hub: Hub;
let oss: Oss;
let dir: string;
let slept: number[];
const sleep = async (ms: number) => void slept.push(ms);
const stage = () => createSyncStage({ clients: syncClients, sleep, stallMs: 5000 });

beforeEach(async () => {
  slept = [];
  faults = new FaultRegistry();
  dir = await mkdtemp(path.join(tmpdir(), 'sync-it-'));
  hub = await startHub({ faults, pageSize: 2 });
  oss = await startOss({ faults, root: dir });
});
afterEach(async () => {
  await hub.stop();
  await oss.stop();
  await rm(dir, { recursive: true, force: true });
});

function cfg(over: Parameters<typeof testConfig>[0] = {}) {
  return testConfig({
    ...over,
    model: { repo: 'org/tiny', revision: 'main', name: 'tiny', version: 'v1', ...over.model },
    hf: { endpoint: hub.endpoint, token: hub.token, include: [], exclude: [], ...over.hf },
    oss: {
      endpoint: oss.endpoint,
      bucket: oss.bucket,
      region: oss.region,
      accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret,
      prefix: 'llm',
      ...over.oss
    },
    sync: { partSizeBytes: MiB, partsInFlight: 3, filesInParallel: 2, retries: 4, ...over.sync }
  });
}

const ossWrites = () =>
  faults.recorded('oss').filter((r) => r.method === 'PUT' || (r.method === 'POST' && /\?uploads/.test(r.url)));
const partPuts = (file: string) =>
  faults
    .recorded('oss')
    .filter((r) => r.method === 'PUT' && r.url.includes(file) && /partNumber=/.test(r.url))
    .map((r) => Number(/partNumber=(\d+)/.exec(r.url)![1]));

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(err).toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

const TINY = [
  { path: 'config.json', content: '{"model_type":"bloom"}' },
  { path: 'tokenizer.json', content: '{"v":1}' },
  { path: 'pytorch_model.bin', size: 5 * MiB, seed: 'w' },
  { path: 'README.md', content: '# tiny' },
  { path: 'flax_model.msgpack', size: 1000, seed: 'f' }
];

test('streams the selected files under hf/<commit>/ with metadata, manifest last; a re-run skips after HEADs', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  const c = cfg();
  const { ctx, log, cleanup } = testContext(c);
  const out = await stage().run(ctx);
  const commit = hub.commitOf('org/tiny', 'main');
  const prefix = `llm/tiny/hf/${commit}/`;
  expect(out.status).toBe('done');
  expect(out.outputs).toEqual({ 'hf-commit': commit, 'oss-hf-uri': `oss://models/${prefix}` });
  expect(ctx.state.commit).toBe(commit);
  expect(out.details).toMatchObject({ files: 3, 'files synced': 3, bytes: 5 * MiB + 22 + 7 });
  expect(oss.listKeys('llm/')).toEqual(
    ['.sync-manifest.json', 'config.json', 'pytorch_model.bin', 'tokenizer.json'].map((k) => prefix + k)
  );
  const w = oss.headObject(prefix + 'pytorch_model.bin')!;
  expect(w.size).toBe(5 * MiB);
  expect(w.meta).toMatchObject({ 'hf-commit': commit, size: String(5 * MiB) });
  expect(w.meta.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(oss.headObject(prefix + 'config.json')!.meta.sha256).toMatch(/^[0-9a-f]{64}$/);
  // The manifest is the last write.
  const puts = faults.recorded('oss').filter((r) => r.method === 'PUT' || r.method === 'POST');
  expect(puts[puts.length - 1].url).toContain('.sync-manifest.json');
  // Progress lines a person can follow; the token never reaches the CDN.
  expect(log.lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^start pytorch_model.bin \(5.0 MiB\)/),
      expect.stringMatching(/^done pytorch_model.bin \(5.0 MiB\) in /)
    ])
  );
  expect(faults.recorded('cdn').length).toBeGreaterThan(0);
  expect(faults.recorded('cdn').every((r) => r.headers.authorization === undefined)).toBe(true);
  expect(faults.recorded('hub').every((r) => r.headers.authorization === `Bearer ${hub.token}`)).toBe(true);
  expect(cleanup.records).toEqual([]);
  expect(oss.listUploads()).toEqual([]);

  faults.reset();
  const again = testContext(c);
  const second = await stage().run(again.ctx);
  expect(second.status).toBe('skipped');
  expect(second.outputs).toEqual(out.outputs);
  expect(ossWrites()).toEqual([]);
  expect(faults.recorded('cdn')).toEqual([]);
  expect(faults.recorded('oss').filter((r) => r.method === 'HEAD')).toHaveLength(3);
});

test('a moved branch with 1 of 3 files changed: only that file is downloaded and sent', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  const c = cfg();
  await stage().run(testContext(c).ctx);
  hub.moveBranch('org/tiny', 'main', {
    files: [{ path: 'config.json', content: '{"model_type":"bloom","n_layer":2}' }]
  });
  const commit = hub.commitOf('org/tiny', 'main');
  faults.reset();
  const { ctx } = testContext(c);
  const out = await stage().run(ctx);
  expect(out.outputs!['hf-commit']).toBe(commit);
  expect(out.details).toMatchObject({ 'files synced': 1 });
  const sent = ossWrites().filter((r) => !r.url.includes('.sync-manifest.json') && !r.headers['x-oss-copy-source']);
  expect(sent.map((r) => decodeURIComponent(r.url.split('?')[0]))).toEqual([`/llm/tiny/hf/${commit}/config.json`]);
  expect(faults.recorded('cdn')).toEqual([]);
  expect(oss.listKeys(`llm/tiny/hf/${commit}/`)).toHaveLength(4);
  expect(oss.headObject(`llm/tiny/hf/${commit}/pytorch_model.bin`)!.meta['hf-commit']).toBe(commit);
});

test('a reset in the middle of a part goes on from the byte it reached with a ranged GET: no part is sent twice', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 5 * MiB, seed: 'r' }] });
  // the first GET is part 1's (parts take their GETs in order)
  faults.add({ service: 'cdn', method: 'GET', action: { kind: 'reset', afterBytes: 0.5 * MiB } });
  const { ctx, log } = testContext(cfg());
  const out = await stage().run(ctx);
  expect(out.status).toBe('done');
  expect(partPuts('model.safetensors').sort()).toEqual([1, 2, 3, 4, 5]);
  const ranges = faults
    .recorded('cdn')
    .filter((r) => r.method === 'GET')
    .map((r) => r.headers.range);
  // one ranged GET per part (the last one open-ended, so a longer file shows), plus the rest of part 1
  expect([...ranges].sort()).toEqual(
    [
      `bytes=0-${MiB - 1}`,
      `bytes=${0.5 * MiB}-${MiB - 1}`,
      `bytes=${MiB}-${2 * MiB - 1}`,
      `bytes=${2 * MiB}-${3 * MiB - 1}`,
      `bytes=${3 * MiB}-${4 * MiB - 1}`,
      `bytes=${4 * MiB}-`
    ].sort()
  );
  expect(log.lines.some((l) => /resuming at byte 524288 \(part 1\)/.test(l))).toBe(true);
  const commit = hub.commitOf('org/tiny', 'main');
  expect(oss.headObject(`llm/tiny/hf/${commit}/model.safetensors`)!.size).toBe(5 * MiB);
});

test('corrupted bytes from the CDN are detected before completing: retried once, then an error naming the file; nothing visible', async () => {
  hub.declareRepo({
    id: 'org/tiny',
    files: [
      { path: 'config.json', content: '{}' },
      { path: 'model.safetensors', size: 3 * MiB, seed: 'c' }
    ]
  });
  // every ranged GET of the file's three parts, in both rounds, brings one wrong byte
  faults.add({ service: 'cdn', method: 'GET', times: 6, action: { kind: 'corrupt', atByte: 123456 } });
  const { ctx, cleanup } = testContext(cfg({ sync: { filesInParallel: 1 } }));
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_HASH_MISMATCH');
  expect(err.message).toContain('model.safetensors');
  const commit = hub.commitOf('org/tiny', 'main');
  expect(
    oss
      .listKeys(`llm/tiny/hf/${commit}/`)
      .filter((k) => k.endsWith('model.safetensors') || k.endsWith('.sync-manifest.json'))
  ).toEqual([]);
  expect(oss.listUploads()).toEqual([]);
  expect(cleanup.records).toEqual([]);
});

test('one corrupted download is retried and the file arrives intact', async () => {
  hub.declareRepo({
    id: 'org/tiny',
    files: [
      { path: 'model.safetensors', size: 3 * MiB, seed: 'c' },
      { path: 'config.json', content: '{"a":1}' }
    ]
  });
  faults.add({ service: 'cdn', method: 'GET', times: 1, action: { kind: 'corrupt', atByte: 100 } });
  faults.add({
    service: 'hub',
    method: 'GET',
    path: 'resolve/.*config.json',
    times: 1,
    action: { kind: 'corrupt', atByte: 2 }
  });
  const { ctx, log } = testContext(cfg());
  const out = await stage().run(ctx);
  expect(out.details).toMatchObject({ 'files synced': 2 });
  expect(log.lines.filter((l) => l.startsWith('warning:') && /do not match/.test(l))).toHaveLength(2);
});

test('a 429 storm is ridden out honouring Retry-After; past the limit it fails with what to do', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  faults.add({
    service: 'hub',
    path: '/tree/',
    times: 3,
    action: { kind: 'status', status: 429, retryAfterSeconds: 7 }
  });
  faults.add({
    service: 'hub',
    path: '/resolve/',
    times: 2,
    action: { kind: 'status', status: 429, retryAfterSeconds: 2 }
  });
  faults.add({ service: 'cdn', times: 2, action: { kind: 'status', status: 503, code: 'SlowDown' } });
  const out = await stage().run(testContext(cfg({ sync: { retries: 5 } })).ctx);
  expect(out.status).toBe('done');
  expect(slept.filter((ms) => ms >= 7000)).toHaveLength(3);
  expect(slept.filter((ms) => ms >= 2000).length).toBeGreaterThanOrEqual(5);

  faults.add({
    service: 'hub',
    path: '/revision/',
    times: 100,
    action: { kind: 'status', status: 429, retryAfterSeconds: 1 }
  });
  const err = await failure(stage().run(testContext(cfg({ model: { revision: 'main' } as never })).ctx));
  expect(err.code).toBe('HF_RATE_LIMITED');
  expect(err.hint).toMatch(/token/);
});

test('a gated repo without accepted terms fails before any byte is written to OSS', async () => {
  hub.declareRepo({ id: 'org/tiny', gated: 'manual', files: TINY });
  const err = await failure(stage().run(testContext(cfg()).ctx));
  expect(err.code).toBe('HF_GATED_REPO');
  expect(err.hint).toMatch(/Accept the licence at .*org\/tiny/);
  expect(ossWrites()).toEqual([]);
  expect(faults.recorded('cdn')).toEqual([]);
});

test('missing repo and revision say what to do', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  expect((await failure(stage().run(testContext(cfg({ model: { repo: 'org/nope' } as never })).ctx))).code).toBe(
    'HF_REPO_NOT_FOUND'
  );
  expect((await failure(stage().run(testContext(cfg({ model: { revision: 'v9' } as never })).ctx))).code).toBe(
    'HF_REVISION_NOT_FOUND'
  );
});

test('a ".." path in the tree listing is rejected before any OSS key is formed', async () => {
  const commit = 'a'.repeat(40);
  const evil: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url!.includes('/revision/')) return res.end(JSON.stringify({ id: 'org/tiny', sha: commit, siblings: [] }));
    if (req.url!.includes('/tree/'))
      return res.end(
        JSON.stringify([
          { type: 'file', path: 'config.json', oid: 'b'.repeat(40), size: 2 },
          { type: 'file', path: 'a/../../../etc/x.bin', oid: 'c'.repeat(40), size: 3 }
        ])
      );
    res.statusCode = 500;
    res.end('{}');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  try {
    const endpoint = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const err = await failure(stage().run(testContext(cfg({ hf: { endpoint } })).ctx));
    expect(err.code).toBe('HF_UNSAFE_PATH');
    expect(err.message).toContain('a/../../../etc/x.bin');
    expect(faults.recorded('oss')).toEqual([]);
  } finally {
    await new Promise((r) => evil.close(r));
  }
});

test('a file needing more than 10000 parts fails before any byte is sent, naming the part size that fits', async () => {
  // 10000 parts of 1 MiB hold 9.77 GiB; the hub synthesises bytes only when read, so this file costs nothing here.
  hub.declareRepo({
    id: 'org/tiny',
    files: [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'model-00001.safetensors', size: 10000 * MiB + 1, seed: 'big', sha256: 'ab'.repeat(32) }
    ]
  });
  const { ctx } = testContext(cfg());
  const err = await failure(stage().run(ctx));
  expect(err.code).toBe('SYNC_TOO_MANY_PARTS');
  expect(err.message).toContain('model-00001.safetensors');
  expect(err.message).toContain('10001 parts of 1 MiB');
  expect(err.hint).toContain('sync-part-size to 2 or more');
  expect(ossWrites()).toEqual([]);
  expect(oss.listUploads()).toEqual([]);
});

test('cancel mid-file: the upload is aborted, no object, no unfinished upload, nothing left to clean', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 6 * MiB, seed: 'x' }] });
  faults.add({ service: 'oss', method: 'PUT', path: 'partNumber=2', times: 1, action: { kind: 'delay', ms: 300 } });
  const ac = new AbortController();
  const { ctx, cleanup } = testContext(cfg({ sync: { partsInFlight: 1 } }), { signal: ac.signal });
  const running = stage().run(ctx);
  for (let i = 0; i < 500 && cleanup.records.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(cleanup.records).toHaveLength(1);
  ac.abort(new Error('the job was cancelled'));
  const err = await failure(running);
  expect(err.code).toBe('SYNC_CANCELLED');
  expect(oss.listKeys('llm/')).toEqual([]);
  expect(oss.listUploads()).toEqual([]);
  expect(cleanup.records).toEqual([]);
});

test('an unfinished upload of an earlier run is continued: its matching parts are kept', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 4 * MiB + 5, seed: 'k' }] });
  // The earlier run died (no post step) after 2 parts: fail part 3 for good.
  faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'partNumber=3',
    times: 100,
    action: { kind: 'status', status: 403, code: 'AccessDenied' }
  });
  const first = testContext(cfg({ sync: { partsInFlight: 1 } }));
  expect((await failure(stage().run(first.ctx))).code).toBe('OSS_ACCESS_DENIED');
  expect(oss.listUploads()).toEqual([]); // this run aborted its own upload on failure
  faults.reset();
  // Simulate the hard-killed run: an upload with parts 1-2 made by a run that could not abort.
  const { OssStore } = await import('../../src/oss/client.js');
  const { HubClient } = await import('../../src/hf/client.js');
  const c = cfg();
  const store = OssStore.connect(c.oss, { attempts: 1 });
  const commit = hub.commitOf('org/tiny', 'main');
  const key = `llm/tiny/hf/${commit}/model.safetensors`;
  const id = await store.initUpload(key, {});
  const src = await new HubClient({ endpoint: hub.endpoint, token: hub.token, attempts: 1 }).open(
    'org/tiny',
    commit,
    'model.safetensors'
  );
  const chunks: Buffer[] = [];
  for await (const ch of src.chunks) chunks.push(ch);
  const bytes = Buffer.concat(chunks);
  await store.uploadPart(key, id, 1, bytes.subarray(0, MiB));
  await store.uploadPart(key, id, 2, bytes.subarray(MiB, 2 * MiB));
  faults.reset();
  const { ctx, log } = testContext(c);
  const out = await stage().run(ctx);
  expect(out.status).toBe('done');
  expect(partPuts('model.safetensors').sort()).toEqual([3, 4, 5]);
  expect(log.lines.some((l) => /2 parts kept from an earlier run/.test(l))).toBe(true);
  expect(oss.listUploads()).toEqual([]);
  expect(oss.headObject(key)!.size).toBe(4 * MiB + 5);
});

test('STS credentials with signature V4', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  const sts = oss.issueSts(3600);
  const c = cfg({
    oss: {
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      securityToken: sts.securityToken,
      signatureV4: true
    }
  });
  const out = await stage().run(testContext(c).ctx);
  expect(out.status).toBe('done');
  expect(
    faults
      .recorded('oss')
      .every(
        (r) =>
          String(r.headers.authorization).startsWith('OSS4-HMAC-SHA256') &&
          r.headers['x-oss-security-token'] === sts.securityToken
      )
  ).toBe(true);
});

test('plan mode says what would happen and writes nothing', async () => {
  hub.declareRepo({ id: 'org/tiny', files: TINY });
  const c = cfg();
  const line = await stage().plan(testContext(c).ctx);
  expect(line.action).toBe('run');
  expect(line.reason).toMatch(/stream 3 files/);
  expect(ossWrites()).toEqual([]);
  await stage().run(testContext(c).ctx);
  expect((await stage().plan(testContext(c).ctx)).action).toBe('skip');
});

test('plan refuses pipeline-parallel 4 for a 30-layer Bloom (bloom-7b1) from the hub’s config.json, naming both numbers', async () => {
  const config = { architectures: ['BloomForCausalLM'], model_type: 'bloom', n_layer: 30, n_head: 32 };
  hub.declareRepo({
    id: 'org/tiny',
    files: [...TINY.slice(1), { path: 'config.json', content: JSON.stringify(config) }]
  });
  const c = cfg({ serve: { pipelineParallel: 4, gpus: 4 } });
  const err = await failure(stage().plan(testContext(c).ctx));
  expect(err.code).toBe('CONFIG_INVALID');
  expect(err.message).toMatch(/"pipeline-parallel" \(4\) does not divide the 30 layers of org\/tiny/);
  const tp3 = await failure(stage().plan(testContext(cfg({ convert: { tensorParallel: 3 } })).ctx));
  expect(tp3.message).toMatch(/"tensor-parallel" \(3\) does not divide the 32 attention heads/);
  expect((await stage().plan(testContext(cfg({ serve: { pipelineParallel: 5, gpus: 5 } })).ctx)).action).toBe('run');
  expect(ossWrites()).toEqual([]);
});

test('plan refuses a model whose config.json is not Bloom (or that has none), saying what is supported', async () => {
  hub.declareRepo({
    id: 'org/tiny',
    files: [
      ...TINY.slice(1),
      { path: 'config.json', content: '{"model_type":"llama","architectures":["LlamaForCausalLM"]}' }
    ]
  });
  const err = await failure(stage().plan(testContext(cfg()).ctx));
  expect(err.code).toBe('MODEL_NOT_SUPPORTED');
  expect(err.message).toMatch(/model_type "llama".*only Bloom \(config\.json model_type "bloom"/);
  hub.declareRepo({ id: 'org/none', files: TINY.slice(1) });
  const none = await failure(stage().plan(testContext(cfg({ model: { repo: 'org/none' } })).ctx));
  expect(none.code).toBe('MODEL_NOT_SUPPORTED');
  expect(none.message).toMatch(/has no config\.json/);
});

test('through a mirror whose Link names the upstream (hf-mirror), every page is read from the mirror', async () => {
  // the "upstream" is a local recorder standing in for https://huggingface.co: any request to it is a failure
  const upstreamSeen: string[] = [];
  const upstream = createServer((req, res) => {
    upstreamSeen.push(`${req.method} ${req.url} auth=${req.headers.authorization ?? ''}`);
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const mirror = await startHub({ faults, pageSize: 2, mirrorOf: upstreamUrl, token: hub.token });
  try {
    const files = Array.from({ length: 7 }, (_, i) => ({ path: `tokenizer-${i}.json`, content: `{"n":${i}}` }));
    mirror.declareRepo({ id: 'org/tiny', files: [...files, TINY[0]] });
    const links = () =>
      faults
        .recorded('hub')
        .filter((r) => r.url.includes('/tree/'))
        .map((r) => r.url);
    const c = cfg({ hf: { endpoint: mirror.endpoint, token: mirror.token, include: [], exclude: [] } });
    const line = await stage().plan(testContext(c).ctx);
    expect(line.reason).toMatch(/stream 8 files/);
    expect(links().filter((u) => u.includes('cursor=')).length).toBeGreaterThanOrEqual(3); // 4 pages of 2
    expect(upstreamSeen).toEqual([]);
  } finally {
    await mirror.stop();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  }
});

test('OSS 5xx on a part and on complete are retried per request, without reading the hub again', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 3 * MiB, seed: 'o' }] });
  faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'partNumber=2',
    times: 2,
    action: { kind: 'status', status: 500, code: 'InternalError' }
  });
  faults.add({
    service: 'oss',
    method: 'POST',
    path: 'uploadId=',
    times: 1,
    action: { kind: 'status', status: 503, code: 'ServiceUnavailable' }
  });
  const out = await stage().run(testContext(cfg()).ctx);
  expect(out.status).toBe('done');
  expect(partPuts('model.safetensors').sort()).toEqual([1, 2, 2, 2, 3]);
  // each part read once: the part buffer is sent again, the hub is not asked again
  expect(faults.recorded('cdn').filter((r) => r.method === 'GET')).toHaveLength(3);
  expect(slept).toHaveLength(3);
});

test('a part whose upload connection drops mid-body is sent again from its buffer: the hub is not read again, the object is whole', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 3 * MiB, seed: 'u' }] });
  faults.add({
    service: 'oss',
    method: 'PUT',
    path: 'partNumber=2',
    action: { kind: 'cut-request', afterBytes: MiB / 4 }
  });
  const out = await stage().run(testContext(cfg()).ctx);
  expect(out.status).toBe('done');
  expect(partPuts('model.safetensors').sort()).toEqual([1, 2, 2, 3]);
  expect(faults.recorded('cdn').filter((r) => r.method === 'GET')).toHaveLength(3);
  expect(oss.listUploads()).toEqual([]);
  // the CRC-64 the sandbox OSS computed over what it stored, against the reference over the hub's bytes
  let expected = '0';
  for (const chunk of generate(generatorKey('u'), 0, 3 * MiB)) expected = crcReference.crc64(chunk, expected);
  const commit = hub.commitOf('org/tiny', 'main');
  expect(oss.headObject(`llm/tiny/hf/${commit}/model.safetensors`)!.crc64).toBe(expected);
});

test('a CDN that does not answer within the stall timeout is retried', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 2 * MiB, seed: 's' }] });
  faults.add({ service: 'cdn', method: 'GET', times: 1, action: { kind: 'delay', ms: 1500 } });
  const { ctx, log } = testContext(cfg());
  const out = await createSyncStage({ clients: syncClients, sleep, stallMs: 150 }).run(ctx);
  expect(out.status).toBe('done');
  expect(log.lines.some((l) => /retrying .* no data from/.test(l))).toBe(true);
});

test('the post step aborts recorded multipart uploads (and ignores other records)', async () => {
  const { OssStore } = await import('../../src/oss/client.js');
  const { abortUploads } = await import('../../src/oss/cleanup.js');
  const c = cfg();
  const store = OssStore.connect(c.oss, { attempts: 1 });
  const id = await store.initUpload('llm/x.bin', {});
  expect(oss.listUploads()).toHaveLength(1);
  const r = await abortUploads(store, [
    { kind: 'multipart-upload', bucket: 'models', key: 'llm/x.bin', uploadId: id },
    { kind: 'multipart-upload', bucket: 'models', key: 'llm/gone.bin', uploadId: 'nope' },
    { kind: 'pytorchjob', namespace: 'ns', name: 'j' }
  ]);
  expect(r.aborted).toHaveLength(2);
  expect(r.failed).toEqual([]);
  expect(oss.listUploads()).toEqual([]);
});

test('periodic progress lines for a large file (time injected): bytes, %, MB/s, ETA', async () => {
  hub.declareRepo({ id: 'org/tiny', files: [{ path: 'model.safetensors', size: 6 * MiB, seed: 'p' }] });
  let t = 0;
  const { ctx, log } = testContext(cfg({ sync: { partsInFlight: 2 } }));
  await createSyncStage({ clients: syncClients, sleep, now: () => (t += 50), progressIntervalMs: 5000 }).run(ctx);
  const lines = log.lines.filter((l) => l.startsWith('  model.safetensors: '));
  expect(lines.length).toBeGreaterThan(0);
  expect(lines[0]).toMatch(/^ {2}model\.safetensors: [\d.]+ (KiB|MiB) \/ 6\.0 MiB \(\d+%\), [\d.]+ MB\/s, ETA \S+/);
});

test('the post step handler aborts a multipart upload left by a cancelled job, with the OSS inputs', async () => {
  const { OssStore } = await import('../../src/oss/client.js');
  const { cleanUp } = await import('../../src/composition/index.js');
  const { loadConfig } = await import('../../src/config/load.js');
  const store = OssStore.connect(cfg().oss, { attempts: 1 });
  const uploadId = await store.initUpload('llm/left.bin', {});
  // The post step reads the same inputs as the main step (INPUT_* variables), and its handlers come from them.
  const env: NodeJS.ProcessEnv = {
    INPUT_MODEL: 'org/tiny',
    INPUT_STAGES: 'sync',
    'INPUT_OSS-ENDPOINT': oss.endpoint,
    'INPUT_OSS-REGION': oss.region,
    'INPUT_OSS-BUCKET': oss.bucket,
    'INPUT_OSS-ACCESS-KEY-ID': oss.accessKeyId,
    'INPUT_OSS-ACCESS-KEY-SECRET': oss.accessKeySecret
  };
  const config = loadConfig({ getInput: (name) => env[`INPUT_${name.toUpperCase()}`], env });
  const { log } = testContext(cfg());
  const record = { kind: 'multipart-upload', bucket: 'models', key: 'llm/left.bin', uploadId } as const;
  const out = await cleanUp([record], config, { log, env, signal: new AbortController().signal });
  expect(out.map((o) => [o.status, o.message])).toEqual([['done', undefined]]);
  expect(oss.listUploads()).toEqual([]);
});
