/**
 * The OSS adapter over ali-oss. ali-oss 6.23 retries no 5xx, never retries streamed bodies and checks no CRC64
 * (reference/clients-observed.md), so every call here goes through the one retry helper, and data-carrying calls
 * compare the service's `x-oss-hash-crc64ecma` with the CRC computed here.
 */
import { Readable } from 'node:stream';
import OSS from 'ali-oss';
import { PipelineError } from '../errors.js';
import { retry } from '../util/retry.js';
import { crc64 } from './crc64.js';

export interface ObjectHead {
  readonly size: number;
  /** `x-oss-meta-*` without the prefix. */
  readonly meta: Readonly<Record<string, string>>;
  readonly crc64?: string;
}

export interface UploadedPart {
  readonly number: number;
  readonly etag: string;
  readonly size: number;
}

export interface UnfinishedUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated?: string;
}

export interface OssStoreOptions {
  /** Attempts per request, the first included. */
  readonly attempts: number;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (what: string, err: unknown, attempt: number, delayMs: number) => void;
}

/** ali-oss calls used here whose typings are missing or too loose. */
interface RawClient {
  put(name: string, body: Buffer, opts?: object): Promise<{ res: RawRes }>;
  head(name: string, opts?: object): Promise<{ res: RawRes; meta?: Record<string, string> | null }>;
  get(name: string, file?: unknown, opts?: object): Promise<{ res: RawRes; content: Buffer }>;
  delete(name: string): Promise<unknown>;
  copy(name: string, source: string, opts?: object): Promise<{ res: RawRes }>;
  listV2(
    query: object,
    opts?: object
  ): Promise<{
    objects?: { name: string; size: number }[];
    prefixes?: string[];
    nextContinuationToken?: string;
    isTruncated: boolean;
  }>;
  initMultipartUpload(name: string, opts?: object): Promise<{ uploadId: string }>;
  _uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    data: { size: number; stream: Readable },
    opts?: object
  ): Promise<{ etag: string; res: RawRes }>;
  listParts(
    name: string,
    uploadId: string,
    query?: object
  ): Promise<{ parts: RawPart | RawPart[]; isTruncated: boolean | string; nextPartNumberMarker?: string }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: { number: number; etag: string }[]
  ): Promise<{ res: RawRes }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  listUploads(query: object): Promise<{
    uploads: { name: string; uploadId: string; initiated?: string }[];
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextUploadIdMarker?: string;
  }>;
}
interface RawRes {
  status: number;
  headers: Record<string, string | undefined>;
}
interface RawPart {
  PartNumber: string;
  ETag: string;
  Size: string;
}

const RETRYABLE_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'SlowDown',
  'ResponseTimeoutError',
  'ConnectionTimeoutError',
  'RequestError'
]);

/**
 * An answer whose XML body was cut short: ali-oss hands back xml2js's parse error (`Unexpected end`,
 * `Unclosed root tag`, …) with the response's status, 2xx or an error status whose error XML was cut (then
 * its code — e.g. NoSuchUpload — is unknown). The request reached OSS; only its answer was lost.
 */
export function isCutShortAnswer(err: unknown): boolean {
  const e = err as { status?: number; message?: string } | undefined;
  if (!e || typeof e.status !== 'number' || e.status < 200) return false;
  return /Unexpected end|Unclosed root tag|Non-whitespace before first tag|Invalid character|raw xml:/i.test(
    e.message ?? ''
  );
}

/**
 * Worth another try: 5xx, a throttle, a broken connection, or a 2xx answer cut short. Every request the product
 * repeats is idempotent or checked afterwards: PUT/GET/HEAD/LIST/ListParts repeat as they are; a repeated
 * InitiateMultipartUpload leaves the first upload behind, which the uploader finds and aborts; a repeated
 * Complete that finds NoSuchUpload is checked by HEAD + CRC-64.
 */
export function isRetryableOssError(err: unknown): boolean {
  if (err instanceof PipelineError) return false;
  const e = err as { status?: number; code?: string; name?: string; message?: string } | undefined;
  if (!e) return false;
  if (isCutShortAnswer(err)) return true;
  if (typeof e.status === 'number' && (e.status >= 500 || e.status === -1 || e.status === -2)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  if (e.code && /^E(CONNRESET|CONNREFUSED|PIPE|TIMEDOUT|CONNABORTED)$/.test(e.code)) return true;
  return /socket hang up|ECONNRESET|premature close/i.test(e.message ?? '');
}

/** Where and as whom the store connects (the config's `oss` settings fit it). */
export interface OssConnection {
  /** e.g. `https://oss-cn-beijing.aliyuncs.com` (or the sandbox URL). */
  readonly endpoint: string;
  /** Region id as ali-oss takes it, e.g. `oss-cn-beijing`. */
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
  /** Sign with V4 (`authorizationV4`). */
  readonly signatureV4: boolean;
}

/** ali-oss options for the connection: AccessKey or STS token, V4 when asked. */
export function ossClientOptions(cfg: OssConnection): OSS.Options {
  const url = new URL(cfg.endpoint);
  return {
    accessKeyId: cfg.accessKeyId,
    accessKeySecret: cfg.accessKeySecret,
    ...(cfg.securityToken
      ? {
          stsToken: cfg.securityToken,
          // The token is fixed for the run (a new one means a new job); this only keeps ali-oss from warning.
          refreshSTSToken: async () => ({
            accessKeyId: cfg.accessKeyId,
            accessKeySecret: cfg.accessKeySecret,
            stsToken: cfg.securityToken
          }),
          refreshSTSTokenInterval: 24 * 3600 * 1000
        }
      : {}),
    bucket: cfg.bucket,
    region: cfg.region,
    endpoint: cfg.endpoint,
    secure: url.protocol === 'https:',
    // `localhost` cannot take a bucket sub-domain; IP endpoints are sent the bucket in Host by ali-oss itself.
    ...(url.hostname === 'localhost' ? { sldEnable: true } : {}),
    authorizationV4: cfg.signatureV4,
    timeout: 300_000,
    retryMax: 0
  } as OSS.Options;
}

function describeOss(err: unknown): string {
  const e = err as { code?: string; status?: number; message?: string; requestId?: string };
  const id = e.requestId ? `, request id ${e.requestId}` : '';
  return `${e.code ?? e.status ?? 'error'}: ${(e.message ?? String(err)).split('\n')[0]}${id}`;
}

/** The error a person reads after the last attempt. */
export function finalOssError(err: unknown, what: string, bucket: string, attempts: number): unknown {
  if (err instanceof PipelineError) return err;
  const e = err as { code?: string; status?: number };
  const cause = describeOss(err);
  switch (e.code) {
    case 'AccessDenied':
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'SecurityTokenExpired':
    case 'InvalidSecurityToken':
      return new PipelineError(
        'OSS_ACCESS_DENIED',
        `OSS refused ${what} in bucket ${bucket} (${cause}).`,
        e.code === 'SecurityTokenExpired'
          ? 'The STS token expired: request a new one (e.g. a longer role session) and re-run.'
          : 'Check oss-access-key-id / oss-access-key-secret (and oss-security-token for STS) and that the RAM policy allows oss:PutObject, GetObject, ListObjects, ListParts and AbortMultipartUpload on the bucket.',
        { cause: err }
      );
    case 'RequestTimeTooSkewed':
      return new PipelineError(
        'OSS_CLOCK_SKEW',
        `OSS refused ${what}: the runner's clock is off by more than 15 minutes.`,
        "Fix the runner's clock (NTP) and re-run.",
        { cause: err }
      );
    case 'NoSuchBucket':
      return new PipelineError(
        'OSS_NO_SUCH_BUCKET',
        `Bucket ${bucket} does not exist at this endpoint (${cause}).`,
        'Check the oss-bucket, oss-region and oss-endpoint inputs.',
        { cause: err }
      );
  }
  if (isRetryableOssError(err)) {
    return new PipelineError(
      'OSS_UNAVAILABLE',
      `OSS failed ${what} after ${attempts} attempts (${cause}).`,
      'OSS was unavailable or the network unstable; re-run the job (finished files are skipped).',
      { cause: err }
    );
  }
  return new PipelineError(
    'OSS_REQUEST_FAILED',
    `OSS failed ${what} (${cause}).`,
    'Check the OSS inputs (endpoint, region, bucket) and re-run.',
    { cause: err }
  );
}

/** A CRC64 the service reported that differs from ours: the bytes were changed on the way. */
export function crcMismatch(what: string, ours: string, theirs: string): PipelineError {
  return new PipelineError(
    'OSS_CHECKSUM_MISMATCH',
    `CRC-64 of ${what} differs: computed ${ours}, OSS stored ${theirs}.`,
    'The bytes were changed between the runner and OSS; re-run the job (a proxy rewriting bodies would cause this every time).'
  );
}

const metaOf = (headers: Record<string, string | undefined>): Record<string, string> => {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (k.startsWith('x-oss-meta-') && v !== undefined) meta[k.slice(11)] = v;
  return meta;
};

export class OssStore {
  readonly bucket: string;

  constructor(
    private readonly client: RawClient,
    bucket: string,
    private readonly opts: OssStoreOptions
  ) {
    this.bucket = bucket;
  }

  static connect(cfg: OssConnection, opts: OssStoreOptions): OssStore {
    return new OssStore(new OSS(ossClientOptions(cfg)) as unknown as RawClient, cfg.bucket, opts);
  }

  private async call<T>(
    what: string,
    fn: (attempt: number) => Promise<T>,
    onAttempt?: (attempt: number) => void
  ): Promise<T> {
    let attempts = 0;
    try {
      return await retry(
        (a) => {
          attempts = a;
          onAttempt?.(a);
          return fn(a);
        },
        {
          attempts: this.opts.attempts,
          retryable: isRetryableOssError,
          signal: this.opts.signal,
          sleep: this.opts.sleep,
          random: this.opts.random,
          onRetry: (err, attempt, delay) => this.opts.onRetry?.(what, err, attempt, delay)
        }
      );
    } catch (err) {
      throw finalOssError(err, what, this.bucket, attempts);
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      return await this.call(`HEAD ${key}`, async () => {
        const r = await this.client.head(key);
        return {
          size: Number(r.res.headers['content-length'] ?? -1),
          meta: metaOf(r.res.headers),
          crc64: r.res.headers['x-oss-hash-crc64ecma']
        };
      });
    } catch (err) {
      const e = (err as { cause?: { status?: number; code?: string } }).cause;
      if (e?.status === 404 || e?.code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      return await this.call(`GET ${key}`, async () => (await this.client.get(key)).content.toString('utf8'));
    } catch (err) {
      const e = (err as { cause?: { status?: number; code?: string } }).cause;
      if (e?.status === 404 || e?.code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /**
   * A small object in one PUT, its CRC64 checked; on a mismatch the object is deleted. `ours`: the body's CRC when
   * the caller has it already (the uploader hashes every byte it reads), so the body is not hashed twice.
   */
  async putObject(
    key: string,
    body: Buffer,
    meta: Record<string, string> = {},
    mime?: string,
    ours: string = crc64(body)
  ): Promise<void> {
    const res = await this.call(`PUT ${key}`, async () => (await this.client.put(key, body, { meta, mime })).res);
    const theirs = res.headers['x-oss-hash-crc64ecma'];
    if (theirs !== undefined && theirs !== ours) {
      await this.delete(key).catch(() => undefined);
      throw crcMismatch(key, ours, theirs);
    }
  }

  async delete(key: string): Promise<void> {
    await this.call(`DELETE ${key}`, () => this.client.delete(key));
  }

  /** Server-side copy (no bytes through the runner), replacing the metadata. */
  async copy(fromKey: string, toKey: string, meta: Record<string, string>): Promise<void> {
    await this.call(`COPY ${fromKey} → ${toKey}`, () =>
      this.client.copy(toKey, fromKey, { meta, headers: { 'x-oss-metadata-directive': 'REPLACE' } })
    );
  }

  /** Keys and sub-prefixes under `prefix` (one level when `delimiter` is given). */
  async list(
    prefix: string,
    delimiter?: string
  ): Promise<{ keys: { key: string; size: number }[]; prefixes: string[] }> {
    const keys: { key: string; size: number }[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(`LIST ${prefix}`, () =>
        this.client.listV2({
          prefix,
          'max-keys': 1000,
          ...(delimiter ? { delimiter } : {}),
          ...(token ? { 'continuation-token': token } : {})
        })
      );
      for (const o of r.objects ?? []) keys.push({ key: o.name, size: Number(o.size) });
      prefixes.push(...(r.prefixes ?? []));
      token = r.isTruncated ? r.nextContinuationToken : undefined;
    } while (token);
    return { keys, prefixes };
  }

  /**
   * InitiateMultipartUpload. `onAttempt` hears each attempt: after more than one, an earlier attempt may have
   * created an upload whose answer was lost (the caller lists and aborts it).
   */
  async initUpload(key: string, meta: Record<string, string>, onAttempt?: (attempt: number) => void): Promise<string> {
    const r = await this.call(
      `start upload of ${key}`,
      () => this.client.initMultipartUpload(key, { meta }),
      onAttempt
    );
    if (!r.uploadId) {
      // a 200 whose XML parsed but carried no UploadId: nothing to continue with
      throw finalOssError(
        Object.assign(new Error('the answer carried no UploadId'), { status: 200 }),
        `start upload of ${key}`,
        this.bucket,
        1
      );
    }
    return r.uploadId;
  }

  /**
   * One part from a buffer (re-sent as a whole on a retry: the buffer stays in memory until OSS has it). The
   * part's CRC64, when OSS reports it, must equal ours.
   */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    partCrc?: string
  ): Promise<UploadedPart> {
    const what = `part ${partNumber} of ${key}`;
    const r = await this.call(`upload ${what}`, () =>
      this.client._uploadPart(key, uploadId, partNumber, {
        size: body.length,
        stream: Readable.from([body], { objectMode: false })
      })
    );
    const theirs = r.res.headers['x-oss-hash-crc64ecma'];
    if (theirs !== undefined) {
      const ours = partCrc ?? crc64(body);
      if (theirs !== ours) throw crcMismatch(what, ours, theirs);
    }
    return { number: partNumber, etag: r.etag, size: body.length };
  }

  /**
   * One part whose bytes are still arriving: `body` yields them as the download brings them, so a part moves
   * down and up at once instead of waiting whole in memory before its upload starts (on a link capped per
   * connection that halves each slot's rate). A stream cannot be re-read, so only the first attempt streams: a
   * retry (same backoff and attempt budget as any request) sends the part again from `whole()`, the caller's
   * buffer once its read is done. `whole()` also gives the part's CRC-64, compared with the one OSS reports.
   */
  async uploadPartStreaming(
    key: string,
    uploadId: string,
    partNumber: number,
    size: number,
    body: Readable,
    whole: () => Promise<{ body: Buffer; crc: string }>
  ): Promise<UploadedPart> {
    const what = `part ${partNumber} of ${key}`;
    const r = await this.call(`upload ${what}`, async (attempt) => {
      if (attempt === 1) {
        try {
          return await this.client._uploadPart(key, uploadId, partNumber, { size, stream: body });
        } catch (err) {
          body.destroy();
          throw err;
        }
      }
      const part = await whole().catch((err: unknown) => {
        // the read failed for good: nothing to send again (the uploader reports the read's own error)
        throw Object.assign(new Error(`${what}: its bytes could not be read`), { code: 'PART_UNREAD', cause: err });
      });
      return this.client._uploadPart(key, uploadId, partNumber, {
        size,
        stream: Readable.from([part.body], { objectMode: false })
      });
    });
    const part = await whole();
    const theirs = r.res.headers['x-oss-hash-crc64ecma'];
    if (theirs !== undefined && theirs !== part.crc) throw crcMismatch(what, part.crc, theirs);
    return { number: partNumber, etag: r.etag, size };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const r = await this.call(`list parts of ${key}`, () =>
        this.client.listParts(key, uploadId, { 'max-parts': 1000, ...(marker ? { 'part-number-marker': marker } : {}) })
      );
      // ali-oss hands back a lone <Part> as an object, not an array.
      const raw = Array.isArray(r.parts) ? r.parts : r.parts ? [r.parts] : [];
      for (const p of raw) parts.push({ number: Number(p.PartNumber), etag: p.ETag, size: Number(p.Size) });
      const truncated = r.isTruncated === true || r.isTruncated === 'true';
      if (!truncated || !r.nextPartNumberMarker) break;
      marker = r.nextPartNumberMarker;
    }
    return parts.sort((a, b) => a.number - b.number);
  }

  /** Complete; returns the object's CRC64 as OSS reports it (if it does). */
  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<string | undefined> {
    const list = [...parts].sort((a, b) => a.number - b.number).map((p) => ({ number: p.number, etag: p.etag }));
    const r = await this.call(`complete upload of ${key}`, () =>
      this.client.completeMultipartUpload(key, uploadId, list)
    );
    return r.res.headers['x-oss-hash-crc64ecma'];
  }

  /** Abort; an upload that is already gone counts as aborted. */
  async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.call(`abort upload of ${key}`, () => this.client.abortMultipartUpload(key, uploadId));
    } catch (err) {
      const e = (err as { cause?: { code?: string; status?: number } }).cause;
      if (e?.code === 'NoSuchUpload' || e?.status === 404) return;
      throw err;
    }
  }

  async listUploads(prefix: string): Promise<UnfinishedUpload[]> {
    const out: UnfinishedUpload[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const r = await this.call(`list unfinished uploads under ${prefix}`, () =>
        this.client.listUploads({
          prefix,
          'max-uploads': 1000,
          ...(keyMarker ? { 'key-marker': keyMarker, 'upload-id-marker': idMarker } : {})
        })
      );
      for (const u of r.uploads) out.push({ key: u.name, uploadId: u.uploadId, initiated: u.initiated });
      if (!r.isTruncated || !r.nextKeyMarker) break;
      keyMarker = r.nextKeyMarker;
      idMarker = r.nextUploadIdMarker;
    }
    return out;
  }
}
