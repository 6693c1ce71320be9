/**
 * Bucket reads: ListObjectsV2 (list-type=2), ListObjects (V1), GetBucketInfo, GetBucketLocation.
 */
import { E } from './errors.js';
import { sendXml, type Ctx } from './http.js';
import { isoDate, type Service } from './objects.js';
import type { ObjectRecord } from './store.js';
import { doc, el } from './xml.js';

interface Page {
  contents: ObjectRecord[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned (where the next page starts after). */
  last: string;
}

/** Keys after `after` under `prefix`, rolled up at `delimiter`; a common prefix counts as one entry. */
function page(objects: Map<string, ObjectRecord>, prefix: string, delimiter: string, after: string, max: number): Page {
  const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const out: Page = { contents: [], prefixes: [], truncated: false, last: '' };
  let count = 0;
  for (const k of keys) {
    let cp: string | undefined;
    if (delimiter) {
      const i = k.indexOf(delimiter, prefix.length);
      if (i >= 0) cp = k.slice(0, i + delimiter.length);
    }
    if (cp !== undefined && (cp <= after || cp === out.last)) continue;
    if (count === max) {
      out.truncated = true;
      break;
    }
    count++;
    if (cp !== undefined) {
      out.prefixes.push(cp);
      out.last = cp;
    } else {
      out.contents.push(objects.get(k)!);
      out.last = k;
    }
  }
  return out;
}

function maxKeys(q: Map<string, string>): number {
  const v = q.get('max-keys');
  if (v === undefined || v === '') return 100;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 1000) {
    throw E.invalidArgument('Argument max-keys must be an integer between 0 and 1000.', 'max-keys', v);
  }
  return n;
}

function contentsXml(p: Page, enc: (s: string) => string, owner: boolean): string {
  const ownerXml = owner ? '<Owner><ID>1000000000000000</ID><DisplayName>1000000000000000</DisplayName></Owner>' : '';
  return (
    p.contents
      .map(
        (o) =>
          '<Contents>' +
          el('Key', enc(o.key)) +
          el('LastModified', isoDate(o.lastModified)) +
          el('ETag', o.etag) +
          el('Type', o.type) +
          el('Size', o.size) +
          el('StorageClass', 'Standard') +
          ownerXml +
          '</Contents>'
      )
      .join('') + p.prefixes.map((cp) => `<CommonPrefixes>${el('Prefix', enc(cp))}</CommonPrefixes>`).join('')
  );
}

function encoder(q: Map<string, string>): (s: string) => string {
  return q.get('encoding-type') === 'url' ? (s) => encodeURIComponent(s) : (s) => s;
}

export async function listObjectsV2(svc: Service, ctx: Ctx, q: Map<string, string>): Promise<void> {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startAfter = q.get('start-after') ?? '';
  const token = q.get('continuation-token');
  const max = maxKeys(q);
  let after = startAfter;
  if (token !== undefined) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!token || Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
      throw E.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', token);
    }
    if (decoded > after) after = decoded;
  }
  const p = page(svc.store.objects, prefix, delimiter, after, max);
  const enc = encoder(q);
  const body =
    el('Name', svc.bucket) +
    el('Prefix', enc(prefix)) +
    (startAfter ? el('StartAfter', enc(startAfter)) : '') +
    (token !== undefined ? el('ContinuationToken', token) : '') +
    el('MaxKeys', max) +
    el('Delimiter', enc(delimiter)) +
    (q.get('encoding-type') === 'url' ? el('EncodingType', 'url') : '') +
    el('IsTruncated', String(p.truncated)) +
    (p.truncated ? el('NextContinuationToken', Buffer.from(p.last, 'utf8').toString('base64url')) : '') +
    el('KeyCount', p.contents.length + p.prefixes.length) +
    contentsXml(p, enc, q.get('fetch-owner') === 'true');
  await sendXml(ctx, 200, doc('ListBucketResult', body));
}

export async function listObjectsV1(svc: Service, ctx: Ctx, q: Map<string, string>): Promise<void> {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const max = maxKeys(q);
  const p = page(svc.store.objects, prefix, delimiter, marker, max);
  const enc = encoder(q);
  const body =
    el('Name', svc.bucket) +
    el('Prefix', enc(prefix)) +
    el('Marker', enc(marker)) +
    el('MaxKeys', max) +
    el('Delimiter', enc(delimiter)) +
    (q.get('encoding-type') === 'url' ? el('EncodingType', 'url') : '') +
    el('IsTruncated', String(p.truncated)) +
    (p.truncated ? el('NextMarker', enc(p.last)) : '') +
    contentsXml(p, enc, true);
  await sendXml(ctx, 200, doc('ListBucketResult', body));
}

export async function bucketInfo(svc: Service, ctx: Ctx, created: number): Promise<void> {
  const body =
    '<Bucket>' +
    el('AccessMonitor', 'Disabled') +
    el('CreationDate', isoDate(created)) +
    el('ExtranetEndpoint', `${svc.region}.aliyuncs.com`) +
    el('IntranetEndpoint', `${svc.region}-internal.aliyuncs.com`) +
    el('Location', svc.region) +
    el('StorageClass', 'Standard') +
    el('Name', svc.bucket) +
    el('DataRedundancyType', 'LRS') +
    '<Owner><DisplayName>1000000000000000</DisplayName><ID>1000000000000000</ID></Owner>' +
    '<AccessControlList><Grant>private</Grant></AccessControlList>' +
    '</Bucket>';
  await sendXml(ctx, 200, doc('BucketInfo', body));
}

export async function bucketLocation(svc: Service, ctx: Ctx): Promise<void> {
  await sendXml(ctx, 200, `<?xml version="1.0" encoding="UTF-8"?>\n${el('LocationConstraint', svc.region)}\n`);
}
