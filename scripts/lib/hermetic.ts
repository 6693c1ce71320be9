/**
 * One temp root for a script's whole run (the demo, the bench): HOME, TMPDIR, RUNNER_TEMP, the tool cache and the
 * XDG cache all point inside it for this process and every child it starts, and `remove()` deletes it, so a run
 * leaves the real home directory and the temp folder as it found them (the jest suite does the same through
 * test/hermetic/setup.mjs).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Hermetic {
  readonly root: string;
  readonly toolCache: string;
  remove(): void;
}

export function enterHermeticRoot(prefix: string, env: NodeJS.ProcessEnv = process.env): Hermetic {
  const root = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const dirs = {
    HOME: path.join(root, 'home'),
    TMPDIR: path.join(root, 'tmp'),
    RUNNER_TEMP: path.join(root, 'runner-temp'),
    RUNNER_TOOL_CACHE: path.join(root, 'tool-cache'),
    XDG_CACHE_HOME: path.join(root, 'home', '.cache'),
    npm_config_cache: path.join(root, 'npm-cache')
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  Object.assign(env, dirs);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  // also when the script is stopped with Ctrl-C or exits early
  process.once('exit', remove);
  return { root, toolCache: dirs.RUNNER_TOOL_CACHE, remove };
}
