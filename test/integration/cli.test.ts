/**
 * The CLI outside GitHub Actions, as a user on a plain machine runs it: the bundled bin on Node 24 with no RUNNER_*
 * variable, its own HOME and TMPDIR, credentials from the environment; help, exit codes, a plan and real runs
 * against the sandbox, cleanup after a failure and after SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { DEPLOYMENTS, PYTORCHJOBS } from '../../sandbox/operator/common.js';
import { sandboxInputs } from '../../scripts/lib/sandbox-inputs.js';
import { envName } from '../../src/cli/env-inputs.js';
import { NODE24 } from '../../scripts/lib/run-action.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function start(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<Result> } {
  // The bin as users run it: the bundled CLI on Node 24 (`npm run build` keeps dist/ current; CI checks it).
  // Only PATH and what the test gives: no RUNNER_* variable reaches it.
  const child = spawn(NODE24, [path.join(ROOT, 'dist/cli/index.js'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

/** A plain machine: a home and a temp folder of its own (made fresh for each call site). */
async function plainMachine(): Promise<{ home: string; tmp: string; env: Record<string, string> }> {
  const base = await mkdtemp(path.join(tmpdir(), 'cli-machine-'));
  const home = path.join(base, 'home');
  const tmp = path.join(base, 'tmp');
  await mkdir(home);
  await mkdir(tmp);
  return { home, tmp, env: { HOME: home, TMPDIR: tmp } };
}

let machine: Awaited<ReturnType<typeof plainMachine>>;
const cli = (args: string[], env: Record<string, string> = {}) => start(args, { ...machine.env, ...env }).done;

const count = (text: string, part: string) => text.split(part).length - 1;

/** Resolves once `cond` holds (checked as the sandbox serves requests), or fails after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  machine = await plainMachine();
});

describe('arena-ft-pipeline CLI', () => {
  it('--help lists the commands and documents every exit code', async () => {
    const res = await cli(['--help']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/run \[options\]/);
    expect(res.out).toMatch(/sandbox/);
    for (const code of ['0', '1', '2', '3', '130']) expect(res.out).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
    const run = await cli(['run', '--help']);
    expect(run.out).toMatch(/--config <model.yaml>/);
    expect(run.out).toMatch(/--tool-cache <dir>/);
    expect(run.out).toMatch(/ARENA_FT_OSS_BUCKET/);
    expect(run.out).toMatch(/130 +cancelled/);
  });

  it('exits 2 with the input named on a bad value, printed once, before any network call', async () => {
    const res = await cli(['run', '--set', 'model=../../etc', '--stages', 'sync']);
    expect(res.code).toBe(2);
    const line = res.err.split('\n').find((l) => l.includes('Input "model"'));
    expect(line).toBeDefined();
    expect(count(res.out + res.err, line!.replace(/^error: /, ''))).toBe(1);
    expect(res.err).toMatch(/what to do: /);
  });

  it('exits 2 on an unknown option', async () => {
    expect((await cli(['run', '--no-such-option'])).code).toBe(2);
  });

  it('exits 2 naming the file when --config does not exist', async () => {
    const res = await cli(['run', '--plan', '--config', path.join(machine.home, 'nope.yaml')]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`cannot read ${path.join(machine.home, 'nope.yaml')} (ENOENT)`);
  });

  it('refuses a Node older than the one it needs, with the version to install and exit 3', async () => {
    const res = await cli(['--help'], { ARENA_FT_NODE_VERSION: 'v20.19.0' });
    expect(res.code).toBe(3);
    expect(res.err).toMatch(/needs Node 22\.19\.0 or newer \(this is Node 20\.19\.0\)/);
    expect(res.out).toBe('');
  });

  describe('against the sandbox', () => {
    let sb: Sandbox;
    let env: Record<string, string>;
    beforeAll(async () => {
      sb = await startSandbox({ speed: 500 });
      const inputs = await sandboxInputs(sb);
      env = {};
      for (const [k, v] of Object.entries(inputs)) {
        if (k === 'oss-access-key-secret') env.OSS_ACCESS_KEY_SECRET = v;
        else if (k === 'hf-token') env.HF_TOKEN = v;
        else env[envName(k)] = v;
      }
    });
    afterAll(async () => {
      await sb.stop();
    });
    beforeEach(() => sb.faults.reset());
    afterEach(async () => {
      // Whatever the run did, the temp folder is as it found it (its own folder, the kubeconfig copy: removed).
      expect(await readdir(machine.tmp)).toEqual([]);
    });

    it('plans without changing anything', async () => {
      const res = await cli(['run', '--plan', '--stages', 'sync,storage,convert,deploy,smoke'], env);
      expect(res.code).toBe(0);
      // a plan reports what would run as planned, never as done (issue 14)
      expect(res.out).toMatch(/sync\s+planned.*would run/);
      // sync-mode auto (the default) says which mode and why, with both estimates
      expect(res.out).toMatch(/sync-mode auto → runner: sync-mode auto, .*; est\. .+ on this runner .+ in the cluster/);
      expect(res.out).not.toMatch(/^\w+\s+done\s/m);
      expect(sb.oss!.listKeys('')).toEqual([]);
      expect(res.out + res.err).not.toContain(env.OSS_ACCESS_KEY_SECRET);
      expect(res.out + res.err).not.toContain(env.HF_TOKEN);
    });

    it('plans from a model spec given by an absolute path outside the working folder', async () => {
      const spec = path.join(machine.home, 'specs', 'model.yaml');
      await mkdir(path.dirname(spec), { recursive: true });
      await writeFile(spec, `model: ${env[envName('model')]}\nrevision: main\n`);
      const res = await cli(['run', '--plan', '--stages', 'sync', '--config', spec], env);
      expect(res.err).toBe('');
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/sync\s+planned.*would run/);
    });

    it('installs and verifies its tools into its own cache with no RUNNER_* variable, syncs, and a re-run skips', async () => {
      const first = await cli(['run', '--stages', 'setup,sync'], env);
      expect(first.code).toBe(0);
      // the @actions libraries' workflow commands (::debug::, ::add-path::, ::set-env) stay off the terminal
      expect(first.out).not.toMatch(/^::/m);
      expect(first.out).toMatch(/kubectl 1\.34\.5 \(downloaded, sha256 verified by the published \.sha256\)/);
      expect(first.err).not.toMatch(/DEP0169|DeprecationWarning/);
      // XDG's default cache (~/.cache) of the user running it, nothing in the temp folder (afterEach)
      expect(existsSync(path.join(machine.home, '.cache/arena-ft-pipeline/tools/kubectl'))).toBe(true);
      // the kubeconfig copy was written (0600) and removed at exit
      expect(first.out).toMatch(/Wrote the kubeconfig .* to .*arena-ft-kubeconfig-/);
      expect(sb.oss!.listKeys('').some((k) => k.endsWith('.sync-manifest.json'))).toBe(true);
      expect(first.out).toMatch(/sync\s+done.*\(sync-mode auto: runner\)/);
      const second = await cli(['run', '--stages', 'setup,sync'], env);
      expect(second.code).toBe(0);
      expect(second.out).toMatch(/kubectl 1\.34\.5 \(cached, sha256 verified when downloaded\)/);
      expect(second.out).toMatch(/sync\s+skipped/);
    });

    it('exits 1 when a stage fails, printing the error once on stderr with what to do', async () => {
      const res = await cli(['run', '--stages', 'sync', '--set', 'model=org/does-not-exist'], env);
      expect(res.code).toBe(1);
      const line = res.err.split('\n').find((l) => l.startsWith('error: sync: '));
      expect(line).toBeDefined();
      expect(count(res.err, line!.replace(/^error: sync: /, ''))).toBe(1);
      expect(res.err).toMatch(/what to do: /);
    });

    it('a failed run undoes what it left open: the serving version deployed for a smoke test that failed', async () => {
      // The smoke stage's first read of the serving Deployment is refused once: it fails before its own rollback
      // can run, leaving the deploy stage's cleanup record (the post step's job in the action, the CLI's here).
      const run = start(['run', '--stages', 'all', '--set', 'version=v-left'], { ...machine.env, ...env });
      let armed = false;
      run.child.stdout!.on('data', (d: Buffer) => {
        if (!armed && /^deploy: done/m.test(String(d))) {
          armed = true;
          sb.faults.add({
            service: 'kube',
            method: 'GET',
            path: 'deployments\\?.*labelSelector',
            action: { kind: 'status', status: 403, message: 'forbidden by the test' }
          });
        }
      });
      const res = await run.done;
      expect(armed).toBe(true);
      expect(res.code).toBe(1);
      expect(res.err).toMatch(/error: smoke: /);
      expect(res.out).toMatch(/Cleaned up serving \S+ version v-left/);
      expect(res.out + res.err).not.toMatch(/No cleanup handler/);
      const left = sb
        .kube!.store.list(DEPLOYMENTS, undefined)
        .items.filter((d) => d.metadata.labels?.servingVersion === 'v-left');
      expect(left).toEqual([]);
    });

    it('a failed run deletes the converter job it submitted, through the composition root handlers', async () => {
      // The convert stage's watch of its PyTorchJob is refused after submitting, and so is the stage's own delete
      // of the job (arena's, then the API's): the job's cleanup record is left, and it is what the CLI undoes after
      // the run.
      const jobs = () => sb.kube!.store.list(PYTORCHJOBS, undefined).items.map((j) => j.metadata.name);
      const before = jobs();
      sb.faults.add({
        service: 'kube',
        method: 'GET',
        path: 'pytorchjobs.*watch=(true|1)',
        action: { kind: 'status', status: 403, message: 'forbidden by the test' }
      });
      sb.faults.add({
        service: 'kube',
        method: 'DELETE',
        path: 'pytorchjobs/ft-bloom-tiny-v-conv-left',
        times: 3, // kubectl's DELETE (arena tries twice), then the API's
        action: { kind: 'status', status: 403, message: 'forbidden by the test' }
      });
      const res = await cli(['run', '--stages', 'all', '--set', 'version=v-conv-left'], env);
      expect(res.code).toBe(1);
      expect(res.err).toMatch(/error: convert: /);
      expect(res.out + res.err).toMatch(/Could not delete the job/);
      expect(res.out).toMatch(/Cleaned up PyTorchJob \S+\/\S+v-conv-left/);
      expect(res.out + res.err).not.toMatch(/No cleanup handler/);
      expect(jobs()).toEqual(before);
    });

    it('SIGTERM mid-run: exits 130 with the converter job deleted and nothing left in the temp folder', async () => {
      const jobs = () => sb.kube!.store.list(PYTORCHJOBS, undefined).items.map((j) => j.metadata.name);
      const before = jobs();
      const run = start(['run', '--stages', 'all', '--set', 'version=v-term'], { ...machine.env, ...env });
      await until(() => jobs().length > before.length, 30_000, 'the PyTorchJob');
      run.child.kill('SIGTERM');
      const res = await run.done;
      expect(res.code).toBe(130);
      expect(res.err).toMatch(/SIGTERM: cancelling/);
      expect(jobs()).toEqual(before);
    });
  });
});

afterAll(async () => {
  await rm(path.dirname(machine.home), { recursive: true, force: true });
});
