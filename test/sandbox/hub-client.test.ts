/**
 * The sandbox hub driven by @huggingface/hub 2.17 (a client nobody here wrote): listing with pagination,
 * downloads through the CDN redirect, ranged slices, metadata, and every fault surfacing as HubApiError.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { downloadFile, fileDownloadInfo, fileExists, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startHub, type HubHandle } from '../../sandbox/hub/index.js';

/** The documented generator, re-derived here: AES-256-CTR keystream, key sha256("hub-sandbox:" + seed). */
function generated(seed: string, start: number, end: number): Buffer {
  const key = createHash('sha256').update(`hub-sandbox:${seed}`).digest();
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(start / 16)), 8);
  const c = createCipheriv('aes-256-ctr', key, iv);
  return c.update(Buffer.alloc(end - start + (start % 16))).subarray(start % 16);
}

const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const CONFIG = JSON.stringify({ model_type: 'bloom', n_layer: 2 });
const WEIGHTS = 3 * 1024 * 1024 + 7;

describe('sandbox hub with @huggingface/hub', () => {
  let hub: HubHandle;
  let faults: FaultRegistry;
  let creds: { hubUrl: string; accessToken: string };

  beforeAll(async () => {
    faults = new FaultRegistry();
    hub = await startHub({ faults, token: 'hf_clienttest', pageSize: 2 });
    creds = { hubUrl: hub.endpoint, accessToken: hub.token };
    hub.declareRepo({
      id: 'org/tiny',
      pipelineTag: 'text-generation',
      files: [
        { path: 'config.json', content: CONFIG },
        { path: 'README.md', content: '# tiny\n' },
        { path: 'tokenizer/tokenizer.json', content: '{"version":"1.0"}' },
        { path: 'pytorch_model.bin', size: WEIGHTS, seed: 'tiny-weights' }
      ]
    });
    hub.declareRepo({ id: 'org/secret', private: true, files: [{ path: 'config.json', content: '{}' }] });
    hub.declareRepo({ id: 'org/gated', gated: 'manual', files: [{ path: 'config.json', content: '{}' }] });
  });
  afterAll(() => hub.stop());
  beforeEach(() => faults.reset());

  it('lists every file across pages, with git oids and LFS sha256', async () => {
    const entries = [];
    for await (const e of listFiles({ repo: 'org/tiny', recursive: true, expand: true, ...creds })) entries.push(e);
    expect(entries.map((e) => `${e.type}:${e.path}`)).toEqual([
      'file:README.md',
      'file:config.json',
      'file:pytorch_model.bin',
      'directory:tokenizer',
      'file:tokenizer/tokenizer.json'
    ]);
    expect(faults.recorded('hub').filter((r) => r.url.includes('/tree/main')).length).toBe(3);
    expect(faults.recorded('hub').every((r) => r.headers.authorization === 'Bearer hf_clienttest')).toBe(true);
    const config = entries.find((e) => e.path === 'config.json')!;
    expect(config).toMatchObject({ oid: gitOid(Buffer.from(CONFIG)), size: CONFIG.length });
    expect(config.lfs).toBeUndefined();
    expect(config.lastCommit?.id).toBe(hub.commitOf('org/tiny', 'main'));
    const bin = entries.find((e) => e.path === 'pytorch_model.bin')!;
    expect(bin.size).toBe(WEIGHTS);
    expect(bin.lfs).toMatchObject({ oid: sha256(generated('tiny-weights', 0, WEIGHTS)), size: WEIGHTS });
  });

  it('downloads a git file from the hub and an LFS file through the CDN, token kept off the CDN', async () => {
    const text = await (await downloadFile({ repo: 'org/tiny', path: 'config.json', ...creds }))!.text();
    expect(text).toBe(CONFIG);

    const blob = (await downloadFile({ repo: 'org/tiny', path: 'pytorch_model.bin', ...creds }))!;
    expect(blob.size).toBe(WEIGHTS);
    const all = Buffer.from(await blob.arrayBuffer());
    expect(sha256(all)).toBe(sha256(generated('tiny-weights', 0, WEIGHTS)));
    const slice = Buffer.from(await blob.slice(WEIGHTS - 100, WEIGHTS - 90).arrayBuffer());
    expect(slice).toEqual(generated('tiny-weights', WEIGHTS - 100, WEIGHTS - 90));

    const cdn = faults.recorded('cdn');
    expect(cdn.length).toBeGreaterThanOrEqual(3);
    expect(cdn.some((r) => r.headers.range === `bytes=${WEIGHTS - 100}-${WEIGHTS - 91}`)).toBe(true);
    expect(cdn.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(cdn.every((r) => !JSON.stringify(r).includes(hub.token))).toBe(true);
  });

  it('answers fileDownloadInfo, fileExists and missing files as the client expects', async () => {
    const info = await fileDownloadInfo({ repo: 'org/tiny', path: 'config.json', ...creds });
    expect(info).toMatchObject({ size: CONFIG.length, etag: `"${gitOid(Buffer.from(CONFIG))}"` });
    const lfs = await fileDownloadInfo({ repo: 'org/tiny', path: 'pytorch_model.bin', ...creds });
    expect(lfs?.size).toBe(WEIGHTS);
    expect(lfs?.url).toBe(`${hub.endpoint}/org/tiny/resolve/main/pytorch_model.bin`);
    expect(lfs?.xet).toBeUndefined();

    expect(await fileDownloadInfo({ repo: 'org/tiny', path: 'nope.json', ...creds })).toBeNull();
    expect(await downloadFile({ repo: 'org/tiny', path: 'nope.json', ...creds })).toBeNull();
    expect(await fileExists({ repo: 'org/tiny', path: 'pytorch_model.bin', ...creds })).toBe(true);
    expect(await fileExists({ repo: 'org/tiny', path: 'nope.json', ...creds })).toBe(false);
  });

  it('returns model info at HEAD with the fields modelInfo expands', async () => {
    const info = await modelInfo({ name: 'org/tiny', ...creds, additionalFields: ['sha', 'filePaths'] });
    expect(info).toMatchObject({ name: 'org/tiny', private: false, gated: false, task: 'text-generation' });
    expect(info.sha).toBe(hub.commitOf('org/tiny', 'main'));
    expect(info.filePaths).toContain('tokenizer/tokenizer.json');
    expect(info.updatedAt).toBeInstanceOf(Date);
    expect((await modelInfo({ name: 'org/gated', ...creds })).gated).toBe('manual');
  });

  async function apiError(p: Promise<unknown>): Promise<HubApiError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(HubApiError);
    return err as HubApiError;
  }

  it('raises HubApiError with the status for auth, gating, revisions and injected faults', async () => {
    const anon = { hubUrl: hub.endpoint };
    expect((await apiError(modelInfo({ name: 'org/secret', ...anon }))).statusCode).toBe(401);
    expect((await modelInfo({ name: 'org/secret', ...creds })).private).toBe(true);
    expect((await apiError(modelInfo({ name: 'org/missing', ...creds }))).statusCode).toBe(404);
    const gated = await apiError(downloadFile({ repo: 'org/gated', path: 'config.json', ...creds }));
    expect(gated.statusCode).toBe(403);
    expect(gated.message).toMatch(/restricted/);
    const rev = await apiError(listFiles({ repo: 'org/tiny', revision: 'v9', ...creds }).next());
    expect(rev.statusCode).toBe(404);

    faults.add({ service: 'hub', path: '/tree/', action: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
    const limited = await apiError(listFiles({ repo: 'org/tiny', recursive: true, ...creds }).next());
    expect(limited.statusCode).toBe(429);
    expect(limited.requestId).toMatch(/^Root=1-/);

    faults.add({ service: 'hub', path: '/resolve/', action: { kind: 'status', status: 429, retryAfterSeconds: 1 } });
    const info = await apiError(fileDownloadInfo({ repo: 'org/tiny', path: 'config.json', ...creds }));
    expect(info.statusCode).toBe(429);

    faults.add({ service: 'hub', path: '/revision/', action: { kind: 'status', status: 500 } });
    const ise = await apiError(modelInfo({ name: 'org/tiny', ...creds }));
    expect(ise.statusCode).toBe(500);
    expect(ise.message).toMatch(/Internal Error/);

    const blob = (await downloadFile({ repo: 'org/tiny', path: 'pytorch_model.bin', ...creds }))!;
    faults.add({ service: 'cdn', method: 'GET', action: { kind: 'status', status: 503 } });
    expect((await apiError(blob.slice(0, 10).arrayBuffer())).statusCode).toBe(503);
  });
});
