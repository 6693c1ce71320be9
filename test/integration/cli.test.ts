/**
 * The CLI outside GitHub Actions: help, exit codes, and a real run and a plan against the sandbox with
 * credentials from the environment.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxInputs } from '../../scripts/lib/sandbox-inputs.js';
import { envName } from '../../src/cli/env-inputs.js';
import { NODE24 } from '../../scripts/lib/run-action.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // The bin as users run it: the bundled CLI on Node 24 (`npm run build` keeps dist/ current; CI checks it).
    const child = spawn(NODE24, [path.join(ROOT, 'dist/cli/index.js'), ...args], {
      cwd: ROOT,
      // never the real home (setup links ~/charts there): a folder that does not exist unless a test makes it
      env: { PATH: process.env.PATH ?? '', HOME: path.join(tmpdir(), 'arena-ft-cli-test-no-home'), ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('arena-ft-pipeline CLI', () => {
  it('--help lists the commands and the exit codes', async () => {
    const res = await cli(['--help']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/run \[options\]/);
    expect(res.out).toMatch(/sandbox/);
    expect(res.out).toMatch(/Exit codes: 0 success, 1 a stage failed, 2 bad usage or configuration, 130 cancelled/);
    const run = await cli(['run', '--help']);
    expect(run.out).toMatch(/--config <model.yaml>/);
    expect(run.out).toMatch(/ARENA_FT_OSS_BUCKET/);
  });

  it('exits 2 with the input named on a bad value, before any network call', async () => {
    const res = await cli(['run', '--set', 'model=../../etc', '--stages', 'sync']);
    expect(res.code).toBe(2);
    expect(res.out).toMatch(/Input "model"/);
  });

  it('exits 2 on an unknown option', async () => {
    expect((await cli(['run', '--no-such-option'])).code).toBe(2);
  });

  describe('against the sandbox', () => {
    let sb: Sandbox;
    let env: Record<string, string>;
    let work: string;
    beforeAll(async () => {
      sb = await startSandbox({ speed: 500 });
      work = await mkdtemp(path.join(tmpdir(), 'cli-'));
      const inputs = await sandboxInputs(sb);
      env = { RUNNER_TEMP: work, RUNNER_TOOL_CACHE: path.join(work, 'tc'), HOME: path.join(work, 'home') };
      await mkdir(env.HOME);
      for (const [k, v] of Object.entries(inputs)) {
        if (k === 'oss-access-key-secret') env.OSS_ACCESS_KEY_SECRET = v;
        else if (k === 'hf-token') env.HF_TOKEN = v;
        else env[envName(k)] = v;
      }
    });
    afterAll(async () => {
      await sb.stop();
      await rm(work, { recursive: true, force: true });
    });

    it('plans without changing anything', async () => {
      const res = await cli(['run', '--plan', '--stages', 'sync,storage,convert,deploy,smoke'], env);
      expect(res.code).toBe(0);
      // a plan reports what would run as planned, never as done (issue 14)
      expect(res.out).toMatch(/sync\s+planned.*would run/);
      expect(res.out).not.toMatch(/^\w+\s+done\s/m);
      expect(sb.oss!.listKeys('')).toEqual([]);
      expect(res.out).not.toContain(env.OSS_ACCESS_KEY_SECRET);
      expect(res.out).not.toContain(env.HF_TOKEN);
    });

    it('runs the sync stage and exits 0; a re-run skips it', async () => {
      const first = await cli(['run', '--stages', 'setup,sync'], env);
      expect(first.code).toBe(0);
      // the @actions libraries' workflow commands (::debug::, ::add-path::, ::set-env) stay off the terminal
      expect(first.out).not.toMatch(/^::/m);
      expect(first.out).toMatch(/kubectl 1\.34\.5/);
      // ~/charts lands in the test's own HOME
      expect(first.out).toContain(`Linked ${path.join(env.HOME, 'charts')} → `);
      expect(sb.oss!.listKeys('').some((k) => k.endsWith('.sync-manifest.json'))).toBe(true);
      const second = await cli(['run', '--stages', 'sync'], env);
      expect(second.code).toBe(0);
      expect(second.out).toMatch(/sync\s+skipped/);
    });

    it('exits 1 when a stage fails, with what to do', async () => {
      const res = await cli(['run', '--stages', 'sync', '--set', 'model=org/does-not-exist'], env);
      expect(res.code).toBe(1);
      expect(res.out).toMatch(/what to do: /);
    });
  });
});
