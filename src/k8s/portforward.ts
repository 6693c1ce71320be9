/**
 * A local TCP port that reaches a pod's port through the API server (client-node's PortForward, the WebSocket
 * channel protocol): every local connection gets its own forwarded stream, so a dropped stream costs one
 * connection, and the next request simply opens a new one.
 */
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';

export interface LocalForward {
  /** 127.0.0.1 port that reaches the pod. */
  readonly port: number;
  /** Connections opened so far (each is one forwarded stream). */
  connections(): number;
  /** Error text the API server or kubelet sent on the error channel, latest last. */
  errors(): string[];
  /** Ends every open connection (as a dropped stream would); new connections still work. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function forwardPort(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  targetPort: number
): Promise<LocalForward> {
  const pf = new PortForward(kc);
  const sockets = new Set<net.Socket>();
  const errors: string[] = [];
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        const text = chunk.toString('utf8').trim();
        if (text) {
          errors.push(text);
          socket.destroy();
        }
        cb();
      }
    });
    pf.portForward(namespace, pod, [targetPort], socket, errStream, socket).then(
      (ws) => {
        const w = typeof ws === 'function' ? ws() : ws;
        if (!w) return socket.destroy();
        w.on('close', () => socket.end());
        w.on('error', () => socket.destroy());
        socket.on('close', () => w.close());
      },
      (err: unknown) => {
        errors.push(errorText(err));
        socket.destroy();
      }
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => count,
    errors: () => [...errors],
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })
  };
}

/**
 * client-node rejects a refused WebSocket upgrade with the `ws` library's ErrorEvent (not an Error): its
 * `message` (e.g. "Unexpected server response: 403") is what says why.
 */
function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  const m = (err as { message?: unknown; error?: unknown } | null)?.message;
  if (typeof m === 'string' && m) return m;
  const inner = (err as { error?: unknown } | null)?.error;
  if (inner instanceof Error) return inner.message;
  return String(err);
}
