/**
 * Jest globalSetup: every test runs with its own HOME, TMPDIR, RUNNER_TEMP, RUNNER_TOOL_CACHE and XDG cache under
 * one temp root, removed by teardown.mjs. Set here, in the parent process, before jest starts its workers (they
 * inherit the environment), so that no test, child process or library (os.homedir(), os.tmpdir(),
 * @actions/tool-cache, arena's ~/charts, npm's cache) can reach the real home or the shared temp folder.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT_VAR = 'ARENA_FT_TEST_ROOT';

export default function hermeticSetup() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'arena-ft-tests-'));
  const dirs = {
    HOME: path.join(root, 'home'),
    TMPDIR: path.join(root, 'tmp'),
    RUNNER_TEMP: path.join(root, 'runner-temp'),
    RUNNER_TOOL_CACHE: path.join(root, 'tool-cache'),
    XDG_CACHE_HOME: path.join(root, 'home', '.cache'),
    // npm sets npm_config_cache for `npm test` to the real ~/.npm; a test that runs npm gets its own.
    npm_config_cache: path.join(root, 'npm-cache')
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  Object.assign(process.env, dirs, { [ROOT_VAR]: root });
}
