/**
 * The sandbox's admin API: what tests and tools outside the test suite use to shape the world (declare hub
 * repos, move branches, issue STS credentials, inject faults, drive scenarios) and to look at it (recorded
 * requests, unfinished uploads). JSON over HTTP on 127.0.0.1; documented in sandbox/README.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Operator, Sandbox } from '../index.js';
import type { FaultSpec, ServiceName } from '../types.js';
import type { NetworkConfig } from '../network.js';

type Handler = (body: any, match: RegExpMatchArray, url: URL) => Promise<unknown> | unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

function need<T>(value: T | undefined, piece: string): T {
  if (value === undefined) throw new HttpError(409, `the ${piece} piece is not running in this sandbox`);
  return value;
}

/** Files in a JSON repo declaration may carry `contentBase64` instead of text `content`. */
function decodeFiles(files: unknown): unknown {
  if (!Array.isArray(files)) return files;
  return files.map((f) =>
    f && typeof f === 'object' && 'contentBase64' in f
      ? { ...f, content: Buffer.from(String((f as { contentBase64: string }).contentBase64), 'base64') }
      : f
  );
}

export async function startAdmin(sb: Sandbox): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/info$/, () => sb.info],
    [
      'POST',
      /^\/hub\/repos$/,
      (body) => {
        need(sb.hub, 'hub').declareRepo({ ...body, files: decodeFiles(body.files) });
        return { declared: body.id };
      }
    ],
    [
      'POST',
      /^\/hub\/repos\/([^/]+\/[^/]+)\/branches\/(.+)$/,
      (body, m) => ({
        commit: need(sb.hub, 'hub').moveBranch(decodeURIComponent(m[1]), decodeURIComponent(m[2]), {
          ...body,
          files: decodeFiles(body.files)
        })
      })
    ],
    ['POST', /^\/oss\/sts$/, (body) => need(sb.oss, 'oss').issueSts(Number(body.ttlSeconds ?? 3600))],
    ['GET', /^\/oss\/uploads$/, () => need(sb.oss, 'oss').listUploads()],
    ['GET', /^\/oss\/objects$/, (_b, _m, url) => need(sb.oss, 'oss').listKeys(url.searchParams.get('prefix') ?? '')],
    ['POST', /^\/faults$/, (body: FaultSpec) => ({ id: sb.faults.add(body) })],
    ['GET', /^\/faults$/, () => sb.faults.pending()],
    [
      'DELETE',
      /^\/faults$/,
      () => {
        sb.faults.reset();
        return { reset: true };
      }
    ],
    [
      'GET',
      /^\/requests$/,
      (_b, _m, url) => sb.faults.recorded((url.searchParams.get('service') as ServiceName | null) ?? undefined)
    ],
    [
      'POST',
      /^\/kube\/scenarios$/,
      (body) => {
        need(sb.operator, 'kube').setScenario(reviveScenario(body) as Parameters<Operator['setScenario']>[0]);
        return { set: true };
      }
    ],
    [
      'POST',
      /^\/kube\/operator$/,
      (body: { flavor?: string }) => {
        if (body?.flavor !== 'training-operator' && body?.flavor !== 'pytorch-operator')
          throw new HttpError(400, 'flavor must be "training-operator" or "pytorch-operator"');
        need(sb.operator, 'kube').setFlavor(body.flavor);
        return { flavor: body?.flavor };
      }
    ],
    [
      'DELETE',
      /^\/kube\/scenarios$/,
      () => {
        need(sb.operator, 'kube').clearScenarios();
        return { cleared: true };
      }
    ],
    [
      'POST',
      /^\/kube\/compact$/,
      () => {
        need(sb.kube, 'kube').compact();
        return { compacted: true };
      }
    ],
    [
      'POST',
      /^\/kube\/drop-watches$/,
      () => {
        need(sb.kube, 'kube').dropWatches();
        return { dropped: true };
      }
    ],
    [
      'POST',
      /^\/clock$/,
      (body) => {
        const speed = Number(body.speed);
        if (!(speed > 0)) throw new HttpError(400, 'speed must be a positive number');
        sb.clock.speed = speed;
        return { speed };
      }
    ],
    ['GET', /^\/network$/, () => sb.network.current()],
    [
      'POST',
      /^\/network$/,
      (body: NetworkConfig) => {
        try {
          sb.network.configure(body);
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
        return sb.network.current();
      }
    ],
    [
      'POST',
      /^\/reset$/,
      () => {
        sb.faults.reset();
        sb.network.configure({});
        sb.operator?.clearScenarios();
        sb.operator?.setFlavor('training-operator');
        return { reset: true };
      }
    ]
  ];

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = routes.find(([method, re]) => method === req.method && re.test(url.pathname));
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    if (!route) return reply(404, { error: `no admin route ${req.method} ${url.pathname}` });
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : {};
      reply(200, await route[2](body, url.pathname.match(route[1])!, url));
    } catch (err) {
      reply(err instanceof HttpError ? err.status : 400, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** JSON cannot carry a RegExp: scenario `match` fields arrive as strings. */
function reviveScenario(body: Record<string, unknown>): Record<string, unknown> {
  return typeof body?.match === 'string' ? { ...body, match: new RegExp(body.match) } : body;
}
