/**
 * `.../pods/<pod>/portforward`, as kubectl and @kubernetes/client-node speak it (recipe in
 * shared/reference/portforward-observed.md):
 * - WebSocket `v4.channel.k8s.io` (client-node): one socket per WebSocket, channel byte per message,
 *   port prefix on each channel's first server message.
 * - WebSocket-tunnelled SPDY (`SPDY/3.1+portforward.k8s.io`, kubectl's first try) and raw `Upgrade: SPDY/3.1`
 *   (its fallback): spdy-transport server, streams paired by `requestid`, `port` header says where to connect.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';

const require = createRequire(import.meta.url);
// spdy-transport 3.0.0 is CommonJS without types; the patches below rely on its private fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spdy: any = require('spdy-transport');

const SPDY_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const SPDY_ALIAS = 'x-spdy-portforward';
const CHANNEL_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v5.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io'
];

export interface ForwardTarget {
  /** The local port serving the pod's container port, or undefined when the pod does not expose it. */
  resolve(containerPort: number): number | undefined;
  podUid: string;
}

/** Tracks every socket opened, so stop() can end them all. */
export class PortForwarder {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      if (protocols.has(SPDY_ALIAS)) return SPDY_WS_PROTOCOL;
      return CHANNEL_PROTOCOLS.find((p) => protocols.has(p)) ?? false;
    }
  });
  private readonly sockets = new Set<Duplex | WebSocket>();

  private track<T extends Duplex | WebSocket>(s: T): T {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    return s;
  }

  /** Takes an accepted upgrade request (auth and pod checks already done). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget, query: URLSearchParams): void {
    this.track(socket);
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (upgrade.startsWith('spdy/')) {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n'
      );
      if (head.length) socket.unshift(head);
      this.serveSpdy(socket, target);
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim());
    const isSpdy = offered.includes(SPDY_WS_PROTOCOL);
    // `ws` rejects "/" in subprotocol tokens before asking us: swap in a token-safe alias, answer with the real name.
    if (isSpdy) req.headers['sec-websocket-protocol'] = SPDY_ALIAS;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.track(ws);
      if (isSpdy) {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => stream.destroy());
        this.serveSpdy(stream, target);
      } else this.serveChannels(ws, target, query);
    });
  }

  private serveChannels(ws: WebSocket, target: ForwardTarget, query: URLSearchParams): void {
    const port = Number((query.get('ports') ?? '').split(',')[0]);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port & 0xffff);
    ws.send(Buffer.concat([Buffer.from([0]), prefix]));
    ws.send(Buffer.concat([Buffer.from([1]), prefix]));
    const local = port ? target.resolve(port) : undefined;
    if (!local) {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(forwardError(target, port))]));
      ws.close(1000);
      return;
    }
    const sock = this.track(net.connect(local, '127.0.0.1'));
    sock.on('data', (d) => ws.send(Buffer.concat([Buffer.from([0]), d])));
    sock.on('end', () => ws.close(1000));
    sock.on('error', (e) => {
      if (ws.readyState === ws.OPEN)
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`${forwardError(target, port)}: ${e.message}`)]));
      ws.close(1000);
    });
    ws.on('message', (data: Buffer) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (buf[0] === 0 && buf.length > 1) sock.write(buf.subarray(1));
      else if (buf[0] === 255) sock.end();
    });
    ws.on('close', () => sock.destroy());
    ws.on('error', () => sock.destroy());
  }

  private serveSpdy(socket: Duplex, target: ForwardTarget): void {
    const conn = spdy.connection.create(socket, { protocol: 'spdy', isServer: true });
    const st = conn._spdyState;
    // kubectl (moby/spdystream) sends no :method/:path, which spdy-transport insists on.
    const parser = st.parser;
    const parseKVs = parser.parseKVs.bind(parser);
    parser.parseKVs = (buf: unknown, cb: (err: Error | null, headers?: Record<string, string>) => void) =>
      parseKVs(buf, (err: Error | null, headers?: Record<string, string>) => {
        if (headers) {
          headers[':method'] ??= 'POST';
          headers[':path'] ??= '/';
        }
        cb(err, headers);
      });
    // spdystream never sends WINDOW_UPDATE: without this, sending stalls after 64 KiB for the whole connection.
    st.window.send.current = st.window.send.max = 2 ** 30;
    st.streamWindow.send.current = st.streamWindow.send.max = 2 ** 30;
    conn.start(3.1);

    const pairs = new Map<string, { error?: Duplex; data?: Duplex }>();
    const pods = new Set<net.Socket>();
    conn.on('error', () => {
      for (const s of pods) s.destroy();
    });
    socket.on('close', () => {
      for (const s of pods) s.destroy();
    });
    conn.on(
      'stream',
      (stream: Duplex & { headers: Record<string, string>; respond(code: number, h: object): void }) => {
        stream.respond(200, {});
        stream.on('error', () => stream.destroy());
        const id = String(stream.headers.requestid ?? '');
        const type = stream.headers.streamtype;
        const port = Number(stream.headers.port);
        const pair = pairs.get(id) ?? {};
        pairs.set(id, pair);
        if (type === 'error') {
          pair.error = stream;
          stream.resume();
        } else pair.data = stream;
        if (!pair.error || !pair.data) return;
        pairs.delete(id);
        const { error, data } = pair as { error: Duplex; data: Duplex };
        const local = target.resolve(port);
        if (!local) {
          error.end(forwardError(target, port));
          data.end();
          return;
        }
        const sock = net.connect(local, '127.0.0.1');
        pods.add(sock);
        sock.on('error', (e) => {
          if (!error.writableEnded) error.end(`${forwardError(target, port)}: ${e.message}`);
        });
        sock.on('close', () => {
          pods.delete(sock);
          if (!data.writableEnded) data.end();
          if (!error.writableEnded) error.end();
        });
        data.pipe(sock);
        sock.pipe(data);
        data.on('close', () => sock.destroy());
      }
    );
  }

  close(): void {
    for (const s of this.sockets) {
      if ('terminate' in s) s.terminate();
      else s.destroy();
    }
    this.wss.close();
  }
}

function forwardError(target: ForwardTarget, port: number): string {
  return `error forwarding port ${port} to pod ${target.podUid}, uid : failed to connect to localhost:${port} inside namespace: connection refused`;
}
