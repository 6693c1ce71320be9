/**
 * Containers whose image the sandbox maps to a host command run as real child processes: the image's entrypoint
 * is a command on this machine (e.g. node and the product's bundled CLI), the container's `command` replaces it and
 * its `args` follow, as a container runtime does with ENTRYPOINT and CMD. The process gets the pod's environment
 * (plus HOSTNAME, and a HOME and TMPDIR of its own), its stdout and stderr become the container log, its exit code
 * the terminated state, and a kill (pod deletion) is SIGTERM, then SIGKILL once the grace period has passed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandRefs } from './env.js';
import { Killed, type Exit } from './programs.js';

/** What an image stands for on this machine. */
export interface ProcessImage {
  /** The image's ENTRYPOINT as a host command line, e.g. `[process.execPath, '/repo/dist/cli/index.js']`. */
  command: string[];
  /** The image's CMD: arguments used when the container gives no `args`. */
  args?: string[];
  /** Variables the image sets (ENV), under the pod's own. */
  env?: Record<string, string>;
  /** Working directory (WORKDIR) when the container has no workingDir; default: the process's HOME. */
  cwd?: string;
}

/**
 * The image → command table: a key matches the image exactly, or its repository (the image without `:tag` or
 * `@digest`), so `ghcr.io/org/sync` covers `ghcr.io/org/sync:v1`.
 */
export function findProcessImage(
  images: Record<string, ProcessImage> | undefined,
  image: string
): ProcessImage | undefined {
  if (!images) return undefined;
  if (Object.hasOwn(images, image)) return images[image];
  const repo = image.split('@')[0].replace(/:[^/:]+$/, '');
  return Object.hasOwn(images, repo) ? images[repo] : undefined;
}

/** The argv a runtime would exec: the container's command or the entrypoint, then args or CMD, with `$(VAR)`. */
export function processArgv(
  image: ProcessImage,
  container: { command?: string[]; args?: string[] },
  env: Record<string, string>
): string[] {
  const cmd = container.command?.length ? container.command : image.command;
  const args = container.args ?? (container.command?.length ? [] : (image.args ?? []));
  return [...cmd, ...args].map((a) => expandRefs(String(a), env));
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export interface HostProcessOptions {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  hostname: string;
  /** One line of the container log (without its newline). */
  log(line: string): void;
  /** Aborted when the container is killed: SIGTERM, then SIGKILL after `graceSeconds()`. */
  signal: AbortSignal;
  graceSeconds(): number;
  /** Scenario-clock sleep (resolves early when the process exits). */
  sleep(seconds: number, signal: AbortSignal): Promise<void>;
}

/** Runs the process to its exit; rejects with Killed when it was killed. */
export async function runHostProcess(o: HostProcessOptions): Promise<Exit> {
  const home = await mkdtemp(path.join(tmpdir(), 'sandbox-container-'));
  try {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, HOSTNAME: o.hostname, ...o.env };
    let child;
    try {
      child = spawn(o.argv[0], o.argv.slice(1), { env, cwd: o.cwd ?? home, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return startError(o.argv[0], err);
    }
    const lines = (stream: NodeJS.ReadableStream) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const l of parts) o.log(l);
      });
      return () => {
        if (partial) o.log(partial);
        partial = '';
      };
    };
    const flushOut = lines(child.stdout!);
    const flushErr = lines(child.stderr!);
    const exited = new AbortController();
    let spawnError: Error | undefined;
    const done = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        resolve({ code: null, sig: null });
      });
      child.once('close', (code, sig) => resolve({ code, sig }));
    });
    let killed = false;
    const kill = () => {
      killed = true;
      child.kill('SIGTERM');
      // the grace period runs on the scenario clock; it ends early when the process exits
      void o.sleep(o.graceSeconds(), exited.signal).then(() => {
        if (!exited.signal.aborted) child.kill('SIGKILL');
      });
    };
    if (o.signal.aborted) kill();
    else o.signal.addEventListener('abort', kill, { once: true });
    const { code, sig } = await done;
    exited.abort();
    o.signal.removeEventListener('abort', kill);
    flushOut();
    flushErr();
    if (spawnError) return startError(o.argv[0], spawnError);
    if (killed) throw new Killed();
    const exitCode = code ?? 128 + (SIGNALS[sig ?? ''] ?? 0);
    return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** What containerd reports when the entrypoint cannot be executed. */
function startError(bin: string, err: unknown): Exit {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why =
    code === 'ENOENT'
      ? bin.includes('/')
        ? `stat ${bin}: no such file or directory`
        : 'executable file not found in $PATH'
      : code === 'EACCES'
        ? 'permission denied'
        : String((err as Error)?.message);
  return {
    exitCode: 128,
    reason: 'StartError',
    message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${bin}": ${why}: unknown`
  };
}
