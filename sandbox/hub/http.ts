/**
 * HTTP plumbing shared by the hub and CDN servers: request ids, the request recorder, fault injection (status,
 * delay, reset after N body bytes, corrupt a byte), single Range requests and streamed bodies with backpressure.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { FaultRegistry } from '../faults.js';
import type { FaultAction, ServiceName } from '../types.js';
import { both, NO_SHAPING, SIDES, type NetworkModel, type Side } from '../network.js';

/** A request in flight, with the body fault (reset/corrupt) to apply when the response is written. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  bodyFault?: Extract<FaultAction, { kind: 'reset' | 'corrupt' }>;
  /** Waits as a network link of the configured bandwidth would before `bytes` more are sent. */
  pace?: (bytes: number) => Promise<void>;
  /** Which client side the request came from: the port it arrived on (runner endpoint or cluster endpoint). */
  side: Side;
}

/** How a service renders an error: JSON for the hub, XML for the CDN. */
export type ErrorRenderer = (
  status: number,
  code: string | undefined,
  message: string | undefined
) => { headers: Record<string, string>; body: string };

export interface ServiceServer {
  /** The runner's endpoint (as it always was). */
  endpoint: string;
  /** The same service as the cluster's pods reach it (a second port, shaped by the network model's cluster side). */
  clusterEndpoint: string;
  stop(): Promise<void>;
}

export async function startService(
  service: ServiceName,
  faults: FaultRegistry,
  now: () => number,
  renderError: ErrorRenderer,
  handle: (ex: Exchange) => Promise<void>,
  network?: NetworkModel
): Promise<ServiceServer> {
  const timers = new Set<NodeJS.Timeout>();
  const servers = SIDES.map((side) =>
    http.createServer((req, res) => {
      void onRequest(req, res, side);
    })
  );

  async function onRequest(req: IncomingMessage, res: ServerResponse, side: Side): Promise<void> {
    const rawUrl = req.url ?? '/';
    res.setHeader('X-Request-Id', `Root=1-${Math.floor(now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`);
    const rec = faults.record({
      service,
      method: req.method ?? 'GET',
      url: rawUrl,
      headers: { ...req.headers },
      at: now()
    });
    res.on('finish', () => (rec.status = res.statusCode));
    res.on('close', () => (rec.status ??= res.headersSent ? res.statusCode : undefined));
    req.resume();
    const fault = faults.take(service, req.method ?? 'GET', rawUrl);
    // the hub and its CDN are one link to the HF world in the model
    const shaper = network?.shaper('hub', side, req.socket) ?? NO_SHAPING;
    try {
      await shaper.rtt();
      if (fault?.kind === 'delay') {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, fault.ms);
          timers.add(t);
        });
        if (res.destroyed) return;
      }
      if (fault?.kind === 'status') {
        const { headers, body } = renderError(fault.status, fault.code, fault.message);
        if (fault.retryAfterSeconds !== undefined) {
          const s = String(fault.retryAfterSeconds);
          headers['Retry-After'] = s;
          headers['RateLimit'] = `"api";r=0;t=${s}`;
          headers['RateLimit-Policy'] = `"fixed window";"api";q=1000;w=300`;
        }
        sendError(res, fault.status, headers, body);
        return;
      }
      const bodyFault = fault?.kind === 'reset' || fault?.kind === 'corrupt' ? fault : undefined;
      const pace = both((bytes) => faults.pace(service, bytes), shaper.down);
      await handle({ req, res, url: new URL(rawUrl, 'http://sandbox.invalid'), bodyFault, pace, side });
    } catch (err) {
      if (res.headersSent) res.destroy();
      else {
        const { headers, body } = renderError(500, undefined, (err as Error).message);
        sendError(res, 500, headers, body);
      }
    }
  }

  const endpoints: string[] = [];
  for (const server of servers) {
    server.keepAliveTimeout = 5000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoints.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return {
    endpoint: endpoints[SIDES.indexOf('runner')],
    clusterEndpoint: endpoints[SIDES.indexOf('cluster')],
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all(
        servers.map((server) => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          return closed;
        })
      );
    }
  };
}

function sendError(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** A single byte range [start, end); 'unsatisfiable' for 416; undefined when absent or not supported (→ 200). */
export function parseRange(
  header: string | undefined,
  size: number
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || last < start) return 'unsatisfiable';
  return { start, end: last + 1 };
}

/**
 * Answer with `size` bytes (or the requested Range of them) taken from `chunks(start, end)`, streamed with
 * backpressure; HEAD gets the head only. Applies the exchange's reset/corrupt fault to the body bytes.
 */
export async function sendBytes(
  ex: Exchange,
  headers: Record<string, string>,
  size: number,
  chunks: (start: number, end: number) => Iterable<Buffer>,
  opts: { ranges?: boolean } = {}
): Promise<void> {
  const { req, res } = ex;
  let status = 200;
  let start = 0;
  let end = size;
  const h: Record<string, string | number> = { ...headers };
  if (opts.ranges !== false) {
    h['Accept-Ranges'] = 'bytes';
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    if (range) {
      status = 206;
      ({ start, end } = range);
      h['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
    }
  }
  h['Content-Length'] = end - start;
  res.writeHead(status, h);
  if (req.method === 'HEAD') {
    if (ex.bodyFault?.kind === 'reset') return destroyAfterFlush(res);
    res.end();
    return;
  }
  await writeBody(ex, chunks(start, end));
}

/** Send a complete in-memory body (JSON, text) through the same fault-aware writer. */
export async function sendBuffer(ex: Exchange, status: number, headers: Record<string, string>, body: Buffer | string) {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  ex.res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  if (ex.req.method === 'HEAD') {
    if (ex.bodyFault?.kind === 'reset') return destroyAfterFlush(ex.res);
    ex.res.end();
    return;
  }
  await writeBody(ex, [buf]);
}

async function writeBody(ex: Exchange, chunks: Iterable<Buffer>): Promise<void> {
  const { res, bodyFault } = ex;
  let sent = 0;
  for (let chunk of chunks) {
    if (res.destroyed) return;
    if (bodyFault?.kind === 'corrupt' && bodyFault.atByte >= sent && bodyFault.atByte < sent + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[bodyFault.atByte - sent] ^= 0xff;
    }
    if (bodyFault?.kind === 'reset' && sent + chunk.length >= bodyFault.afterBytes) {
      return destroyAfterFlush(res, chunk.subarray(0, bodyFault.afterBytes - sent));
    }
    sent += chunk.length;
    await ex.pace?.(chunk.length);
    if (!res.write(chunk)) await drainOrClose(res);
  }
  if (bodyFault?.kind === 'reset') return destroyAfterFlush(res);
  res.end();
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Let what was written reach the socket, then cut the connection (the client sees a truncated body). */
function destroyAfterFlush(res: ServerResponse, last?: Buffer): void {
  res.flushHeaders();
  const socket = res.socket;
  if (last?.length) res.write(last, () => socket?.destroy());
  else setImmediate(() => socket?.destroy());
}
