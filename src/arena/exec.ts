/**
 * The one place in the product that starts a process: `arena` through @actions/exec with an argument array.
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import * as exec from '@actions/exec';
import { PipelineError } from '../errors.js';
import { forbiddenError, forbiddenSentence } from '../k8s/forbidden.js';

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
    Object.entries(opts.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined)
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

/** Runs arena and throws a PipelineError with its output when it exits non-zero. */
export async function arenaOrThrow(
  run: ArenaRunner,
  args: readonly string[],
  what: string,
  env?: NodeJS.ProcessEnv
): Promise<ArenaResult> {
  const res = await run(args, { env });
  if (res.exitCode !== 0) throw arenaError(args, res, what);
  return res;
}

export function arenaError(args: readonly string[], res: ArenaResult, what: string): PipelineError {
  const lines = (res.stderr.trim() || res.stdout.trim())
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .slice(-20);
  // Arena (through arena-kubectl) passes the API server's Forbidden text on: say which rule to grant
  const refused = lines.map(forbiddenSentence).find((l) => l !== undefined);
  if (refused) {
    const f = forbiddenError(`arena ${args.slice(0, 2).join(' ')} (${what})`, refused);
    return new PipelineError(f.code, f.message, f.hint, { details: lines });
  }
  return new PipelineError(
    'ARENA_FAILED',
    `arena ${args.slice(0, 2).join(' ')} (${what}) exited with ${res.exitCode}: ${lines[lines.length - 1] ?? ''}`,
    'Read the arena output below; check the kubeconfig context, the namespace and that the Arena operators are installed.',
    { details: lines }
  );
}
