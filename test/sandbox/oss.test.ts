/**
 * The sandbox OSS against the real ali-oss 6.23 client: objects, addressing styles, listing, names, errors,
 * faults and the CRC-64 header (checked with crc64-ecma182.js, which the sandbox does not use).
 */
import crc64ref from 'crc64-ecma182.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultRegistry } from '../../sandbox/faults.js';
import { Crc64, crc64, crc64Combine } from '../../sandbox/oss/crc64.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { aliOss, failure, type Client } from './oss-client.js';

let oss: OssHandle;
let root: string;
const faults = new FaultRegistry();

const client = (extra: Record<string, unknown> = {}): Client => aliOss(oss, { ...extra });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oss-test-'));
  oss = await startOss({ faults, root });
});

afterAll(async () => {
  await oss.stop();
  await rm(root, { recursive: true, force: true });
});

afterEach(() => faults.reset());

describe('CRC-64/ECMA-182', () => {
  test('matches crc64-ecma182.js on edge sizes and random data', () => {
    expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
    for (const n of [0, 1, 7, 8, 9, 15, 16, 255, 4096, 100_003]) {
      const b = randomBytes(n);
      expect(crc64(b)).toBe(crc64ref.crc64(b));
    }
  });

  test('incremental updates and combination equal the CRC of the whole', () => {
    const a = randomBytes(70_001);
    const b = randomBytes(33_333);
    const whole = crc64ref.crc64(Buffer.concat([a, b]));
    expect(new Crc64().update(a.subarray(0, 5)).update(a.subarray(5)).update(b).digest()).toBe(whole);
    const combined = crc64Combine(new Crc64().update(a).value(), new Crc64().update(b).value(), b.length);
    expect(combined.toString()).toBe(whole);
  });
});

describe('objects', () => {
  test.each([
    ['cname', { cname: true }],
    ['sldEnable (path style)', { sldEnable: true }],
    ['plain (IP endpoint, bucket in Host)', {}],
    ['V4 signatures', { authorizationV4: true }]
  ])('put, head, get, ranged get, delete with %s', async (_name, mode) => {
    const c = client(mode);
    const key = `styles/${_name.split(' ')[0]}/a b+c.txt`;
    const body = Buffer.from('hello, sandbox oss');
    const put = await c.put(key, body, { meta: { sha256: 'abc', Source: 'Hub' } });
    expect(put.res.status).toBe(200);
    const md5 = createHash('md5').update(body).digest('hex').toUpperCase();
    expect(put.res.headers.etag).toBe(`"${md5}"`);
    expect(put.res.headers['x-oss-hash-crc64ecma']).toBe(crc64ref.crc64(body));
    expect(put.res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);

    const head = await c.head(key);
    expect(head.status).toBe(200);
    expect(head.meta).toEqual({ sha256: 'abc', source: 'Hub' });
    expect(head.res.headers['content-length']).toBe(String(body.length));
    expect(head.res.headers['content-type']).toBe('text/plain');
    expect(head.res.headers['last-modified']).toBeDefined();

    const full = await c.get(key);
    expect(full.content.equals(body)).toBe(true);
    expect(full.res.headers['x-oss-hash-crc64ecma']).toBe(crc64ref.crc64(body));

    const part = await c.get(key, { headers: { Range: 'bytes=7-13' } });
    expect(part.res.status).toBe(206);
    expect(part.content.toString()).toBe('sandbox');
    expect(part.res.headers['content-range']).toBe(`bytes 7-13/${body.length}`);
    const tail = await c.get(key, { headers: { Range: 'bytes=-3' } });
    expect(tail.content.toString()).toBe('oss');

    expect(oss.headObject(key)?.crc64).toBe(crc64ref.crc64(body));
    expect((await c.delete(key)).res.status).toBe(204);
    expect((await failure(c.head(key))).status).toBe(404);
    expect((await c.delete(key)).res.status).toBe(204); // deleting a missing key succeeds, as on OSS
  });

  test('missing objects: GET gives NoSuchKey XML, HEAD a body-less 404', async () => {
    const c = client({ cname: true });
    const get = await failure(c.get('nothing/here.bin'));
    expect(get).toMatchObject({ name: 'NoSuchKeyError', code: 'NoSuchKey', status: 404 });
    expect(get.requestId).toMatch(/^[0-9A-F]{24}$/);
    const head = await failure(c.head('nothing/here.bin'));
    expect(head).toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  test('an invalid range returns the whole object (OSS default), 416 with standard range behaviour', async () => {
    const c = client({ cname: true });
    await c.put('range/r.bin', Buffer.from('0123456789'));
    const r = await c.get('range/r.bin', { headers: { Range: 'bytes=20-30' } });
    expect(r.res.status).toBe(200);
    expect(r.content.toString()).toBe('0123456789');
    const std = await failure(
      c.get('range/r.bin', { headers: { Range: 'bytes=20-30', 'x-oss-range-behavior': 'standard' } })
    );
    expect(std).toMatchObject({ code: 'InvalidRange', status: 416 });
  });

  test('Content-MD5 is checked: a mismatch is 400 InvalidDigest and stores nothing', async () => {
    const c = client({ cname: true });
    const wrong = createHash('md5').update('something else').digest('base64');
    const err = await failure(c.put('md5/x.bin', Buffer.from('payload'), { headers: { 'Content-MD5': wrong } }));
    expect(err).toMatchObject({ code: 'InvalidDigest', status: 400 });
    expect(oss.listKeys('md5/')).toEqual([]);
  });

  test('user metadata over 8 KB is rejected', async () => {
    const c = client({ cname: true });
    const err = await failure(c.put('meta/big.bin', Buffer.from('x'), { meta: { big: 'v'.repeat(9000) } }));
    expect(err).toMatchObject({ code: 'InvalidArgument', status: 400 });
  });

  test.each([
    ['longer than 1023 bytes', 'k/' + 'x'.repeat(1022)],
    ['with a NUL byte', 'k/a\u0000b']
  ])('a key %s is 400 InvalidObjectName and writes nothing', async (_why, key) => {
    const c = client({ sldEnable: true });
    const err = await failure(c.put(key, Buffer.from('x')));
    expect(err).toMatchObject({ code: 'InvalidObjectName', status: 400 });
    expect(oss.listKeys()).not.toContain(key);
  });

  test('a key with a .. segment is 400 InvalidObjectName (raw request: ali-oss would resolve the ..)', async () => {
    const c = client({ sldEnable: true });
    const path = `/${oss.bucket}/k/../escape.txt`;
    const headers: Record<string, string> = { 'x-oss-date': new Date().toUTCString(), 'content-type': 'text/plain' };
    headers.authorization = c.authorization('PUT', path, {}, headers);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const port = Number(new URL(oss.endpoint).port);
      // Options, not a URL string: a URL would resolve the `..` before sending.
      const req = request({ host: '127.0.0.1', port, path, method: 'PUT', headers }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.on('error', reject);
      req.end('x');
    });
    expect(status).toBe(400);
    expect(body).toContain('<Code>InvalidObjectName</Code>');
    expect(oss.listKeys()).not.toContain('escape.txt');
  });

  test('a key of exactly 1023 bytes is accepted', async () => {
    const c = client({ cname: true });
    const key = 'k/' + 'y'.repeat(1021);
    await c.put(key, Buffer.from('ok'));
    expect((await c.get(key)).content.toString()).toBe('ok');
    await c.delete(key);
  });

  test('a wrong bucket is 404 NoSuchBucket (Host and path style)', async () => {
    for (const mode of [{ cname: true }, { sldEnable: true }, {}]) {
      const err = await failure(client({ ...mode, bucket: 'other-bucket' }).put('x.txt', Buffer.from('x')));
      expect(err).toMatchObject({ code: 'NoSuchBucket', status: 404 });
    }
  });

  test('a request without credentials is 403 AccessDenied', async () => {
    const res = await fetch(`${oss.endpoint}/${oss.bucket}/anything.txt`);
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toMatch(/<RequestId>[0-9A-F]{24}<\/RequestId>/);
    expect(xml).toContain('<HostId>');
  });

  test('a presigned GET URL works until it expires', async () => {
    // ali-oss refuses to presign for an IP endpoint; a cname hostname endpoint serves the one bucket.
    const c = client({ cname: true, endpoint: oss.endpoint.replace('127.0.0.1', 'localhost') });
    await c.put('signed/url.txt', Buffer.from('via url'));
    const res = await fetch(c.signatureUrl('signed/url.txt', { expires: 60 }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('via url');
    const expired = await fetch(c.signatureUrl('signed/url.txt', { expires: -10 }));
    expect(expired.status).toBe(403);
  });

  test('x-oss-forbid-overwrite: true refuses to replace an object (409 FileAlreadyExists)', async () => {
    const c = client({ cname: true });
    const headers = { 'x-oss-forbid-overwrite': 'true' };
    await c.put('once/x.txt', Buffer.from('first'), { headers });
    const err = await failure(c.put('once/x.txt', Buffer.from('second'), { headers }));
    expect(err).toMatchObject({ code: 'FileAlreadyExists', status: 409 });
    expect((await c.get('once/x.txt')).content.toString()).toBe('first');
  });

  test('copy keeps data, CRC and metadata (COPY) or replaces metadata (REPLACE); the copy outlives its source', async () => {
    const c = client({ cname: true });
    const body = randomBytes(300 * 1024);
    await c.put('copy/src.bin', body, { meta: { sha256: 'aa' } });
    const kept = await c.copy('copy/kept.bin', 'copy/src.bin');
    expect(kept.res.status).toBe(200);
    expect(kept.data.etag).toBe(oss.headObject('copy/src.bin')?.etag);
    expect(oss.headObject('copy/kept.bin')?.meta).toEqual({ sha256: 'aa' });
    // As the product calls it: new metadata, directive REPLACE.
    await c.copy('copy/replaced.bin', 'copy/src.bin', {
      meta: { sha256: 'bb', commit: 'c0ffee' },
      headers: { 'x-oss-metadata-directive': 'REPLACE' }
    });
    const head = await c.head('copy/replaced.bin');
    expect(head.meta).toEqual({ sha256: 'bb', commit: 'c0ffee' });
    expect(head.res.headers['x-oss-hash-crc64ecma']).toBe(crc64ref.crc64(body));
    await c.delete('copy/src.bin');
    expect((await c.get('copy/replaced.bin')).content.equals(body)).toBe(true);
    const missing = await failure(c.copy('copy/none.bin', 'copy/src.bin'));
    expect(missing).toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  test('deleteMulti removes several keys', async () => {
    const c = client({ cname: true });
    await Promise.all(['dm/1', 'dm/2', 'dm/3'].map((k) => c.put(k, Buffer.from(k))));
    const r = await c.deleteMulti(['dm/1', 'dm/2']);
    expect(r.deleted.map((d: { Key: string }) => d.Key).sort()).toEqual(['dm/1', 'dm/2']);
    expect(oss.listKeys('dm/')).toEqual(['dm/3']);
  });
});

describe('listing', () => {
  const keys = ['list/a.txt', 'list/b/1.txt', 'list/b/2.txt', 'list/c.txt', 'list/d/x/y.txt', 'list/e.txt'];

  beforeAll(async () => {
    const c = client({ cname: true });
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
  });

  test('listV2 pages with continuation tokens through every key', async () => {
    const c = client({ cname: true });
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const r: Client = await c.listV2({
        prefix: 'list/',
        'max-keys': '2',
        ...(token ? { 'continuation-token': token } : {})
      });
      seen.push(...(r.objects ?? []).map((o: { name: string }) => o.name));
      expect(Number(r.keyCount)).toBe((r.objects ?? []).length);
      token = r.nextContinuationToken;
      expect(r.isTruncated).toBe(token !== null);
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  test('listV2 with a delimiter rolls up common prefixes, and pages over them', async () => {
    const c = client({ sldEnable: true });
    const r = await c.listV2({ prefix: 'list/', delimiter: '/', 'max-keys': '100' });
    expect(r.objects.map((o: { name: string }) => o.name)).toEqual(['list/a.txt', 'list/c.txt', 'list/e.txt']);
    expect(r.prefixes).toEqual(['list/b/', 'list/d/']);
    const p1 = await c.listV2({ prefix: 'list/', delimiter: '/', 'max-keys': '2' });
    expect([...(p1.objects ?? []).map((o: { name: string }) => o.name), ...(p1.prefixes ?? [])]).toEqual([
      'list/a.txt',
      'list/b/'
    ]);
    const p2 = await c.listV2({
      prefix: 'list/',
      delimiter: '/',
      'max-keys': '2',
      'continuation-token': p1.nextContinuationToken
    });
    expect([...(p2.objects ?? []).map((o: { name: string }) => o.name), ...(p2.prefixes ?? [])]).toEqual([
      'list/c.txt',
      'list/d/'
    ]);
  });

  test('listV2 honours start-after, and its objects carry size, etag and date', async () => {
    const c = client({ authorizationV4: true });
    const r = await c.listV2({ prefix: 'list/', 'start-after': 'list/c.txt' });
    expect(r.objects.map((o: { name: string }) => o.name)).toEqual(['list/d/x/y.txt', 'list/e.txt']);
    expect(r.objects[1]).toMatchObject({ size: 'list/e.txt'.length, type: 'Normal', storageClass: 'Standard' });
    expect(r.objects[1].etag).toMatch(/^"[0-9A-F]{32}"$/);
    expect(new Date(r.objects[1].lastModified).getTime()).toBeGreaterThan(0);
  });

  test('max-keys above 1000 is rejected', async () => {
    const err = await failure(client({ cname: true }).listV2({ 'max-keys': '1001' }));
    expect(err).toMatchObject({ code: 'InvalidArgument', status: 400 });
  });

  test('list (V1) pages with markers', async () => {
    const r = await client({ cname: true }).list({ prefix: 'list/', 'max-keys': 4 });
    expect(r.objects.map((o: { name: string }) => o.name)).toEqual(keys.slice(0, 4));
    expect(r.nextMarker).toBe('list/c.txt');
  });
});

describe('faults', () => {
  test('a status fault answers with the OSS error body', async () => {
    const c = client({ cname: true });
    await c.put('faults/a.txt', Buffer.from('x'));
    faults.add({ service: 'oss', method: 'GET', path: 'faults/a\\.txt', action: { kind: 'status', status: 503 } });
    const err = await failure(c.get('faults/a.txt'));
    expect(err).toMatchObject({ name: 'ServiceUnavailableError', code: 'ServiceUnavailable', status: 503 });
    expect((await c.get('faults/a.txt')).content.toString()).toBe('x');
  });

  test('a status fault with its own code', async () => {
    faults.add({ service: 'oss', action: { kind: 'status', status: 500, code: 'InternalError' } });
    const err = await failure(client({ cname: true }).put('faults/b.txt', Buffer.from('x')));
    expect(err).toMatchObject({ name: 'InternalErrorError', code: 'InternalError', status: 500 });
    expect(oss.listKeys('faults/b')).toEqual([]);
  });

  test('a reset fault before the head: ResponseError with status -1 (the PUT itself was applied)', async () => {
    const c = client({ cname: true });
    faults.add({ service: 'oss', method: 'PUT', action: { kind: 'reset', afterBytes: 0 } });
    const err = await failure(c.put('faults/c.bin', randomBytes(64 * 1024)));
    expect(err).toMatchObject({ name: 'ResponseError', code: 'ResponseError', status: -1 });
    expect(oss.listKeys('faults/c')).toEqual(['faults/c.bin']);
    faults.add({ service: 'oss', method: 'GET', action: { kind: 'reset', afterBytes: 0 } });
    expect(await failure(c.get('faults/c.bin'))).toMatchObject({ name: 'ResponseError', status: -1 });
  });

  test('a reset fault mid-body: the client gets a truncated response and fails', async () => {
    const c = client({ cname: true });
    await c.put('faults/c2.bin', randomBytes(64 * 1024));
    faults.add({ service: 'oss', method: 'GET', action: { kind: 'reset', afterBytes: 1000 } });
    // ali-oss reads the partial body as an error document, so the failure is an XML parse error.
    const err = await failure(c.get('faults/c2.bin'));
    expect(err.message).toMatch(/raw xml/);
  });

  test('a corrupt fault flips one byte in transit, not on disk', async () => {
    const c = client({ cname: true });
    const body = randomBytes(4096);
    await c.put('faults/d.bin', body);
    faults.add({ service: 'oss', method: 'GET', action: { kind: 'corrupt', atByte: 100 } });
    const got = (await c.get('faults/d.bin')).content as Buffer;
    expect(got.length).toBe(body.length);
    expect(got[100]).toBe(body[100] ^ 0xff);
    expect(got.subarray(101).equals(body.subarray(101))).toBe(true);
    expect(crc64ref.crc64(got)).not.toBe(oss.headObject('faults/d.bin')?.crc64);
  });

  test('a delay fault delays, then serves normally; requests are recorded', async () => {
    faults.add({ service: 'oss', method: 'PUT', action: { kind: 'delay', ms: 20 } });
    await client({ cname: true }).put('faults/e.txt', Buffer.from('late'));
    expect(oss.listKeys('faults/e')).toEqual(['faults/e.txt']);
    const rec = faults.recorded('oss').find((r) => r.method === 'PUT' && r.url.includes('faults/e.txt'));
    expect(rec?.status).toBe(200);
  });
});
