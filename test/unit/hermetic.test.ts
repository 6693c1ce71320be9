/** The suite's hermetic environment (test/hermetic/setup.mjs): nothing a test writes can reach the real home or temp. */
import os from 'node:os';
import path from 'node:path';

describe('hermetic test environment', () => {
  const root = process.env.ARENA_FT_TEST_ROOT ?? '';
  it('gives HOME, TMPDIR, RUNNER_TEMP, the tool cache and the npm cache folders under one temp root', () => {
    expect(root).not.toBe('');
    for (const v of ['HOME', 'TMPDIR', 'RUNNER_TEMP', 'RUNNER_TOOL_CACHE', 'XDG_CACHE_HOME', 'npm_config_cache']) {
      expect(path.relative(root, process.env[v] ?? '/')).not.toMatch(/^\.\./);
    }
    expect(os.homedir()).toBe(process.env.HOME);
    expect(os.tmpdir()).toBe(process.env.TMPDIR);
  });
});
