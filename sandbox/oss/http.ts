/**
 * Response plumbing: common headers, XML errors, streamed bodies, and the transport faults (reset, corrupt)
 * applied on the way out.
 */
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { RecordedRequest } from '../types.js';
import { errorXml, OssError } from './errors.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  hostId: string;
  now: number;
  record: RecordedRequest;
  /** reset fault: send this many body bytes, then destroy the socket. */
  resetAfter?: number;
  /** corrupt fault: flip the body byte at this offset. */
  corruptAt?: number;
  /** Waits as the network model's link would before `bytes` more of the request body are taken in. */
  paceUp?: (bytes: number) => Promise<void>;
  /** … before `bytes` more of the response body are written. */
  paceDown?: (bytes: number) => Promise<void>;
}

function head(ctx: Ctx, status: number, headers: OutgoingHttpHeaders): void {
  ctx.record.status = status;
  ctx.res.writeHead(status, {
    Server: 'AliyunOSS',
    Date: new Date(ctx.now).toUTCString(),
    'x-oss-request-id': ctx.requestId,
    ...headers
  });
}

/** Sends a whole response. `body` is a Buffer/string, or a stream of exactly `length` bytes. */
export async function send(
  ctx: Ctx,
  status: number,
  headers: OutgoingHttpHeaders,
  body?: Buffer | string | Readable,
  length?: number
): Promise<void> {
  const { res } = ctx;
  const isHead = ctx.req.method === 'HEAD';
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const size = Buffer.isBuffer(buf) ? buf.length : (length ?? 0);
  if (headers['Content-Length'] === undefined) headers['Content-Length'] = size;
  if (ctx.resetAfter !== undefined && (ctx.resetAfter === 0 || isHead || buf === undefined || size <= ctx.resetAfter)) {
    // Nothing of the body would be cut: reset before the head, so the client sees a failed request.
    if (buf !== undefined && !Buffer.isBuffer(buf)) (buf as Readable).destroy();
    ctx.res.socket?.destroy();
    return;
  }
  head(ctx, status, headers);
  if (isHead || buf === undefined) {
    if (!Buffer.isBuffer(buf)) (buf as Readable | undefined)?.destroy();
    res.end();
    return;
  }
  const src: AsyncIterable<Buffer> | Iterable<Buffer> = Buffer.isBuffer(buf) ? [buf] : (buf as AsyncIterable<Buffer>);
  let sent = 0;
  try {
    for await (const c of src) {
      let chunk = c;
      if (ctx.corruptAt !== undefined && ctx.corruptAt >= sent && ctx.corruptAt < sent + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[ctx.corruptAt - sent] ^= 0xff;
      }
      if (ctx.resetAfter !== undefined && sent + chunk.length >= ctx.resetAfter) {
        if (!Buffer.isBuffer(buf)) (buf as Readable).destroy();
        return resetNow(ctx, chunk.subarray(0, ctx.resetAfter - sent));
      }
      sent += chunk.length;
      await ctx.paceDown?.(chunk.length);
      if (!res.write(chunk)) await drained(res);
      if (res.destroyed) {
        if (!Buffer.isBuffer(buf)) (buf as Readable).destroy();
        return;
      }
    }
    if (ctx.resetAfter !== undefined) return resetNow(ctx, Buffer.alloc(0));
    res.end();
  } catch {
    res.destroy();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes what was allowed of the body straight to the socket, then destroys it. */
function resetNow(ctx: Ctx, partial: Buffer): Promise<void> {
  const socket = ctx.res.socket;
  ctx.res.flushHeaders();
  return new Promise((resolve) => {
    if (!socket) return resolve();
    socket.write(partial, () => {
      socket.destroy();
      resolve();
    });
  });
}

export async function sendXml(ctx: Ctx, status: number, xml: string, headers: OutgoingHttpHeaders = {}): Promise<void> {
  await send(ctx, status, { 'Content-Type': 'application/xml', ...headers }, xml);
}

export async function sendError(ctx: Ctx, err: OssError, headers: OutgoingHttpHeaders = {}): Promise<void> {
  const xml = errorXml(err, ctx.requestId, ctx.hostId);
  const h: OutgoingHttpHeaders = { ...headers };
  if (err.ec) h['x-oss-ec'] = err.ec;
  if (ctx.req.method === 'HEAD') {
    // No body on HEAD; the service puts the XML in x-oss-err so clients can still read the code.
    h['x-oss-err'] = Buffer.from(xml).toString('base64');
    await send(ctx, err.status, h);
    return;
  }
  await sendXml(ctx, err.status, xml, h);
}

/** Reads a small request body (XML) into memory, refusing more than `limit` bytes. */
export async function readSmall(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > limit) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Consumes and drops whatever is left of the request body (so an early error reply is read by the client). */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.complete || req.destroyed) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}
