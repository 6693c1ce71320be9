/** The streamed uploader over an in-memory store: memory bound, resume, verify-before-complete, abort. */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { InOrderDigest, PartPool, Uploader, type ByteSource, type UploaderOptions } from '../../src/oss/upload.js';
import { StreamDigest, type Digests } from '../../src/oss/digest.js';
import type { OssStore, UploadedPart } from '../../src/oss/client.js';
import { crc64 } from '../../src/oss/crc64.js';
import { PipelineError } from '../../src/errors.js';
import { crcMismatch, finalOssError, isRetryableOssError, ossClientOptions } from '../../src/oss/client.js';
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
  /** Parts whose first bytes reached the store before the uploader had read them whole. */
  streamedEarly: number[] = [];
  failStreamed?: (n: number) => unknown;
  async uploadPartStreaming(
    key: string,
    id: string,
    n: number,
    size: number,
    body: Readable,
    whole: () => Promise<{ body: Buffer; crc: string }>
  ): Promise<UploadedPart> {
    let wholeYet = false;
    const w = whole().then((p) => {
      wholeYet = true;
      return p;
    });
    w.catch(() => undefined);
    const chunks: Buffer[] = [];
    for await (const c of body) {
      if (chunks.length === 0 && !wholeYet) this.streamedEarly.push(n);
      const failure = this.failStreamed?.(n);
      if (failure) throw failure;
      chunks.push(Buffer.from(c as Buffer));
    }
    const got = Buffer.concat(chunks);
    const part = await w;
    if (got.length !== size || !got.equals(part.body)) throw new Error(`part ${n}: streamed bytes differ`);
    return this.uploadPart(key, id, n, got);
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

/**
 * A source over `data` in chunks of `chunk` bytes, honouring ranges; `failAt` byte offsets fail once each (a
 * reset). `open` records each range asked for and how many streams are open at once.
 */
function source(
  data: Buffer,
  chunk: number,
  failAt: number[] = [],
  opts: { ignoreEnd?: boolean; delayPart?: (start: number) => Promise<void>; tick?: boolean; fatalAt?: number } = {}
): ByteSource & { starts: number[]; ranges: [number, number | undefined][]; maxOpen: number } {
  const starts: number[] = [];
  const ranges: [number, number | undefined][] = [];
  let open = 0;
  const src = {
    starts,
    ranges,
    maxOpen: 0,
    async open(start: number, end?: number) {
      starts.push(start);
      ranges.push([start, end]);
      const stop = opts.ignoreEnd || end === undefined ? data.length : end;
      open++;
      src.maxOpen = Math.max(src.maxOpen, open);
      async function* gen() {
        await opts.delayPart?.(start);
        for (let p = start; p < stop; p += chunk) {
          const fail = failAt.findIndex((f) => f >= p && f < p + chunk);
          if (fail >= 0) {
            failAt.splice(fail, 1);
            throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
          }
          if (opts.fatalAt !== undefined && opts.fatalAt >= p && opts.fatalAt < p + chunk) {
            throw Object.assign(new Error('read EACCES'), { code: 'EACCES' });
          }
          if (opts.tick) await new Promise((r) => setImmediate(r)); // bytes arrive over time, as from a socket
          yield data.subarray(p, Math.min(p + chunk, stop));
        }
      }
      let closed = false;
      return {
        chunks: gen(),
        close: () => {
          if (!closed) open--;
          closed = true;
        }
      };
    }
  };
  return src;
}

const retryable = (e: unknown) => (e as { code?: string }).code === 'ECONNRESET';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The upload of `data` under key `k` from `src`; `verify` accepts anything unless given. */
function fileSpec(data: Buffer, src: ByteSource, verify: (d: Digests) => void = () => undefined) {
  return { key: 'k', size: data.length, meta: () => ({}), gitBlob: false, source: src, verify };
}

function setup(partSize: number, slots: number, more: Partial<UploaderOptions> = {}) {
  const store = new MemStore();
  const pool = new PartPool(partSize, slots);
  const up = new Uploader(store as unknown as OssStore, pool, {
    attempts: 3,
    isRetryableSourceError: retryable,
    sleep: async () => undefined,
    ...more
  });
  return { store, pool, up };
}

test('parts in flight never exceed the pool, and the pool never allocates more than its slots', async () => {
  const { store, pool, up } = setup(1000, 3);
  const data = randomBytes(20_500);
  const r = await up.upload(fileSpec(data, source(data, 333), (d) => expect(d.sha256).toBe(sha(data))));
  expect(store.objects.get('k')!.equals(data)).toBe(true);
  expect(store.maxInFlight).toBeLessThanOrEqual(3);
  expect((pool as unknown as { created: number }).created).toBeLessThanOrEqual(3);
  expect(r).toMatchObject({ multipart: true, sentBytes: data.length, keptParts: 0 });
  expect(r.digests.crc64).toBe(crc64(data));
});

test('a reset mid-part goes on from the byte it reached with a ranged read; no part is sent twice', async () => {
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
  expect([...src.starts].sort((a, b) => a - b)).toEqual([0, 1000, 2000, 2500, 3000, 4000]);
  expect(src.ranges).toContainEqual([2500, 3000]); // the rest of part 3 only
  expect(resumed).toEqual([2500]);
  expect(store.sent.sort()).toEqual([1, 2, 3, 4, 5]);
  expect(store.objects.get('k')!.equals(data)).toBe(true);
});

test('parts are read by parallel ranged GETs, each exactly its part, as many at once as the pool has buffers', async () => {
  const { store, pool, up } = setup(1000, 4);
  const data = randomBytes(10_000);
  const src = source(data, 250);
  await up.upload(fileSpec(data, src, (d) => expect(d.sha256).toBe(sha(data))));
  expect([...src.ranges].sort((a, b) => a[0] - b[0])).toEqual(
    Array.from({ length: 10 }, (_, i) => [i * 1000, i < 9 ? (i + 1) * 1000 : undefined])
  );
  expect(src.maxOpen).toBe(4);
  expect((pool as unknown as { created: number }).created).toBe(4);
  expect(store.objects.get('k')!.equals(data)).toBe(true);
});

test('each part streams into its UploadPart while its ranged GET is still bringing it', async () => {
  const { store, up } = setup(1000, 3);
  const data = randomBytes(5_500);
  const r = await up.upload(
    fileSpec(data, source(data, 100, [], { tick: true }), (d) => expect(d.sha256).toBe(sha(data)))
  );
  expect(store.objects.get('k')!.equals(data)).toBe(true);
  expect([...store.streamedEarly].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(r).toMatchObject({ multipart: true, sentBytes: data.length });
});

/** An upload of `data` through `up` that must succeed: the pool has every buffer back after a failure. */
async function uploadsAfterwards(up: Uploader, store: MemStore, pool: PartPool) {
  const again = randomBytes(4_200);
  store.failStreamed = undefined;
  await up.upload({
    key: 'again',
    size: again.length,
    meta: () => ({}),
    gitBlob: false,
    source: source(again, 100, [], { tick: true }),
    verify: () => undefined
  });
  expect(store.objects.get('again')!.equals(again)).toBe(true);
  expect((pool as unknown as { created: number }).created).toBeLessThanOrEqual(pool.slots);
}

test('an UploadPart refused for good stops reading that file: the refusal is the error, the upload is aborted, no buffer is lost', async () => {
  const { store, pool, up } = setup(1000, 3);
  const data = randomBytes(9_000);
  const denied = new PipelineError('OSS_ACCESS_DENIED', 'OSS refused part 2', 'check the policy');
  store.failStreamed = (n) => (n === 2 ? denied : undefined);
  const src = source(data, 100, [], { tick: true });
  let read = 0;
  await expect(up.upload(fileSpec(data, src), { position: (b) => (read = b) })).rejects.toBe(denied);
  expect(read).toBeLessThan(data.length);
  expect(store.aborted).toEqual(['u1']);
  expect(store.objects.size).toBe(0);
  await uploadsAfterwards(up, store, pool);
});

test('a read failing for good while its part streams: the read error is the error, the upload is aborted, no buffer is lost', async () => {
  const { store, pool, up } = setup(1000, 3);
  const data = randomBytes(9_000);
  await expect(up.upload(fileSpec(data, source(data, 100, [], { tick: true, fatalAt: 4_550 })))).rejects.toMatchObject({
    code: 'EACCES'
  });
  expect(store.aborted).toEqual(['u1']);
  expect(store.objects.size).toBe(0);
  await uploadsAfterwards(up, store, pool);
});

test.each([
  [false, 'aborted: nothing is left open'],
  [true, 'kept open for a later run (a shard pod on SIGTERM), its record not ended']
])('a cancel mid-file with keepOnCancel %s: the upload is %s', async (keepOnCancel) => {
  const ac = new AbortController();
  const { store, up } = setup(1000, 1, { signal: ac.signal, keepOnCancel });
  const data = randomBytes(4_000);
  // part 3's read waits for the cancel
  const src = source(data, 100, [], {
    delayPart: (start) => (start >= 2_000 ? (ac.abort(new Error('SIGTERM')), Promise.resolve()) : Promise.resolve())
  });
  const uploads: string[] = [];
  await expect(
    up.upload(fileSpec(data, src), {
      uploadStarted: (id) => uploads.push(`+${id}`),
      uploadEnded: (id) => uploads.push(`-${id}`)
    })
  ).rejects.toThrow('SIGTERM');
  expect(store.objects.size).toBe(0);
  if (keepOnCancel) {
    expect(store.aborted).toEqual([]);
    expect([...store.uploads.get('u1')!.keys()]).toEqual([1, 2]);
    expect(uploads).toEqual(['+u1']);
  } else {
    expect(store.aborted).toEqual(['u1']);
    expect(uploads).toEqual(['+u1', '-u1']);
  }
});

test('parts arriving out of order are hashed in file order: a slow first part holds the later ones, not the hash', async () => {
  const { store, pool, up } = setup(1000, 3);
  const data = randomBytes(6000);
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const src = source(data, 500, [], { delayPart: (start) => (start === 0 ? firstHeld : Promise.resolve()) });
  const running = up.upload({
    key: 'k',
    size: data.length,
    meta: () => ({}),
    gitBlob: true,
    source: src,
    verify: (d) => {
      expect(d.sha256).toBe(sha(data));
      expect(d.gitSha1).toBe(createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'));
    }
  });
  // parts 2 and 3 are read and sent while part 1 waits; nothing past the pool's 3 buffers is taken
  for (let i = 0; i < 50 && store.sent.length < 2; i++) await new Promise((r) => setImmediate(r));
  expect(store.sent.sort()).toEqual([2, 3]);
  expect(src.starts).not.toContain(3000);
  releaseFirst();
  const r = await running;
  expect(r.digests.crc64).toBe(crc64(data));
  expect((pool as unknown as { created: number }).created).toBe(3);
  expect(store.objects.get('k')!.equals(data)).toBe(true);
});

test('a server that ignores the end of the range: each part still gets exactly its bytes', async () => {
  const { store, up } = setup(1000, 2);
  const data = randomBytes(4500);
  await up.upload(fileSpec(data, source(data, 300, [], { ignoreEnd: true }), (d) => expect(d.sha256).toBe(sha(data))));
  expect(store.objects.get('k')!.equals(data)).toBe(true);
});

test('InOrderDigest: the part next in order is hashed as its bytes land; any interleaving of landings gives the digests of the content', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 60 }),
      (nParts, schedule) => {
        const partLen = 50;
        const data = randomBytes(nParts * partLen - 7);
        const parts = Array.from({ length: nParts }, (_, i) => data.subarray(i * partLen, (i + 1) * partLen));
        const filled = parts.map(() => 0);
        const sd = StreamDigest.start();
        const d = new InOrderDigest(sd);
        const hashedAt: number[] = [];
        const land = (i: number, bytes: number) => {
          filled[i] = Math.min(parts[i].length, filled[i] + bytes);
          if (filled[i] < parts[i].length) d.progress(i + 1, parts[i], filled[i]);
          else d.add(i + 1, parts[i], crc64(parts[i]), () => hashedAt.push(i + 1));
        };
        for (const step of schedule) {
          const open = filled.map((f, i) => (f < parts[i].length ? i : -1)).filter((i) => i >= 0);
          if (open.length === 0) break;
          const i = open[step % open.length];
          const before = sd.size;
          const headBefore = hashedAt.length; // parts before the head are all hashed
          land(i, 1 + (step % 23));
          // the head part's landed bytes are in the digest at once
          if (i === headBefore && filled[i] < parts[i].length) expect(sd.size).toBe(i * partLen + filled[i]);
          expect(sd.size).toBeGreaterThanOrEqual(before);
        }
        for (let i = 0; i < nParts; i++) if (filled[i] < parts[i].length) land(i, parts[i].length);
        expect(hashedAt).toEqual(Array.from({ length: nParts }, (_, i) => i + 1));
        expect(d.digest()).toMatchObject({ sha256: sha(data), crc64: crc64(data), size: data.length });
      }
    )
  );
});

test('InOrderDigest: parts added in any order give the digests of the content in order', () => {
  const data = randomBytes(10 * 97 + 13);
  const parts = Array.from({ length: 11 }, (_, i) => data.subarray(i * 97, Math.min((i + 1) * 97, data.length)));
  const order = [5, 1, 11, 2, 3, 10, 4, 9, 6, 8, 7];
  const hashedAt: number[] = [];
  const d = new InOrderDigest(StreamDigest.start());
  for (const n of order) d.add(n, parts[n - 1], crc64(parts[n - 1]), () => hashedAt.push(n));
  expect(hashedAt).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(d.digest()).toMatchObject({ sha256: sha(data), crc64: crc64(data), size: data.length });
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

test('a part whose CRC-64 OSS reports otherwise aborts the open upload: its record ends only once it is gone', async () => {
  const { store, up } = setup(1000, 2);
  const data = randomBytes(3500);
  const realUploadPart = store.uploadPart.bind(store);
  store.uploadPart = async (key, id, n, body) => {
    if (n === 2) throw crcMismatch(`part 2 of ${key}`, '1', '2');
    return realUploadPart(key, id, n, body);
  };
  const uploads: string[] = [];
  await expect(
    up.upload(fileSpec(data, source(data, 700)), {
      uploadStarted: (id) => uploads.push(`+${id}`),
      uploadEnded: (id) => uploads.push(`-${id}`)
    })
  ).rejects.toMatchObject({ code: 'OSS_CHECKSUM_MISMATCH' });
  expect(store.aborted).toEqual(['u1']);
  expect(store.uploads.size).toBe(0);
  expect(store.objects.size).toBe(0);
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
