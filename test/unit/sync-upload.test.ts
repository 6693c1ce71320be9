/** The streamed uploader over an in-memory store: memory bound, resume, verify-before-complete, abort. */
import { createHash, randomBytes } from 'node:crypto';
import { PartPool, Uploader, type ByteSource } from '../../src/oss/upload.js';
import type { OssStore, UploadedPart } from '../../src/oss/client.js';
import { crc64 } from '../../src/oss/crc64.js';
import { PipelineError } from '../../src/errors.js';
import { finalOssError, isRetryableOssError, ossClientOptions } from '../../src/oss/client.js';
import { testConfig } from '../helpers/config.js';

class MemStore {
  uploads = new Map<string, Map<number, Buffer>>();
  objects = new Map<string, Buffer>();
  sent: number[] = [];
  inFlight = 0;
  maxInFlight = 0;
  aborted: string[] = [];
  n = 0;
  async initUpload() {
    const id = `u${++this.n}`;
    this.uploads.set(id, new Map());
    return id;
  }
  async uploadPart(_key: string, id: string, n: number, body: Buffer): Promise<UploadedPart> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    this.uploads.get(id)!.set(n, Buffer.from(body));
    this.sent.push(n);
    return { number: n, etag: `"${createHash('md5').update(body).digest('hex').toUpperCase()}"`, size: body.length };
  }
  async listParts(_key: string, id: string): Promise<UploadedPart[]> {
    return [...this.uploads.get(id)!.entries()]
      .map(([n, b]) => ({ number: n, etag: `"${createHash('md5').update(b).digest('hex')}"`, size: b.length }))
      .sort((a, b) => a.number - b.number);
  }
  async complete(key: string, id: string, parts: UploadedPart[]) {
    const m = this.uploads.get(id)!;
    const body = Buffer.concat(parts.map((p) => m.get(p.number)!));
    this.objects.set(key, body);
    this.uploads.delete(id);
    return crc64(body);
  }
  async abort(_key: string, id: string) {
    this.uploads.delete(id);
    this.aborted.push(id);
  }
  async putObject(key: string, body: Buffer) {
    this.objects.set(key, Buffer.from(body));
  }
  async head() {
    return undefined;
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

/** A source over `data` in chunks of `chunk` bytes; `failAt` byte offsets fail once each (a reset). */
function source(data: Buffer, chunk: number, failAt: number[] = []): ByteSource & { starts: number[] } {
  const starts: number[] = [];
  return {
    starts,
    async open(start) {
      starts.push(start);
      async function* gen() {
        for (let p = start; p < data.length; p += chunk) {
          const fail = failAt.findIndex((f) => f >= p && f < p + chunk);
          if (fail >= 0) {
            failAt.splice(fail, 1);
            throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
          }
          yield data.subarray(p, Math.min(p + chunk, data.length));
        }
      }
      return { chunks: gen(), close: () => undefined };
    }
  };
}

const retryable = (e: unknown) => (e as { code?: string }).code === 'ECONNRESET';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function setup(partSize: number, slots: number) {
  const store = new MemStore();
  const pool = new PartPool(partSize, slots);
  const up = new Uploader(store as unknown as OssStore, pool, {
    attempts: 3,
    isRetryableSourceError: retryable,
    sleep: async () => undefined
  });
  return { store, pool, up };
}

test('parts in flight never exceed the pool, and the pool never allocates more than its slots', async () => {
  const { store, pool, up } = setup(1000, 3);
  const data = randomBytes(20_500);
  const r = await up.upload({
    key: 'k',
    size: data.length,
    meta: () => ({}),
    gitBlob: false,
    source: source(data, 333),
    verify: (d) => expect(d.sha256).toBe(sha(data))
  });
  expect(store.objects.get('k')!.equals(data)).toBe(true);
  expect(store.maxInFlight).toBeLessThanOrEqual(3);
  expect((pool as unknown as { created: number }).created).toBeLessThanOrEqual(3);
  expect(r).toMatchObject({ multipart: true, sentBytes: data.length, keptParts: 0 });
  expect(r.digests.crc64).toBe(crc64(data));
});

test('a reset mid-part resumes at that part with a ranged read; earlier parts are not sent again', async () => {
  const { store, up } = setup(1000, 2);
  const data = randomBytes(5000);
  const src = source(data, 100, [2500]);
  const resumed: number[] = [];
  await up.upload(
    {
      key: 'k',
      size: 5000,
      meta: () => ({}),
      gitBlob: false,
      source: src,
      verify: (d) => expect(d.sha256).toBe(sha(data))
    },
    { resumed: (off) => resumed.push(off) }
  );
  expect(src.starts).toEqual([0, 2000]);
  expect(resumed).toEqual([2000]);
  expect(store.sent.sort()).toEqual([1, 2, 3, 4, 5]);
  expect(store.objects.get('k')!.equals(data)).toBe(true);
});

test('git blob sha1 for non-LFS content', async () => {
  const { up } = setup(1000, 2);
  const data = Buffer.from('hello world\n');
  const r = await up.upload({
    key: 'k',
    size: data.length,
    meta: () => ({}),
    gitBlob: true,
    source: source(data, 5),
    verify: () => undefined
  });
  expect(r.digests.gitSha1).toBe('3b18e512dba79e4c8300dd08aeb37f8e728b8dad');
  expect(r.multipart).toBe(false);
});

test('a failing verify aborts the upload before complete: nothing visible', async () => {
  const { store, up } = setup(1000, 2);
  const data = randomBytes(3500);
  const bad = new PipelineError('SYNC_HASH_MISMATCH', 'nope', 'hint');
  const uploads: string[] = [];
  await expect(
    up.upload(
      {
        key: 'k',
        size: data.length,
        meta: () => ({}),
        gitBlob: false,
        source: source(data, 700),
        verify: () => {
          throw bad;
        }
      },
      { uploadStarted: (id) => uploads.push(`+${id}`), uploadEnded: (id) => uploads.push(`-${id}`) }
    )
  ).rejects.toBe(bad);
  expect(store.objects.size).toBe(0);
  expect(store.uploads.size).toBe(0);
  expect(uploads).toEqual(['+u1', '-u1']);
});

test('a source that keeps failing without progress gives up after the attempts', async () => {
  const { store, up } = setup(1000, 2);
  const data = randomBytes(3000);
  await expect(
    up.upload({
      key: 'k',
      size: 3000,
      meta: () => ({}),
      gitBlob: false,
      source: source(data, 100, [10, 10, 10, 10]),
      verify: () => undefined
    })
  ).rejects.toThrow('ECONNRESET');
  expect(store.aborted).toEqual(['u1']);
});

test('a source longer than listed is refused', async () => {
  const { up } = setup(1000, 2);
  await expect(
    up.upload({
      key: 'k',
      size: 1500,
      meta: () => ({}),
      gitBlob: false,
      source: source(randomBytes(2000), 100),
      verify: () => undefined
    })
  ).rejects.toMatchObject({ code: 'SYNC_SIZE_MISMATCH' });
});

describe('OSS adapter rules', () => {
  test.each([
    [{ status: 503, code: 'ServiceUnavailable' }, true],
    [{ status: 500, code: 'InternalError' }, true],
    [{ status: -1, code: 'RequestError' }, true],
    [{ code: 'ECONNRESET' }, true],
    [{ status: 403, code: 'AccessDenied' }, false],
    [{ status: 404, code: 'NoSuchKey' }, false]
  ])('%j retryable: %s', (e, yes) => expect(isRetryableOssError(Object.assign(new Error('x'), e))).toBe(yes));

  test.each([
    ['AccessDenied', 'OSS_ACCESS_DENIED', /RAM policy/],
    ['SecurityTokenExpired', 'OSS_ACCESS_DENIED', /STS token expired/],
    ['RequestTimeTooSkewed', 'OSS_CLOCK_SKEW', /clock/],
    ['NoSuchBucket', 'OSS_NO_SUCH_BUCKET', /oss-bucket/],
    ['InternalError', 'OSS_UNAVAILABLE', /re-run/]
  ])('%s → %s', (code, ours, hint) => {
    const e = finalOssError(
      Object.assign(new Error('m'), { code, status: code === 'InternalError' ? 500 : 403 }),
      'PUT k',
      'models',
      5
    ) as PipelineError;
    expect(e.code).toBe(ours);
    expect(e.hint).toMatch(hint);
  });

  test('client options: AccessKey, STS, V4, no ali-oss retries', () => {
    const cfg = testConfig({
      oss: {
        endpoint: 'https://oss-cn-beijing.aliyuncs.com',
        region: 'oss-cn-beijing',
        securityToken: 'CAIS',
        signatureV4: true
      }
    });
    const o = ossClientOptions(cfg.oss);
    expect(o).toMatchObject({
      bucket: 'models',
      region: 'oss-cn-beijing',
      secure: true,
      authorizationV4: true,
      stsToken: 'CAIS',
      retryMax: 0
    });
    expect(ossClientOptions(testConfig({ oss: { endpoint: 'http://localhost:9000' } }).oss)).toMatchObject({
      sldEnable: true,
      secure: false
    });
    expect(ossClientOptions(testConfig().oss)).not.toHaveProperty('stsToken');
  });
});
