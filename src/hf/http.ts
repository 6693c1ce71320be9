/**
 * The hub adapter's HTTP layer on node:http/https (not fetch) so that redirects are ours to follow: the
 * Authorization header goes to the hub's own origin only, never to the CDN a 302 points at, and once dropped it
 * stays dropped. Bodies are read through `readChunks`, whose stall watchdog runs only while we wait for bytes
 * (a socket idle timeout would also fire while we hold the stream back to wait for an upload slot).
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { bytesRead } from '../util/reclaim.js';

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 })
};

export interface HttpRequest {
  readonly method?: 'GET' | 'HEAD';
  readonly headers?: Record<string, string>;
  /** Sent only to this origin (the hub's); dropped for good on the first cross-origin redirect. */
  readonly authorization?: string;
  readonly signal?: AbortSignal;
  /** No response head, or no body bytes for this long → the request fails with a StallError. */
  readonly stallMs: number;
  /** 0: return the redirect itself. */
  readonly maxRedirects?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** Every response head on the way, the first (the hub's) first. */
  readonly chain: readonly { url: string; status: number; headers: IncomingHttpHeaders }[];
  readonly body: IncomingMessage;
}

/** No bytes arrived within the stall timeout. */
export class StallError extends Error {
  readonly code = 'ESTALL';
  constructor(url: string, ms: number) {
    super(`no data from ${new URL(url).host} for ${ms} ms`);
    this.name = 'StallError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function once(url: string, req: HttpRequest, auth: string | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': 'arena-ft-pipeline', ...req.headers };
    if (auth) headers.authorization = auth;
    const r = mod.request(
      u,
      {
        method: req.method ?? 'GET',
        headers,
        agent: u.protocol === 'https:' ? agents.https : agents.http,
        signal: req.signal
      },
      (res) => {
        r.setTimeout(0);
        resolve(res);
      }
    );
    r.setTimeout(req.stallMs, () => r.destroy(new StallError(url, req.stallMs)));
    r.on('error', reject);
    r.end();
  });
}

export async function httpRequest(url: string, req: HttpRequest): Promise<HttpResponse> {
  const origin = new URL(url).origin;
  let auth = req.authorization;
  const chain: { url: string; status: number; headers: IncomingHttpHeaders }[] = [];
  for (let hop = 0; ; hop++) {
    const res = await once(url, req, auth);
    const status = res.statusCode ?? 0;
    chain.push({ url, status, headers: res.headers });
    const follow = REDIRECTS.has(status) && res.headers.location && req.maxRedirects !== 0;
    if (!follow) return { status, headers: res.headers, url, chain, body: res };
    res.resume();
    if (hop >= (req.maxRedirects ?? 5)) throw new Error(`too many redirects from ${new URL(chain[0].url).host}`);
    url = new URL(res.headers.location as string, url).toString();
    if (new URL(url).origin !== origin) auth = undefined;
  }
}

/** Read a body to the end (small JSON answers), with the stall watchdog. */
export async function readAll(body: IncomingMessage, stallMs: number, url: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of readChunks(body, stallMs, url)) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * The body's chunks; fails with a StallError when no chunk arrives within `stallMs` while we are waiting.
 * Time spent by the consumer between chunks (backpressure) does not count. Each chunk's size goes to `onRead`:
 * by default the process's collector of dead socket-read buffers (src/util/reclaim.ts).
 */
export async function* readChunks(
  body: IncomingMessage,
  stallMs: number,
  url: string,
  onRead: (bytes: number) => void = bytesRead
): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  let waiting = false;
  const timer = setTimeout(() => {
    if (waiting) body.destroy(new StallError(url, stallMs));
  }, stallMs);
  try {
    for (;;) {
      waiting = true;
      timer.refresh();
      const next = await it.next();
      waiting = false;
      if (next.done) return;
      onRead((next.value as Buffer).length);
      yield next.value as Buffer;
    }
  } finally {
    clearTimeout(timer);
    if (!body.readableEnded) body.destroy();
  }
}
