/**
 * One OSS request: faults, addressing (virtual-hosted Host, path style, or a cname endpoint), authentication,
 * object-name rules, then the operation.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRegistry } from '../faults.js';
import { authenticate, SUBRESOURCES, type KeyRecord, type Target } from './auth.js';
import { E, faultError, OssError } from './errors.js';
import { drain, sendError, type Ctx } from './http.js';
import { bucketInfo, bucketLocation, listObjectsV1, listObjectsV2 } from './list.js';
import { abort, complete, initiate, listParts, listUploads, uploadPart } from './multipart.js';
import { deleteMultiple, deleteObject, getObject, putObject, type Service } from './objects.js';
import { TooLarge } from './store.js';
import { both, NO_SHAPING, type NetworkModel, type Side } from '../network.js';

export interface State extends Service {
  faults: FaultRegistry;
  keys: (ak: string) => KeyRecord | undefined;
  createdAt: number;
  network?: NetworkModel;
}

/** Subresources the sandbox answers; any other signed subresource gets 501 rather than a silent wrong answer. */
const HANDLED = new Set(['uploads', 'uploadId', 'partNumber', 'continuation-token', 'security-token', 'objectMeta']);
const BUCKET_SUBRESOURCES = new Set(['delete', 'bucketInfo', 'location']);

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw E.invalidObjectName('The specified object is not valid.');
  }
}

function parseQuery(raw: string): [string, string][] {
  if (!raw) return [];
  return raw
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      try {
        return [decodeURIComponent(k), decodeURIComponent(v)];
      } catch {
        throw E.invalidArgument('The query string is not valid.', k, v);
      }
    });
}

/** The ways this request line can be read, most likely first (the signature picks the real one). */
function targetsFor(host: string, rawPath: string, bucket: string): Target[] {
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const virtual = /^([a-z0-9][a-z0-9-]{1,62})\.(oss-[a-z0-9-]+)\.aliyuncs\.com$/.exec(hostname);
  const regional = /^oss-[a-z0-9-]+\.aliyuncs\.com$/.test(hostname);
  const rest = rawPath.slice(1);
  const slash = rest.indexOf('/');
  const pathStyle: Target | undefined = rest
    ? {
        bucket: decode(slash < 0 ? rest : rest.slice(0, slash)),
        key: slash < 0 ? '' : decode(rest.slice(slash + 1))
      }
    : undefined;
  if (virtual) {
    const t: Target[] = [{ bucket: virtual[1], key: decode(rest) }];
    if (pathStyle && pathStyle.bucket === virtual[1]) t.push(pathStyle);
    return t;
  }
  if (regional) return pathStyle ? [pathStyle] : [];
  // An IP or other host: path style, or a cname endpoint that serves the one bucket.
  const t: Target[] = [];
  if (pathStyle) t.push(pathStyle);
  t.push({ bucket, key: decode(rest) });
  return t;
}

function nameError(key: string): OssError | undefined {
  try {
    checkObjectName(key);
    return undefined;
  } catch (e) {
    return e as OssError;
  }
}

function checkObjectName(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > 1023) throw E.invalidObjectName('The length of the object name must be less than 1024 bytes.');
  if (key.includes('\0') || key.startsWith('/') || key.startsWith('\\') || key.split('/').includes('..')) {
    throw E.invalidObjectName('The specified object is not valid.');
  }
}

export async function handle(
  st: State,
  req: IncomingMessage,
  res: ServerResponse,
  side: Side = 'runner'
): Promise<void> {
  const url = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const shaper = st.network?.shaper('oss', side, req.socket) ?? NO_SHAPING;
  const ctx: Ctx = {
    req,
    res,
    requestId: randomBytes(12).toString('hex').toUpperCase(),
    hostId: req.headers.host ?? `${st.bucket}.${st.region}.aliyuncs.com`,
    now: st.now(),
    record: st.faults.record({ service: 'oss', method, url, headers: { ...req.headers }, at: st.now() }),
    // the benchmarks' older link rate (FaultRegistry.setLinkRate) paces uploads; the network model both ways
    paceUp: both((n) => st.faults.pace('oss', n), shaper.up),
    paceDown: shaper.down
  };
  try {
    await shaper.rtt();
    const fault = st.faults.take('oss', method, url);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    if (fault?.kind === 'reset') ctx.resetAfter = fault.afterBytes;
    if (fault?.kind === 'corrupt') ctx.corruptAt = fault.atByte;
    if (fault?.kind === 'cut-request') return await cutRequest(req, fault.afterBytes);
    if (fault?.kind === 'status') {
      await drain(req);
      const headers = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      await sendError(ctx, faultError(fault.status, fault.code, fault.message), headers);
      return;
    }
    await route(st, ctx, method, url);
  } catch (e) {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    let err: OssError;
    if (e instanceof OssError) err = e;
    else if (e instanceof TooLarge) err = E.entityTooLarge();
    else if (req.destroyed || (e as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      res.destroy();
      return;
    } else err = new OssError(500, 'InternalError', `We encountered an internal error. ${(e as Error).message}`);
    await drain(req);
    await sendError(ctx, err);
  }
}

async function route(st: State, ctx: Ctx, method: string, url: string): Promise<void> {
  const qi = url.indexOf('?');
  const rawPath = qi < 0 ? url : url.slice(0, qi);
  const query = parseQuery(qi < 0 ? '' : url.slice(qi + 1));
  const q = new Map(query);
  const targets = targetsFor(ctx.req.headers.host ?? '', rawPath, st.bucket);
  const ours = targets.filter((t) => t.bucket === st.bucket);
  if (ours.length === 0) throw E.noSuchBucket(targets[0]?.bucket ?? '');
  // A name no reading makes valid is refused before authentication.
  if (ours.every((t) => t.key !== '')) {
    const refusals = ours.map((t) => nameError(t.key));
    if (refusals.every(Boolean)) throw refusals[0];
  }
  const auth = authenticate({
    method,
    headers: ctx.req.headers,
    query,
    targets,
    keys: st.keys,
    now: ctx.now,
    region: st.region
  });
  if ('anonymous' in auth) throw E.accessDenied();
  const { bucket, key } = auth.target;
  if (bucket !== st.bucket) throw E.noSuchBucket(bucket);

  const unsupported = [...q.keys()].find(
    (k) =>
      SUBRESOURCES.has(k) &&
      !HANDLED.has(k) &&
      !k.startsWith('response-') && // GetObject response overrides: accepted, not applied
      !(key === '' && BUCKET_SUBRESOURCES.has(k))
  );
  if (unsupported) throw E.notImplemented(`the ?${unsupported} subresource`);

  if (key === '') {
    if (method === 'GET' && q.has('uploads')) return listUploads(st, ctx, q);
    if (method === 'GET' && q.has('bucketInfo')) return bucketInfo(st, ctx, st.createdAt);
    if (method === 'GET' && q.has('location')) return bucketLocation(st, ctx);
    if (method === 'GET' && q.get('list-type') === '2') return listObjectsV2(st, ctx, q);
    if (method === 'GET') return listObjectsV1(st, ctx, q);
    if (method === 'POST' && q.has('delete')) return deleteMultiple(st, ctx, q);
    throw E.notImplemented(`${method} on the bucket`);
  }

  checkObjectName(key);
  if (method === 'PUT' && q.has('partNumber') && q.has('uploadId')) return uploadPart(st, ctx, key, q);
  if (method === 'PUT') return putObject(st, ctx, key);
  if (method === 'POST' && q.has('uploads')) return initiate(st, ctx, key);
  if (method === 'POST' && q.has('uploadId')) return complete(st, ctx, key, q);
  if (method === 'GET' && q.has('uploadId')) return listParts(st, ctx, key, q);
  if (method === 'DELETE' && q.has('uploadId')) return abort(st, ctx, key, q);
  if (method === 'GET' && q.has('objectMeta')) throw E.notImplemented('GET ?objectMeta (use HEAD)');
  if (method === 'GET' || method === 'HEAD') return getObject(st, ctx, key);
  if (method === 'DELETE') return deleteObject(st, ctx, key);
  throw E.notImplemented(`${method} on an object`);
}

/**
 * A connection lost while the client was still sending: nothing of the request takes effect (OSS acts on a
 * request only once its whole body arrived), and the client sees the socket close without an answer.
 */
async function cutRequest(req: IncomingMessage, afterBytes: number): Promise<void> {
  let got = 0;
  for await (const chunk of req) {
    got += (chunk as Buffer).length;
    if (got >= afterBytes) break;
  }
  req.socket.destroy();
}
