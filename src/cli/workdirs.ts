/**
 * Where the CLI keeps its tools and its scratch files outside a runner. The setup stage uses @actions/tool-cache,
 * which reads RUNNER_TOOL_CACHE (the cache) and RUNNER_TEMP (downloads) from the environment; the CLI sets both
 * before any stage runs:
 * - tool cache: --tool-cache, else ARENA_FT_TOOL_CACHE, else a runner's RUNNER_TOOL_CACHE, else
 *   $XDG_CACHE_HOME/arena-ft-pipeline/tools (~/.cache/… when XDG_CACHE_HOME is unset). Kept between runs.
 * - temp: a folder of this run's own (arena-ft-<random>) under --temp-dir, else ARENA_FT_TEMP_DIR, else a runner's
 *   RUNNER_TEMP, else the OS temp folder (TMPDIR). Removed at exit with what it holds (downloads, the kubeconfig copy).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WorkdirOptions {
  readonly toolCache?: string;
  readonly tempDir?: string;
}

export interface Workdirs {
  readonly toolCache: string;
  /** This run's own temp folder. */
  readonly temp: string;
  /** Removes the temp folder (idempotent; never the tool cache). */
  remove(): void;
}

export function defaultToolCache(env: NodeJS.ProcessEnv, home: string = os.homedir()): string {
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return path.join(xdg ?? path.join(home, '.cache'), 'arena-ft-pipeline', 'tools');
}

export function resolveToolCache(opts: WorkdirOptions, env: NodeJS.ProcessEnv): string {
  return path.resolve(
    opts.toolCache ||
      env.ARENA_FT_TOOL_CACHE ||
      env.RUNNER_TOOL_CACHE ||
      defaultToolCache(env, env.HOME || os.homedir())
  );
}

/** Creates the folders and points RUNNER_TOOL_CACHE / RUNNER_TEMP at them in `env`. */
export function prepareWorkdirs(opts: WorkdirOptions, env: NodeJS.ProcessEnv): Workdirs {
  const toolCache = resolveToolCache(opts, env);
  mkdirSync(toolCache, { recursive: true });
  const base = path.resolve(opts.tempDir || env.ARENA_FT_TEMP_DIR || env.RUNNER_TEMP || os.tmpdir());
  mkdirSync(base, { recursive: true });
  const temp = mkdtempSync(path.join(base, 'arena-ft-'));
  env.RUNNER_TOOL_CACHE = toolCache;
  env.RUNNER_TEMP = temp;
  let removed = false;
  return {
    toolCache,
    temp,
    remove() {
      if (removed) return;
      removed = true;
      rmSync(temp, { recursive: true, force: true });
    }
  };
}
