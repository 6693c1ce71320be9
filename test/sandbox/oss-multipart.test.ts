/**
 * Sandbox OSS multipart uploads against ali-oss 6.23: multipartUpload with progress and checkpoint resume,
 * listParts, abort, listUploads, Complete's checks, invisibility before Complete, and a 200 MiB upload that
 * must stream (process memory does not grow by the file size).
 */
import crc64ref from 'crc64-ecma182.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultRegistry } from '../../sandbox/faults.js';
import { Crc64 } from '../../sandbox/oss/crc64.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { aliOss, failure, type Client } from './oss-client.js';

let oss: OssHandle;
let root: string;
let work: string;
const faults = new FaultRegistry();

const client = (extra: Record<string, unknown> = {}): Client => aliOss(oss, { sldEnable: true, ...extra });

function md5(b: Buffer): Buffer {
  return createHash('md5').update(b).digest();
}

/** ETag OSS gives a multipart object: MD5 of the concatenated binary part MD5s, dash, part count. */
function multipartEtag(data: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let o = 0; o < data.length; o += partSize) digests.push(md5(data.subarray(o, o + partSize)));
  return `"${md5(Buffer.concat(digests)).toString('hex').toUpperCase()}-${digests.length}"`;
}

/** Sends a CompleteMultipartUpload body as given (ali-oss would sort and dedupe the parts). */
async function rawComplete(c: Client, name: string, uploadId: string, parts: { number: number; etag: string }[]) {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n' +
    parts.map((p) => `<Part>\n<PartNumber>${p.number}</PartNumber>\n<ETag>${p.etag}</ETag>\n</Part>\n`).join('') +
    '</CompleteMultipartUpload>';
  const params = c._objectRequestParams('POST', name, { subres: { uploadId } });
  params.mime = 'xml';
  params.content = xml;
  params.successStatuses = [200];
  return c.request(params);
}

async function body(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of oss.readObject(key)!) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oss-mp-'));
  work = await mkdtemp(join(tmpdir(), 'oss-mp-src-'));
  oss = await startOss({ faults, root });
});

afterAll(async () => {
  await oss.stop();
  await rm(root, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

afterEach(() => faults.reset());

test('multipartUpload: parts, progress, ETag, CRC-64 of the whole object, metadata from initiate', async () => {
  const data = randomBytes(5 * 256 * 1024 + 12345);
  const file = join(work, 'mp.bin');
  await writeFile(file, data);
  const progress: number[] = [];
  const r = await client().multipartUpload('mp/weights.bin', file, {
    partSize: 256 * 1024,
    parallel: 3,
    meta: { sha256: 'feed' },
    progress: (p: number) => {
      progress.push(p);
    }
  });
  expect(r.res.status).toBe(200);
  expect(progress[0]).toBe(0);
  expect(progress[progress.length - 1]).toBe(1);
  expect(progress.length).toBe(6 + 2); // 0, one per part, 1

  const head = await client().head('mp/weights.bin');
  expect(head.res.headers.etag).toBe(multipartEtag(data, 256 * 1024));
  expect(head.res.headers['x-oss-hash-crc64ecma']).toBe(crc64ref.crc64(data));
  expect(head.res.headers['x-oss-object-type']).toBe('Multipart');
  expect(head.meta).toEqual({ sha256: 'feed' });
  expect((await body('mp/weights.bin')).equals(data)).toBe(true);
  const range = await client().get('mp/weights.bin', {
    headers: { Range: `bytes=${256 * 1024 - 5}-${256 * 1024 + 4}` }
  });
  expect(range.content.equals(data.subarray(256 * 1024 - 5, 256 * 1024 + 5))).toBe(true);
  expect(oss.listUploads()).toEqual([]);
});

test('checkpoint resume after a failed part uploads only the missing parts', async () => {
  const data = randomBytes(4 * 110 * 1024);
  const file = join(work, 'resume.bin');
  await writeFile(file, data);
  const c = client();
  let saved: { uploadId: string; doneParts: unknown[] } | undefined;
  const progress = (_p: number, cpt: { uploadId: string; doneParts: unknown[] } | null) => {
    if (cpt) saved = { ...cpt, doneParts: [...cpt.doneParts] };
  };
  faults.add({ service: 'oss', method: 'PUT', path: 'partNumber=3&', action: { kind: 'status', status: 500 } });
  const err = await failure(c.multipartUpload('mp/resume.bin', file, { partSize: 110 * 1024, parallel: 1, progress }));
  expect(err).toMatchObject({ code: 'InternalError', status: 500 });
  expect(saved?.doneParts).toHaveLength(2);
  expect(oss.listUploads()).toEqual([{ key: 'mp/resume.bin', uploadId: saved!.uploadId, parts: 2 }]);
  expect(oss.listKeys('mp/resume')).toEqual([]);

  const before = faults.recorded('oss').length;
  await c.multipartUpload('mp/resume.bin', file, { checkpoint: saved, partSize: 110 * 1024, parallel: 1, progress });
  const sent = faults
    .recorded('oss')
    .slice(before)
    .map((r) => `${r.method} ${r.url.replace(/uploadId=\w+/, 'U')}`);
  expect(sent).toEqual([
    'PUT /models/mp/resume.bin?partNumber=3&U',
    'PUT /models/mp/resume.bin?partNumber=4&U',
    'POST /models/mp/resume.bin?U'
  ]);
  expect((await body('mp/resume.bin')).equals(data)).toBe(true);
  expect(oss.headObject('mp/resume.bin')?.crc64).toBe(crc64ref.crc64(data));
  expect(oss.listUploads()).toEqual([]);
});

test('an object is invisible until Complete; listParts shows what was uploaded', async () => {
  const c = client({ cname: true });
  const init = await c.initMultipartUpload('mp/hidden.bin', { meta: { stage: 'sync' } });
  expect(init.uploadId).toMatch(/^[0-9A-F]{32}$/);
  const p1 = randomBytes(100 * 1024);
  const p2 = randomBytes(10);
  const r1 = await c.uploadPart('mp/hidden.bin', init.uploadId, 1, p1, 0, p1.length);
  expect(r1.etag).toBe(`"${md5(p1).toString('hex').toUpperCase()}"`);
  expect(r1.res.headers['x-oss-hash-crc64ecma']).toBe(crc64ref.crc64(p1));

  expect((await failure(c.head('mp/hidden.bin'))).status).toBe(404);
  expect((await failure(c.get('mp/hidden.bin'))).code).toBe('NoSuchKey');
  expect((await c.listV2({ prefix: 'mp/hidden' })).objects ?? []).toEqual([]);

  const r2 = await c.uploadPart('mp/hidden.bin', init.uploadId, 2, p2, 0, p2.length);
  const parts = await c.listParts('mp/hidden.bin', init.uploadId);
  const list = [parts.parts].flat();
  expect(list.map((p: { PartNumber: string; Size: string; ETag: string }) => [p.PartNumber, p.Size, p.ETag])).toEqual([
    ['1', String(p1.length), r1.etag],
    ['2', '10', r2.etag]
  ]);
  // One part comes back as an object, not an array (an xml2js quirk the product must handle).
  const one = await c.listParts('mp/hidden.bin', init.uploadId, { 'max-parts': '1' });
  expect(Array.isArray(one.parts)).toBe(false);
  expect(one.isTruncated).toBe('true');
  expect(one.nextPartNumberMarker).toBe('1');

  await c.completeMultipartUpload('mp/hidden.bin', init.uploadId, [
    { number: 1, etag: r1.etag },
    { number: 2, etag: r2.etag }
  ]);
  expect((await c.head('mp/hidden.bin')).meta).toEqual({ stage: 'sync' });
  expect((await body('mp/hidden.bin')).equals(Buffer.concat([p1, p2]))).toBe(true);
  expect((await failure(c.listParts('mp/hidden.bin', init.uploadId))).code).toBe('NoSuchUpload');
});

test('abort (204) discards the upload; later calls on it are NoSuchUpload', async () => {
  const c = client();
  const init = await c.initMultipartUpload('mp/aborted.bin');
  await c.uploadPart('mp/aborted.bin', init.uploadId, 1, Buffer.alloc(1000, 7), 0, 1000);
  const listed = await c.listUploads({ prefix: 'mp/aborted' });
  expect(listed.uploads).toEqual([expect.objectContaining({ name: 'mp/aborted.bin', uploadId: init.uploadId })]);
  expect(oss.listUploads(oss.bucket)).toContainEqual({ key: 'mp/aborted.bin', uploadId: init.uploadId, parts: 1 });

  const ab = await c.abortMultipartUpload('mp/aborted.bin', init.uploadId);
  expect(ab.res.status).toBe(204);
  expect((await c.listUploads({ prefix: 'mp/aborted' })).uploads).toEqual([]);
  const again = await failure(c.uploadPart('mp/aborted.bin', init.uploadId, 2, Buffer.alloc(10), 0, 10));
  expect(again).toMatchObject({ code: 'NoSuchUpload', status: 404 });
  expect((await failure(c.abortMultipartUpload('mp/aborted.bin', init.uploadId))).code).toBe('NoSuchUpload');
  expect(oss.listKeys('mp/aborted')).toEqual([]);
});

test('uploadPartCopy builds an object from ranges of another', async () => {
  const c = client();
  const src = randomBytes(300 * 1024);
  await c.put('mp/copy-src.bin', src);
  const { uploadId } = await c.initMultipartUpload('mp/copy-dst.bin');
  const from = { sourceKey: 'mp/copy-src.bin', sourceBucketName: oss.bucket };
  const p1 = await c.uploadPartCopy('mp/copy-dst.bin', uploadId, 1, `0-${200 * 1024 - 1}`, from);
  const p2 = await c.uploadPartCopy('mp/copy-dst.bin', uploadId, 2, `${200 * 1024}-${src.length - 1}`, from);
  expect(p1.etag).toBe(
    `"${md5(src.subarray(0, 200 * 1024))
      .toString('hex')
      .toUpperCase()}"`
  );
  await c.completeMultipartUpload('mp/copy-dst.bin', uploadId, [
    { number: 1, etag: p1.etag },
    { number: 2, etag: p2.etag }
  ]);
  expect((await body('mp/copy-dst.bin')).equals(src)).toBe(true);
  expect(oss.headObject('mp/copy-dst.bin')?.crc64).toBe(crc64ref.crc64(src));
});

test('listUploads pages with key-marker and upload-id-marker', async () => {
  const c = client();
  const ids: string[] = [];
  for (const k of ['lu/a', 'lu/b', 'lu/c']) ids.push((await c.initMultipartUpload(k)).uploadId);
  const p1 = await c.listUploads({ prefix: 'lu/', 'max-uploads': 2 });
  expect(p1.uploads.map((u: { name: string }) => u.name)).toEqual(['lu/a', 'lu/b']);
  expect(p1.isTruncated).toBe(true);
  const p2 = await c.listUploads({
    prefix: 'lu/',
    'max-uploads': 2,
    'key-marker': p1.nextKeyMarker,
    'upload-id-marker': p1.nextUploadIdMarker
  });
  expect(p2.uploads.map((u: { name: string }) => u.name)).toEqual(['lu/c']);
  expect(p2.isTruncated).toBe(false);
  await Promise.all(['lu/a', 'lu/b', 'lu/c'].map((k, i) => c.abortMultipartUpload(k, ids[i])));
});

describe('Complete refuses what OSS refuses', () => {
  let c: Client;
  let uploadId: string;
  const etags: string[] = [];

  beforeAll(async () => {
    c = client();
    uploadId = (await c.initMultipartUpload('mp/checks.bin')).uploadId;
    for (const [n, size] of [
      [1, 100 * 1024],
      [2, 50 * 1024],
      [3, 100]
    ]) {
      etags[n] = (await c.uploadPart('mp/checks.bin', uploadId, n, randomBytes(size), 0, size)).etag;
    }
  });

  test('parts out of order: 400 InvalidPartOrder', async () => {
    const err = await failure(
      rawComplete(c, 'mp/checks.bin', uploadId, [
        { number: 2, etag: etags[2] },
        { number: 1, etag: etags[1] }
      ])
    );
    expect(err).toMatchObject({ code: 'InvalidPartOrder', status: 400 });
  });

  test('a wrong ETag or a part never uploaded: 400 InvalidPart', async () => {
    const wrong = await failure(c.completeMultipartUpload('mp/checks.bin', uploadId, [{ number: 1, etag: etags[3] }]));
    expect(wrong).toMatchObject({ code: 'InvalidPart', status: 400 });
    const missing = await failure(
      c.completeMultipartUpload('mp/checks.bin', uploadId, [{ number: 9, etag: etags[1] }])
    );
    expect(missing).toMatchObject({ code: 'InvalidPart', status: 400 });
  });

  test('a part under 100 KB that is not the last: 400 EntityTooSmall', async () => {
    const err = await failure(
      c.completeMultipartUpload('mp/checks.bin', uploadId, [
        { number: 2, etag: etags[2] },
        { number: 3, etag: etags[3] }
      ])
    );
    expect(err).toMatchObject({ code: 'EntityTooSmall', status: 400 });
  });

  test('part numbers outside 1..10000: 400 InvalidArgument', async () => {
    const err = await failure(c.uploadPart('mp/checks.bin', uploadId, 10001, Buffer.alloc(1), 0, 1));
    expect(err).toMatchObject({ code: 'InvalidArgument', status: 400 });
  });

  test('an unknown upload id: 404 NoSuchUpload', async () => {
    const err = await failure(
      c.completeMultipartUpload('mp/checks.bin', 'F'.repeat(32), [{ number: 1, etag: etags[1] }])
    );
    expect(err).toMatchObject({ code: 'NoSuchUpload', status: 404 });
  });

  test('after the failures the upload still completes with a valid list (parts 1 and 3)', async () => {
    await c.completeMultipartUpload('mp/checks.bin', uploadId, [
      { number: 1, etag: etags[1] },
      { number: 3, etag: etags[3] }
    ]);
    expect(oss.headObject('mp/checks.bin')?.size).toBe(100 * 1024 + 100);
  });
});

test('a 200 MiB multipart object streams through without the process holding it', async () => {
  const size = 200 * 1024 * 1024;
  const file = join(work, 'big.bin');
  const block = randomBytes(1024 * 1024);
  const expectedCrc = new Crc64();
  const expectedMd5 = createHash('md5');
  const fh = await open(file, 'w');
  for (let i = 0; i < size / block.length; i++) {
    block.writeUInt32LE(i, 0); // every MiB differs
    expectedCrc.update(block);
    expectedMd5.update(block);
    await fh.write(block);
  }
  await fh.close();
  // Warm up (JIT, buffer pools, heap growth: a one-off ~70 MiB) so the measurement shows per-byte growth only.
  const warm = join(work, 'warm.bin');
  await writeFile(warm, randomBytes(24 * 1024 * 1024));
  await client().multipartUpload('big/warm.bin', warm, { partSize: 8 * 1024 * 1024, parallel: 4 });
  await rm(warm);

  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    await client().multipartUpload('big/model.bin', file, { partSize: 8 * 1024 * 1024, parallel: 4 });
    const md5 = createHash('md5');
    for await (const chunk of oss.readObject('big/model.bin')!) md5.update(chunk as Buffer);
    expect(md5.digest('hex')).toBe(expectedMd5.digest('hex'));
  } finally {
    clearInterval(sampler);
  }
  expect(oss.headObject('big/model.bin')).toMatchObject({ size, crc64: expectedCrc.digest() });
  expect(peak - base).toBeLessThan(size / 2);
  await rm(file);
});
