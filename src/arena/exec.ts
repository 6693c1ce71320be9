/**
 * The one place in the product that starts a process: `arena` through @actions/exec with an argument array.
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import * as exec from '@actions/exec';
import { PipelineError } from '../errors.js';
import { abortableSleep, backoffDelay, type RetryOptions } from '../util/retry.js';
import { arenaChildEnv } from './env.js';
import { forbiddenError, forbiddenSentence } from '../util/forbidden.js';

export interface ArenaRunner {
  (args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<ArenaResult>;
}

export interface ArenaResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The arena binary on the PATH the child gets (@actions/exec would search the parent's PATH instead). */
async function findArena(env: Record<string, string>): Promise<string> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'arena');
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return 'arena';
}

/** Runs `arena <args>`; resolves with the output whatever the exit code (callers decide what a failure means). */
export const runArena: ArenaRunner = async (args, opts = {}) => {
  let stdout = '';
  let stderr = '';
  const env = Object.fromEntries(
    // The run's own HOME (charts of the pinned version) and an explicit KUBECONFIG: see tools/arena-layout.ts.
    Object.entries(arenaChildEnv(opts.env ?? process.env)).filter((e): e is [string, string] => e[1] !== undefined)
  );
  try {
    const exitCode = await exec.exec(await findArena(env), [...args], {
      env,
      silent: true,
      ignoreReturnCode: true,
      listeners: {
        stdout: (b: Buffer) => (stdout += b.toString()),
        stderr: (b: Buffer) => (stderr += b.toString())
      }
    });
    return { exitCode, stdout, stderr };
  } catch (err) {
    throw new PipelineError(
      'ARENA_NOT_FOUND',
      `could not run arena: ${(err as Error).message}`,
      'Run the setup stage first so that arena is on the PATH.',
      { cause: err }
    );
  }
};

export function arenaError(args: readonly string[], res: ArenaResult, what: string): PipelineError {
  const lines = (res.stderr.trim() || res.stdout.trim())
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .slice(-20);
  // Arena (through arena-kubectl, whose output it prints on stdout) passes the API server's Forbidden text on:
  // say which rule to grant
  const refused = [...lines, ...res.stdout.split('\n')].map(forbiddenSentence).find((l) => l !== undefined);
  if (refused) {
    const f = forbiddenError(`arena ${args.slice(0, 2).join(' ')} (${what})`, refused);
    return new PipelineError(f.code, f.message, f.hint, { details: lines });
  }
  // Arena v0.15.2 prints a failed `arena-kubectl apply`'s own output on stdout and then only logs "exit status 1"
  // (pkg/workflow/workflow.go:188-200): the reason is kubectl's error lines on stdout.
  const kubectlReason = /level=error msg="?exit status \d+"?\s*$/.test(lines[lines.length - 1] ?? '')
    ? res.stdout
        .split('\n')
        .filter((l) => /^(error|Error from server)/.test(l.trim()))
        .slice(-5)
    : [];
  const headline = kubectlReason[kubectlReason.length - 1] ?? lines[lines.length - 1] ?? '';
  return new PipelineError(
    'ARENA_FAILED',
    `arena ${args.slice(0, 2).join(' ')} (${what}) exited with ${res.exitCode}: ${headline}`,
    'Read the arena output below; check the kubeconfig context, the namespace and that the Arena operators are installed.',
    { details: [...kubectlReason, ...lines] }
  );
}

// ---- retries of transient failures ------------------------------------------------------------------------

/**
 * Arena's output when the Kubernetes API failed transiently: kubectl's `Error from server (<reason>)` for 5xx/429
 * reasons (kubectl apply's output, printed by Arena), the API server's own wording of those statuses (Arena
 * prints client-go's error, i.e. the Status message), and connection failures.
 */
const TRANSIENT_ARENA_OUTPUT = new RegExp(
  [
    String.raw`Error from server \((InternalError|ServiceUnavailable|ServerTimeout|Timeout|TooManyRequests)\)`,
    'Internal error occurred',
    'the server is currently unable to handle the request',
    'the server has received too many requests',
    'Too many requests',
    'Unable to connect to the server',
    'failed to reach the Kubernetes API server',
    'connection refused',
    'connection reset by peer',
    'i/o timeout',
    'TLS handshake timeout',
    'http2: server sent GOAWAY',
    'unexpected EOF'
  ].join('|'),
  'i'
);

/** An arena run that failed because the API server failed or was not reached (worth another try). */
export function isTransientArenaFailure(res: ArenaResult): boolean {
  return res.exitCode !== 0 && TRANSIENT_ARENA_OUTPUT.test(`${res.stdout}\n${res.stderr}`);
}

/** What the cluster shows after a failed arena call, checked through the Kubernetes API. */
export type ArenaEffect =
  /** Nothing of the call is there: running it again is safe. */
  | { readonly kind: 'absent' }
  /** The call's effect is there (the object exists, or is gone for a delete): the call succeeded after all. */
  | { readonly kind: 'done'; readonly what: string }
  /** Part of it is there: running again would fail or duplicate; stop. */
  | { readonly kind: 'partial'; readonly what: string };

export interface ArenaRetryOptions {
  /** Attempts in total, the first included (the same budget as the API calls). */
  readonly attempts: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly sleep?: RetryOptions['sleep'];
  readonly random?: () => number;
  /** Checked after a transient failure, before running again: never a blind re-run. */
  readonly check: (args: readonly string[]) => Promise<ArenaEffect>;
  readonly onRetry?: (why: string, attempt: number, delayMs: number) => void;
}

/**
 * Runs arena; on a transient API failure checks through the API what the call left, then runs again only when
 * nothing is there (with backoff, up to `attempts`). Resolves with a success (possibly established by the check),
 * or the last non-transient result for the caller to judge; throws ARENA_API_FAILED when the budget ran out or a
 * part of the call was left.
 */
export async function runArenaRetrying(
  run: ArenaRunner,
  args: readonly string[],
  what: string,
  opts: ArenaRetryOptions
): Promise<ArenaResult> {
  const sleep = opts.sleep ?? abortableSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const res = await run(args, { env: opts.env, signal: opts.signal });
    if (res.exitCode === 0 || !isTransientArenaFailure(res)) return res;
    opts.signal?.throwIfAborted();
    const effect = await opts.check(args);
    const why = lastLine(res);
    if (effect.kind === 'done') return { exitCode: 0, stdout: res.stdout, stderr: res.stderr };
    if (effect.kind === 'partial') {
      throw arenaApiError(args, res, what, attempt, `and left ${effect.what}, so it was not run again`);
    }
    if (attempt >= opts.attempts) throw arenaApiError(args, res, what, attempt, '');
    const delay = backoffDelay(attempt, 500, 10_000, random);
    opts.onRetry?.(why, attempt, delay);
    await sleep(delay, opts.signal);
  }
}

function lastLine(res: ArenaResult): string {
  return outputLines(res)[outputLines(res).length - 1] ?? '';
}

/** Arena's output lines, stack frames dropped, the last 20. */
function outputLines(res: ArenaResult): string[] {
  return [
    ...res.stdout
      .trim()
      .split('\n')
      .filter((l) => /Error from server|Unable to connect/.test(l)),
    ...res.stderr.trim().split('\n')
  ]
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^\s+at /.test(l))
    .slice(-20);
}

function arenaApiError(args: readonly string[], res: ArenaResult, what: string, attempts: number, left: string) {
  const lines = outputLines(res);
  const cause = lines.find((l) => TRANSIENT_ARENA_OUTPUT.test(l)) ?? lines[lines.length - 1] ?? '';
  return new PipelineError(
    'ARENA_API_FAILED',
    `arena ${args.slice(0, 2).join(' ')} (${what}) failed ${attempts === 1 ? 'once' : `${attempts} times`} because the Kubernetes API failed${left ? ` ${left}` : ''}: ${cause}`,
    'The cluster’s API server was unavailable or unreachable: check its health (ACK console: control plane status) and the network from the runner, then re-run (finished work is skipped).',
    { details: lines }
  );
}

/** An ArenaRunner that retries transient failures as above (the retry budget of the API calls). */
export function retryingArena(run: ArenaRunner, opts: Omit<ArenaRetryOptions, 'env' | 'signal'>): ArenaRunner {
  return (args, o = {}) => runArenaRetrying(run, args, args.slice(0, 2).join(' '), { ...opts, ...o });
}
