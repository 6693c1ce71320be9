/**
 * Multipart upload: Initiate, UploadPart (and UploadPartCopy), Complete, ListParts, Abort, ListMultipartUploads.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { E } from './errors.js';
import { readSmall, send, sendXml, type Ctx } from './http.js';
import {
  checkLength,
  checkOverwrite,
  contentMd5,
  copySource,
  isoDate,
  MAX_OBJECT,
  one,
  userMeta,
  verifyMd5,
  type Service
} from './objects.js';
import type { PartRecord, UploadRecord } from './store.js';
import { children, doc, el, rootElement, text } from './xml.js';

const MIN_PART = 100 * 1024;

function upload(svc: Service, key: string, uploadId: string): UploadRecord {
  const u = svc.store.uploads.get(uploadId);
  if (!u || u.key !== key) throw E.noSuchUpload(uploadId);
  return u;
}

function intArg(q: Map<string, string>, name: string, def: number, min: number, max: number, message: string): number {
  const v = q.get(name);
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw E.invalidArgument(message, name, v);
  return n;
}

export async function initiate(svc: Service, ctx: Ctx, key: string): Promise<void> {
  const h = ctx.req.headers;
  const meta = userMeta(h);
  const u = svc.store.initiate({
    bucket: svc.bucket,
    key,
    initiated: svc.now(),
    meta,
    contentType: one(h, 'content-type') || 'application/octet-stream'
  });
  await sendXml(
    ctx,
    200,
    doc('InitiateMultipartUploadResult', el('Bucket', svc.bucket) + el('Key', key) + el('UploadId', u.uploadId))
  );
}

export async function uploadPart(svc: Service, ctx: Ctx, key: string, q: Map<string, string>): Promise<void> {
  const raw = q.get('partNumber') ?? '';
  const number = Number(raw);
  if (!/^\d+$/.test(raw) || number < 1 || number > 10000) {
    throw E.invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive.',
      'PartNumber',
      raw,
      '0017-00000220'
    );
  }
  const u = upload(svc, key, q.get('uploadId') ?? '');
  const copying = ctx.req.headers['x-oss-copy-source'] !== undefined;
  checkLength(ctx.req.headers);
  const md5 = copying ? undefined : contentMd5(ctx.req.headers);
  const body = await svc.store.receive(copying ? copiedRange(svc, ctx) : ctx.req, MAX_OBJECT, (n) =>
    copying ? Promise.resolve() : (ctx.paceUp?.(n) ?? Promise.resolve())
  );
  await verifyMd5(svc.store, body, md5, one(ctx.req.headers, 'content-md5'));
  if (svc.store.uploads.get(u.uploadId) !== u) {
    await svc.store.discard(body.tmp);
    throw E.noSuchUpload(u.uploadId);
  }
  const part = await svc.store.putPart(u, number, body, svc.now());
  if (copying) {
    await sendXml(
      ctx,
      200,
      doc('CopyPartResult', el('LastModified', isoDate(part.lastModified)) + el('ETag', part.etag)),
      { ETag: part.etag, 'x-oss-hash-crc64ecma': part.crc64.toString() }
    );
    return;
  }
  await send(ctx, 200, {
    ETag: part.etag,
    'Content-MD5': part.md5.toString('base64'),
    'x-oss-hash-crc64ecma': part.crc64.toString()
  });
}

/** UploadPartCopy: the source bytes `x-oss-copy-source-range: bytes=a-b` (inclusive) name, or the whole object. */
function copiedRange(svc: Service, ctx: Ctx): Readable {
  const src = copySource(svc, ctx.req.headers);
  const range = one(ctx.req.headers, 'x-oss-copy-source-range');
  if (range === undefined) return svc.store.read(src);
  const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
  if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= src.size) {
    throw E.invalidArgument('The x-oss-copy-source-range is not valid.', 'x-oss-copy-source-range', range);
  }
  return svc.store.read(src, Number(m[1]), Number(m[2]));
}

function normEtag(s: string): string {
  return s.replace(/"/g, '').trim().toUpperCase();
}

export async function complete(svc: Service, ctx: Ctx, key: string, q: Map<string, string>): Promise<void> {
  const u = upload(svc, key, q.get('uploadId') ?? '');
  const md5 = contentMd5(ctx.req.headers);
  const raw = await readSmall(ctx.req, 4 * 1024 * 1024);
  if (!raw) throw E.malformedXml();
  if (md5 && !md5.equals(createHash('md5').update(raw).digest())) {
    throw E.invalidDigest(one(ctx.req.headers, 'content-md5') ?? '');
  }
  let chosen: PartRecord[];
  if (one(ctx.req.headers, 'x-oss-complete-all') === 'yes') {
    if (raw.length) {
      throw E.invalidArgument('Should not specify both complete-all header and body.', 'x-oss-complete-all', 'yes');
    }
    chosen = [...u.parts.values()].sort((a, b) => a.number - b.number);
    if (chosen.length === 0) throw E.invalidPart();
  } else {
    const inner = rootElement(raw.toString('utf8'), 'CompleteMultipartUpload');
    if (inner === undefined) throw E.malformedXml();
    const listed = children(inner, 'Part').map((p) => ({
      number: Number(text(p, 'PartNumber')),
      etag: text(p, 'ETag') ?? ''
    }));
    if (listed.length === 0 || listed.some((p) => !Number.isInteger(p.number))) throw E.malformedXml();
    for (let i = 1; i < listed.length; i++) {
      if (listed[i].number <= listed[i - 1].number) throw E.invalidPartOrder();
    }
    chosen = listed.map((p) => {
      const part = u.parts.get(p.number);
      if (!part || normEtag(part.etag) !== normEtag(p.etag)) throw E.invalidPart();
      return part;
    });
  }
  for (const p of chosen.slice(0, -1)) {
    if (p.size < MIN_PART) throw E.entityTooSmall(p.number, p.size);
  }
  if (svc.store.uploads.get(u.uploadId) !== u) throw E.noSuchUpload(u.uploadId);
  checkOverwrite(svc, ctx.req.headers, key);
  const rec = await svc.store.complete(u, chosen, svc.now());
  const url = q.get('encoding-type') === 'url';
  const k = url ? encodeURIComponent(key) : key;
  await sendXml(
    ctx,
    200,
    doc(
      'CompleteMultipartUploadResult',
      (url ? el('EncodingType', 'url') : '') +
        el('Location', `http://${svc.bucket}.${svc.region}.aliyuncs.com/${encodeURI(key)}`) +
        el('Bucket', svc.bucket) +
        el('Key', k) +
        el('ETag', rec.etag)
    ),
    { ETag: rec.etag, 'x-oss-hash-crc64ecma': rec.crc64.toString() }
  );
}

export async function listParts(svc: Service, ctx: Ctx, key: string, q: Map<string, string>): Promise<void> {
  const u = upload(svc, key, q.get('uploadId') ?? '');
  const max = intArg(q, 'max-parts', 1000, 1, 1000, 'max-parts must be an integer between 1 and 1000.');
  const marker = intArg(q, 'part-number-marker', 0, 0, 10000, 'part-number-marker must be an integer.');
  const all = [...u.parts.values()].filter((p) => p.number > marker).sort((a, b) => a.number - b.number);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  const parts = page
    .map(
      (p) =>
        '<Part>' +
        el('PartNumber', p.number) +
        el('LastModified', isoDate(p.lastModified)) +
        el('ETag', p.etag) +
        el('HashCrc64ecma', p.crc64.toString()) +
        el('Size', p.size) +
        '</Part>'
    )
    .join('');
  await sendXml(
    ctx,
    200,
    doc(
      'ListPartsResult',
      el('Bucket', svc.bucket) +
        el('Key', key) +
        el('UploadId', u.uploadId) +
        el('StorageClass', 'Standard') +
        el('PartNumberMarker', marker) +
        el('NextPartNumberMarker', page.length ? page[page.length - 1].number : marker) +
        el('MaxParts', max) +
        el('IsTruncated', String(truncated)) +
        parts
    )
  );
}

export async function abort(svc: Service, ctx: Ctx, key: string, q: Map<string, string>): Promise<void> {
  const u = upload(svc, key, q.get('uploadId') ?? '');
  svc.store.abort(u);
  await send(ctx, 204, {});
}

/** GET /?uploads: sorted by key, then initiation time; prefix, key-marker/upload-id-marker and max-uploads. */
export async function listUploads(svc: Service, ctx: Ctx, q: Map<string, string>): Promise<void> {
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const idMarker = q.get('upload-id-marker') ?? '';
  const max = intArg(q, 'max-uploads', 1000, 1, 1000, 'max-uploads must be an integer between 1 and 1000.');
  if (q.get('delimiter')) throw E.notImplemented('delimiter in ListMultipartUploads');
  const all = [...svc.store.uploads.values()]
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated - b.initiated))
    .filter((u) => {
      if (!keyMarker) return true;
      if (u.key > keyMarker) return true;
      return u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker;
    });
  const page = all.slice(0, max);
  const last = page[page.length - 1];
  const url = q.get('encoding-type') === 'url';
  const enc = (s: string): string => (url ? encodeURIComponent(s) : s);
  const body =
    el('Bucket', svc.bucket) +
    (url ? el('EncodingType', 'url') : '') +
    el('KeyMarker', enc(keyMarker)) +
    el('UploadIdMarker', idMarker) +
    el('NextKeyMarker', last ? enc(last.key) : '') +
    el('NextUploadIdMarker', last ? last.uploadId : '') +
    el('Delimiter', '') +
    el('Prefix', enc(prefix)) +
    el('MaxUploads', max) +
    el('IsTruncated', String(all.length > max)) +
    page
      .map(
        (u) =>
          '<Upload>' +
          el('Key', enc(u.key)) +
          el('UploadId', u.uploadId) +
          el('StorageClass', 'Standard') +
          el('Initiated', isoDate(u.initiated)) +
          '</Upload>'
      )
      .join('');
  await sendXml(ctx, 200, doc('ListMultipartUploadsResult', body));
}
