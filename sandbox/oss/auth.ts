/**
 * Request authentication as OSS does it: V1 (`OSS ak:sig`, HMAC-SHA1), V1 presigned URLs, V4
 * (`OSS4-HMAC-SHA256`, UNSIGNED-PAYLOAD), STS tokens, clock skew. Written from the service's documentation and
 * the observed client (docs/../shared/reference/clients-observed.md); shares nothing with the product's signer.
 */
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { E, OssError } from './errors.js';

/** Query parameters OSS puts in the V1 CanonicalizedResource (everything else is left out). */
export const SUBRESOURCES = new Set([
  'acl',
  'uploads',
  'location',
  'cors',
  'logging',
  'website',
  'referer',
  'lifecycle',
  'delete',
  'append',
  'tagging',
  'objectMeta',
  'uploadId',
  'partNumber',
  'security-token',
  'position',
  'img',
  'style',
  'styleName',
  'replication',
  'replicationProgress',
  'replicationLocation',
  'cname',
  'bucketInfo',
  'comp',
  'qos',
  'live',
  'status',
  'vod',
  'startTime',
  'endTime',
  'symlink',
  'x-oss-process',
  'response-content-type',
  'x-oss-traffic-limit',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'udf',
  'udfName',
  'udfImage',
  'udfId',
  'udfImageDesc',
  'udfApplication',
  'udfApplicationLog',
  'restore',
  'callback',
  'callback-var',
  'qosInfo',
  'policy',
  'stat',
  'encryption',
  'versions',
  'versioning',
  'versionId',
  'requestPayment',
  'x-oss-request-payer',
  'sequential',
  'inventory',
  'inventoryId',
  'continuation-token',
  'asyncFetch',
  'worm',
  'wormId',
  'wormExtend',
  'withHashContext',
  'x-oss-enable-md5',
  'x-oss-enable-sha1',
  'x-oss-enable-sha256',
  'x-oss-hash-ctx',
  'x-oss-md5-ctx',
  'transferAcceleration',
  'regionList',
  'cloudboxes',
  'x-oss-ac-source-ip',
  'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id',
  'x-oss-ac-forward-allow',
  'metaQuery',
  'resourceGroup',
  'rtc',
  'accessPoint',
  'accessPointPolicy',
  'httpsConfig',
  'publicAccessBlock',
  'policyStatus',
  'redundancyTransition',
  'dataRedundancyTransition',
  'targetRedundancyType',
  'redundancyTransitionTaskid',
  'userDefinedLogFieldsConfig'
]);

const MAX_SKEW_MS = 15 * 60 * 1000;

export interface KeyRecord {
  secret: string;
  /** STS keys only. */
  token?: string;
  expiresAt?: number;
}

/** One way to read the request: which bucket, which key (empty for bucket-level requests). */
export interface Target {
  bucket: string;
  key: string;
}

export interface AuthInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** Decoded query parameters in request order (a bare `?uploads` has value ''). */
  query: [string, string][];
  /** Interpretations of the request line, most likely first; the one the signature verifies wins. */
  targets: Target[];
  keys: (ak: string) => KeyRecord | undefined;
  now: number;
  /** Region as in the endpoint, e.g. oss-cn-hangzhou. */
  region: string;
}

export type AuthResult = { target: Target; accessKeyId: string } | { anonymous: true };

function header(h: IncomingHttpHeaders, name: string): string {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

/** Verifies the request and returns the target its signature covers. Throws the service's 403/400. */
export function authenticate(input: AuthInput): AuthResult {
  const authz = header(input.headers, 'authorization');
  const q = new Map(input.query);
  if (authz.startsWith('OSS4-HMAC-SHA256')) return verifyV4(input, authz);
  if (authz.startsWith('OSS ')) return verifyV1(input, authz);
  if (authz) throw E.invalidArgument('Authorization header is invalid.', 'Authorization', authz);
  if (q.has('OSSAccessKeyId') && q.has('Signature')) return verifyV1Presigned(input, q);
  if (q.has('x-oss-signature-version')) throw E.notImplemented('V4 presigned URLs');
  return { anonymous: true };
}

function checkKey(input: AuthInput, ak: string, token: string): KeyRecord {
  const rec = input.keys(ak);
  if (!rec) throw E.invalidAccessKeyId(ak);
  if (rec.token === undefined) {
    if (token) throw E.invalidSecurityToken();
    return rec;
  }
  if (!token) throw E.invalidAccessKeyId(ak);
  if (token !== rec.token) throw E.invalidSecurityToken();
  if (rec.expiresAt !== undefined && input.now >= rec.expiresAt) {
    throw E.securityTokenExpired(new Date(rec.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }
  return rec;
}

function checkSkew(input: AuthInput, requestTime: number, raw: string): void {
  if (Number.isNaN(requestTime)) throw E.accessDenied(`Invalid date format: ${raw}`);
  if (Math.abs(input.now - requestTime) > MAX_SKEW_MS) {
    throw E.timeTooSkewed(raw, new Date(input.now).toUTCString());
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------- V1

function canonicalOssHeaders(h: IncomingHttpHeaders): string {
  return Object.keys(h)
    .filter((k) => k.startsWith('x-oss-'))
    .sort()
    .map((k) => `${k}:${header(h, k).trim()}\n`)
    .join('');
}

export function canonicalResourceV1(t: Target, query: [string, string][]): string {
  const sub = query
    .filter(([k]) => SUBRESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  return `/${t.bucket}/${t.key}` + (sub.length ? `?${sub.join('&')}` : '');
}

export function stringToSignV1(
  method: string,
  headers: IncomingHttpHeaders,
  date: string,
  t: Target,
  query: [string, string][]
): string {
  return [
    method,
    header(headers, 'content-md5'),
    header(headers, 'content-type'),
    date,
    canonicalOssHeaders(headers) + canonicalResourceV1(t, query)
  ].join('\n');
}

function hmacSha1(secret: string, s: string): string {
  return createHmac('sha1', secret).update(s, 'utf8').digest('base64');
}

function signatureMismatchV1(ak: string, sts: string, provided: string): OssError {
  return new OssError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    [
      ['StringToSign', sts],
      ['SignatureProvided', provided],
      ['StringToSignBytes', [...Buffer.from(sts)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')],
      ['OSSAccessKeyId', ak]
    ],
    '0002-00000040'
  );
}

function verifyV1(input: AuthInput, authz: string): AuthResult {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(authz.trim());
  if (!m) throw E.invalidArgument('Authorization header is invalid.', 'Authorization', authz);
  const [, ak, provided] = m;
  const date = header(input.headers, 'x-oss-date') || header(input.headers, 'date');
  if (!date) throw E.accessDenied('Missing Date Header.');
  checkSkew(input, Date.parse(date), date);
  const rec = checkKey(input, ak, header(input.headers, 'x-oss-security-token'));
  let first: string | undefined;
  for (const t of input.targets) {
    const sts = stringToSignV1(input.method, input.headers, date, t, input.query);
    first ??= sts;
    if (sameText(hmacSha1(rec.secret, sts), provided)) return { target: t, accessKeyId: ak };
  }
  throw signatureMismatchV1(ak, first ?? '', provided);
}

function verifyV1Presigned(input: AuthInput, q: Map<string, string>): AuthResult {
  const ak = q.get('OSSAccessKeyId') ?? '';
  const provided = q.get('Signature') ?? '';
  const expires = q.get('Expires') ?? '';
  const exp = Number(expires) * 1000;
  if (!/^\d+$/.test(expires)) throw E.accessDenied('Expires is invalid.');
  if (input.now > exp) {
    throw new OssError(403, 'AccessDenied', 'Request has expired.', [
      ['Expires', new Date(exp).toISOString()],
      ['ServerTime', new Date(input.now).toISOString()]
    ]);
  }
  const rec = checkKey(input, ak, q.get('security-token') ?? '');
  let first: string | undefined;
  for (const t of input.targets) {
    const sts = stringToSignV1(input.method, input.headers, expires, t, input.query);
    first ??= sts;
    if (sameText(hmacSha1(rec.secret, sts), provided)) return { target: t, accessKeyId: ak };
  }
  throw signatureMismatchV1(ak, first ?? '', provided);
}

// ---------------------------------------------------------------- V4

/** RFC 3986 percent-encoding (encodeURIComponent plus !'()*). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function canonicalRequestV4(
  method: string,
  headers: IncomingHttpHeaders,
  t: Target,
  query: [string, string][],
  additional: string[]
): string {
  const uri = rfc3986(`/${t.bucket}/${t.key}`).replace(/%2F/g, '/');
  const qs = query
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join('&');
  const names = new Set(additional);
  const signed = Object.keys(headers)
    .filter((k) => k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-') || names.has(k))
    .sort();
  const canonHeaders = signed.map((k) => `${k}:${header(headers, k).trim()}\n`).join('');
  return [
    method,
    uri,
    qs,
    canonHeaders,
    [...names].sort().join(';'),
    header(headers, 'x-oss-content-sha256') || 'UNSIGNED-PAYLOAD'
  ].join('\n');
}

function hmac256(key: string | Buffer, s: string): Buffer {
  return createHmac('sha256', key).update(s, 'utf8').digest();
}

function verifyV4(input: AuthInput, authz: string): AuthResult {
  const fields = new Map<string, string>();
  for (const part of authz.slice('OSS4-HMAC-SHA256'.length).split(',')) {
    const i = part.indexOf('=');
    if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const credential = fields.get('Credential') ?? '';
  const provided = fields.get('Signature') ?? '';
  const scope = credential.split('/');
  if (scope.length !== 5 || !provided) {
    throw E.invalidArgument('Authorization header is invalid.', 'Authorization', authz);
  }
  const [ak, day, scopeRegion, product, terminator] = scope;
  const additional = (fields.get('AdditionalHeaders') ?? '')
    .split(';')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const xdate = header(input.headers, 'x-oss-date');
  const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(xdate);
  if (!dm) throw E.accessDenied('x-oss-date is missing or invalid.');
  checkSkew(input, Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]), xdate);
  if (!header(input.headers, 'x-oss-content-sha256')) {
    throw E.invalidArgument('x-oss-content-sha256 header is required.', 'x-oss-content-sha256', '');
  }
  if (day !== xdate.slice(0, 8)) {
    throw E.invalidArgument('Invalid signing date in Authorization header.', 'Credential', credential);
  }
  const region = input.region.replace(/^oss-/, '');
  if (scopeRegion !== region) {
    throw E.invalidArgument('Invalid signing region in Authorization header.', 'Credential', credential);
  }
  if (product !== 'oss' || terminator !== 'aliyun_v4_request') {
    throw E.invalidArgument('Invalid signing product in Authorization header.', 'Credential', credential);
  }
  const rec = checkKey(input, ak, header(input.headers, 'x-oss-security-token'));
  const kDate = hmac256('aliyun_v4' + rec.secret, day);
  const kSign = hmac256(hmac256(hmac256(kDate, region), 'oss'), 'aliyun_v4_request');
  let first: [string, string] | undefined;
  for (const t of input.targets) {
    const creq = canonicalRequestV4(input.method, input.headers, t, input.query, additional);
    const sts = [
      'OSS4-HMAC-SHA256',
      xdate,
      `${day}/${region}/oss/aliyun_v4_request`,
      createHash('sha256').update(creq, 'utf8').digest('hex')
    ].join('\n');
    first ??= [creq, sts];
    if (sameText(createHmac('sha256', kSign).update(sts, 'utf8').digest('hex'), provided)) {
      return { target: t, accessKeyId: ak };
    }
  }
  throw new OssError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    [
      ['CanonicalRequest', first?.[0] ?? ''],
      ['StringToSign', first?.[1] ?? ''],
      ['SignatureProvided', provided],
      ['OSSAccessKeyId', ak]
    ]
  );
}
