/**
 * Object operations: PutObject, CopyObject, GetObject (Range, conditions), HeadObject, DeleteObject, DeleteMultipleObjects.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { E, OssError } from './errors.js';
import { readSmall, send, sendXml, type Ctx } from './http.js';
import type { DiskStore, ObjectRecord, Received } from './store.js';
import { children, doc, el, rootElement, text } from './xml.js';

export const MAX_OBJECT = 5 * 1024 ** 3;
const MAX_META = 8 * 1024;

export interface Service {
  store: DiskStore;
  bucket: string;
  region: string;
  now(): number;
}

export function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** OSS dates have second precision (`2026-11-25T14:43:42.000Z`). */
export function isoDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** `x-oss-forbid-overwrite: true` makes a write fail when the key exists. */
export function checkOverwrite(svc: Service, h: IncomingHttpHeaders, key: string): void {
  if (one(h, 'x-oss-forbid-overwrite') === 'true' && svc.store.objects.has(key)) {
    throw new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.');
  }
}

/** x-oss-meta-* headers (Node has lower-cased the names), checked against the service's limits. */
export function userMeta(h: IncomingHttpHeaders): Record<string, string> {
  const meta: Record<string, string> = {};
  let total = 0;
  for (const [k, v] of Object.entries(h)) {
    if (!k.startsWith('x-oss-meta-')) continue;
    const name = k.slice('x-oss-meta-'.length);
    const value = Array.isArray(v) ? v.join(',') : (v ?? '');
    if (!/^[a-z0-9-]+$/.test(name)) {
      throw E.invalidArgument('The user metadata key contains invalid characters.', k, value, '0011-00000004');
    }
    total += Buffer.byteLength(k) + Buffer.byteLength(value);
    meta[name] = value;
  }
  if (total > MAX_META) {
    throw E.invalidArgument(
      'Your metadata headers exceed the maximum allowed metadata size (8 KB).',
      'x-oss-meta-*',
      String(total),
      '0011-00000002'
    );
  }
  return meta;
}

/** The Content-MD5 request header as 16 bytes, or undefined when absent. */
export function contentMd5(h: IncomingHttpHeaders): Buffer | undefined {
  const v = one(h, 'content-md5');
  if (v === undefined) return undefined;
  const b = Buffer.from(v, 'base64');
  if (b.length !== 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) {
    throw new OssError(
      400,
      'InvalidDigest',
      'The Content-MD5 you specified is not valid.',
      [['Content-MD5', v]],
      '0017-00000502'
    );
  }
  return b;
}

export function checkLength(h: IncomingHttpHeaders): void {
  const len = one(h, 'content-length');
  if (len !== undefined && Number(len) > MAX_OBJECT) throw E.entityTooLarge();
}

/** Rejects a body whose MD5 is not the one announced (and drops its temp file). */
export async function verifyMd5(
  store: DiskStore,
  body: Received,
  expected: Buffer | undefined,
  raw?: string
): Promise<void> {
  if (expected && !expected.equals(body.md5)) {
    await store.discard(body.tmp);
    throw E.invalidDigest(raw ?? '');
  }
}

function objectHeaders(rec: ObjectRecord): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    'Content-Type': rec.contentType,
    ETag: rec.etag,
    'Last-Modified': httpDate(rec.lastModified),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': rec.type,
    'x-oss-storage-class': 'Standard',
    'x-oss-hash-crc64ecma': rec.crc64.toString()
  };
  if (rec.type === 'Normal') h['Content-MD5'] = Buffer.from(rec.etag.slice(1, -1), 'hex').toString('base64');
  for (const [k, v] of Object.entries(rec.meta)) h[`x-oss-meta-${k}`] = v;
  return h;
}

/** The object named by `x-oss-copy-source: /<bucket>/<url-encoded key>`. */
export function copySource(svc: Service, h: IncomingHttpHeaders): ObjectRecord {
  const raw = one(h, 'x-oss-copy-source') ?? '';
  const m = /^\/([^/]+)\/([^?]+)(\?.*)?$/.exec(raw);
  if (!m)
    throw E.invalidArgument(
      'Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.',
      'x-oss-copy-source',
      raw
    );
  if (m[3]) throw E.notImplemented('copying a version (versionId)');
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(m[1]);
    key = decodeURIComponent(m[2]);
  } catch {
    throw E.invalidArgument('The copy source is not valid.', 'x-oss-copy-source', raw);
  }
  if (bucket !== svc.bucket) throw E.noSuchBucket(bucket);
  const rec = svc.store.objects.get(key);
  if (!rec) throw E.noSuchKey(key);
  return rec;
}

/** x-oss-copy-source-if-* : 412 for If-Match / If-Unmodified-Since, 304 for If-None-Match / If-Modified-Since. */
function copyConditions(h: IncomingHttpHeaders, src: ObjectRecord): 304 | undefined {
  const lastSec = Math.floor(src.lastModified / 1000) * 1000;
  const ifMatch = one(h, 'x-oss-copy-source-if-match');
  const ifUnmod = one(h, 'x-oss-copy-source-if-unmodified-since');
  if ((ifMatch && !etagMatches(ifMatch, src.etag)) || (ifUnmod && lastSec > Date.parse(ifUnmod))) {
    throw new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', [
      ['Condition', ifMatch ? 'x-oss-copy-source-if-match' : 'x-oss-copy-source-if-unmodified-since']
    ]);
  }
  const ifNone = one(h, 'x-oss-copy-source-if-none-match');
  const ifMod = one(h, 'x-oss-copy-source-if-modified-since');
  if ((ifNone && etagMatches(ifNone, src.etag)) || (!ifNone && ifMod && lastSec <= Date.parse(ifMod))) return 304;
  return undefined;
}

async function copyObject(svc: Service, ctx: Ctx, key: string): Promise<void> {
  const h = ctx.req.headers;
  const src = copySource(svc, h);
  const directive = (one(h, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw E.invalidArgument('Unknown metadata directive.', 'x-oss-metadata-directive', directive);
  }
  if (copyConditions(h, src) === 304) {
    await send(ctx, 304, { ETag: src.etag });
    return;
  }
  checkOverwrite(svc, h, key);
  const replace = directive === 'REPLACE';
  const rec = await svc.store.copyObject(src, {
    key,
    size: src.size,
    etag: src.etag,
    crc64: src.crc64,
    meta: replace ? userMeta(h) : { ...src.meta },
    contentType: replace ? one(h, 'content-type') || 'application/octet-stream' : src.contentType,
    lastModified: svc.now(),
    type: src.type
  });
  await sendXml(
    ctx,
    200,
    doc('CopyObjectResult', el('ETag', rec.etag) + el('LastModified', isoDate(rec.lastModified))),
    { ETag: rec.etag, 'x-oss-hash-crc64ecma': rec.crc64.toString() }
  );
}

export async function putObject(svc: Service, ctx: Ctx, key: string): Promise<void> {
  const h = ctx.req.headers;
  if (h['x-oss-copy-source'] !== undefined) return copyObject(svc, ctx, key);
  checkLength(h);
  checkOverwrite(svc, h, key);
  const meta = userMeta(h);
  const md5 = contentMd5(h);
  const body = await svc.store.receive(ctx.req, MAX_OBJECT, (n) => ctx.paceUp?.(n) ?? Promise.resolve());
  await verifyMd5(svc.store, body, md5, one(h, 'content-md5'));
  try {
    checkOverwrite(svc, h, key);
  } catch (e) {
    await svc.store.discard(body.tmp);
    throw e;
  }
  const rec = await svc.store.putObject(
    {
      key,
      size: body.size,
      etag: `"${body.md5.toString('hex').toUpperCase()}"`,
      crc64: body.crc64,
      meta,
      contentType: one(h, 'content-type') || 'application/octet-stream',
      lastModified: svc.now(),
      type: 'Normal'
    },
    body
  );
  await send(ctx, 200, {
    ETag: rec.etag,
    'Content-MD5': body.md5.toString('base64'),
    'x-oss-hash-crc64ecma': rec.crc64.toString()
  });
}

type Range = { start: number; end: number } | 'ignore' | 'unsatisfiable';

/** OSS ignores an invalid Range (whole object, 200) unless `x-oss-range-behavior: standard` is sent. */
function parseRange(header: string | undefined, size: number): Range {
  if (!header) return 'ignore';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'ignore';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(list: string, etag: string): boolean {
  return list
    .split(',')
    .map((s) => s.trim())
    .some((s) => s === '*' || s.replace(/"/g, '').toUpperCase() === etag.replace(/"/g, ''));
}

export async function getObject(svc: Service, ctx: Ctx, key: string): Promise<void> {
  const rec = svc.store.objects.get(key);
  if (!rec) throw E.noSuchKey(key);
  const h = ctx.req.headers;
  const headers = objectHeaders(rec);
  const ifMatch = one(h, 'if-match');
  const ifNone = one(h, 'if-none-match');
  const ifMod = one(h, 'if-modified-since');
  const ifUnmod = one(h, 'if-unmodified-since');
  const lastSec = Math.floor(rec.lastModified / 1000) * 1000;
  if ((ifMatch && !etagMatches(ifMatch, rec.etag)) || (ifUnmod && lastSec > Date.parse(ifUnmod))) {
    throw new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', [
      ['Condition', ifMatch ? 'If-Match' : 'If-Unmodified-Since']
    ]);
  }
  if ((ifNone && etagMatches(ifNone, rec.etag)) || (!ifNone && ifMod && lastSec <= Date.parse(ifMod))) {
    await send(ctx, 304, { ETag: rec.etag, 'Last-Modified': headers['Last-Modified'] });
    return;
  }
  const range = parseRange(one(h, 'range'), rec.size);
  if (range === 'unsatisfiable' && one(h, 'x-oss-range-behavior') === 'standard') {
    throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied', [
      ['RangeRequested', one(h, 'range') ?? ''],
      ['ActualObjectSize', String(rec.size)]
    ]);
  }
  if (typeof range === 'object') {
    const length = range.end - range.start + 1;
    delete headers['Content-MD5'];
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${rec.size}`;
    headers['Content-Length'] = length;
    const body = ctx.req.method === 'HEAD' ? undefined : svc.store.read(rec, range.start, range.end);
    await send(ctx, 206, headers, body, length);
    return;
  }
  headers['Content-Length'] = rec.size;
  const body = ctx.req.method === 'HEAD' || rec.size === 0 ? undefined : svc.store.read(rec);
  await send(ctx, 200, headers, body, rec.size);
}

export async function deleteObject(svc: Service, ctx: Ctx, key: string): Promise<void> {
  svc.store.deleteObject(key);
  await send(ctx, 204, {});
}

/** POST /?delete */
export async function deleteMultiple(svc: Service, ctx: Ctx, q: Map<string, string>): Promise<void> {
  const md5 = contentMd5(ctx.req.headers);
  const raw = await readSmall(ctx.req, 2 * 1024 * 1024);
  if (!raw) throw E.malformedXml();
  if (md5 && !md5.equals(createHash('md5').update(raw).digest())) {
    throw E.invalidDigest(one(ctx.req.headers, 'content-md5') ?? '');
  }
  const inner = rootElement(raw.toString('utf8'), 'Delete');
  if (inner === undefined) throw E.malformedXml();
  const url = q.get('encoding-type') === 'url';
  const keys = children(inner, 'Object').map((o) => text(o, 'Key') ?? '');
  if (keys.length === 0 || keys.length > 1000) throw E.malformedXml();
  const quiet = text(inner, 'Quiet') === 'true';
  for (const k of keys) svc.store.deleteObject(k);
  const body = quiet
    ? ''
    : keys.map((k) => `<Deleted>${el('Key', url ? encodeURIComponent(k) : k)}</Deleted>`).join('');
  await sendXml(ctx, 200, doc('DeleteResult', (url ? el('EncodingType', 'url') : '') + body));
}
