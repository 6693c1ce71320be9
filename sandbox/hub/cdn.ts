/**
 * The CDN origin LFS downloads are redirected to (cdn-lfs.hf.co in the real world): signed, expiring URLs,
 * Range/206, HEAD, an opaque S3-style ETag, streamed bodies, and XML errors like CloudFront/S3.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FaultRegistry } from '../faults.js';
import type { Content } from './content.js';
import { sendBuffer, sendBytes, startService, type ServiceServer } from './http.js';
import type { NetworkModel } from '../network.js';

const OBJECT_PATH = /^\/repos\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/** Signs object paths with an expiry (HMAC-SHA256 over path and expiry, secret per sandbox run). */
export class UrlSigner {
  private readonly secret = randomBytes(32);

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number
  ) {}

  sign(endpoint: string, sha256: string, filename: string): string {
    const path = `/repos/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const q = new URLSearchParams({
      'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}";`,
      'response-content-type': 'application/octet-stream',
      Expires: String(expires),
      Signature: this.mac(path, expires),
      'Key-Pair-Id': 'KSANDBOXCDN'
    });
    return `${endpoint}${path}?${q.toString()}`;
  }

  check(path: string, expires: string | null, signature: string | null): 'ok' | 'expired' | 'denied' {
    if (!expires || !signature || !/^\d+$/.test(expires)) return 'denied';
    const want = Buffer.from(this.mac(path, Number(expires)));
    const got = Buffer.from(signature);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'denied';
    return Number(expires) * 1000 < this.now() ? 'expired' : 'ok';
  }

  private mac(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}`).digest('base64url');
  }
}

function xmlError(code: string, message: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
}

const XML = { 'Content-Type': 'application/xml' };
const DEFAULT_CODES: Record<number, string> = {
  400: 'InvalidArgument',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  429: 'SlowDown',
  500: 'InternalError',
  503: 'SlowDown'
};

export function startCdn(
  faults: FaultRegistry,
  now: () => number,
  signer: UrlSigner,
  objects: Map<string, Content>,
  network?: NetworkModel
): Promise<ServiceServer> {
  return startService(
    'cdn',
    faults,
    now,
    (status, code, message) => ({
      headers: { ...XML },
      body: xmlError(code ?? DEFAULT_CODES[status] ?? 'ServiceUnavailable', message ?? `Sandbox fault ${status}`)
    }),
    async (ex) => {
      const { req, url } = ex;
      const m = OBJECT_PATH.exec(url.pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendBuffer(ex, 405, XML, xmlError('MethodNotAllowed', 'The specified method is not allowed'));
      }
      // A presigned URL plus an Authorization header is two auth mechanisms: S3 refuses it (and it means the hub
      // token leaked to the CDN).
      if (req.headers.authorization) {
        return sendBuffer(ex, 400, XML, xmlError('InvalidArgument', 'Only one auth mechanism allowed'));
      }
      const verdict = signer.check(url.pathname, url.searchParams.get('Expires'), url.searchParams.get('Signature'));
      if (verdict === 'expired') return sendBuffer(ex, 403, XML, xmlError('AccessDenied', 'Request has expired'));
      if (verdict !== 'ok' || !m) return sendBuffer(ex, 403, XML, xmlError('AccessDenied', 'Access denied'));
      const content = objects.get(m[3]);
      if (!content) return sendBuffer(ex, 404, XML, xmlError('NoSuchKey', 'The specified key does not exist.'));
      const etag = createHash('md5').update(`sandbox-cdn:${m[3]}`).digest('hex');
      const headers: Record<string, string> = {
        ETag: `"${etag}"`,
        'Content-Type': url.searchParams.get('response-content-type') ?? 'binary/octet-stream',
        'Last-Modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
        'Cache-Control': 'public, max-age=604800, immutable'
      };
      const disposition = url.searchParams.get('response-content-disposition');
      if (disposition) headers['Content-Disposition'] = disposition.replace(/[^\x20-\x7e]/g, '_');
      return sendBytes(ex, headers, content.size, (s, e) => content.chunks(s, e));
    },
    network
  );
}
