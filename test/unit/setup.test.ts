import { lstat, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startReleases, type ReleasesServer } from '../../sandbox/releases/index.js';
import { ScenarioClock } from '../../sandbox/clock.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { PipelineError } from '../../src/errors.js';
import { MemoryCleanupRegistry } from '../../src/pipeline/cleanup.js';
import type { StageContext } from '../../src/pipeline/types.js';
import { RecordingLogger } from '../../src/report/logger.js';
import { createSetupStage } from '../../src/stages/setup.js';
import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ARENA_HOME_VAR } from '../../src/arena/env.js';
import { arenaSource, SHIPPED_ARENA_SHA256 } from '../../src/tools/arena.js';
import { installTool, verificationText } from '../../src/tools/install.js';
import { arenaError, runArena } from '../../src/arena/exec.js';

const execFileP = promisify(execFile);

/** The directory setup puts on PATH for arena and arena-kubectl. */
const arenaBinDir = (env: NodeJS.ProcessEnv) =>
  path.join(
    env.RUNNER_TEMP!,
    `arena-ft-arena-${releases.arenaVersion}-amd64-kubectl-${releases.kubectlVersion}`,
    'bin'
  );

let faults: FaultRegistry;
let releases: ReleasesServer;
let kube: KubeHandle;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'setup-test-'));
  faults = new FaultRegistry();
  releases = await startReleases({ faults, dir: path.join(root, 'releases') });
  await mkdir(path.join(root, 'kube'));
  kube = await startKube({ faults, clock: new ScenarioClock(1000), dir: path.join(root, 'kube') });
});

afterAll(async () => {
  await releases?.stop();
  await kube?.stop();
  await rm(root, { recursive: true, force: true });
});

interface Run {
  ctx: StageContext;
  log: RecordingLogger;
  paths: string[];
  exported: Record<string, string>;
  sleeps: number[];
}

async function freshEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(path.join(root, 'job-'));
  const env = {
    RUNNER_TEMP: path.join(dir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(dir, 'toolcache'),
    HOME: dir,
    PATH: process.env.PATH,
    ...extra
  };
  await import('node:fs/promises').then((fs) =>
    Promise.all([fs.mkdir(env.RUNNER_TEMP, { recursive: true }), fs.mkdir(env.RUNNER_TOOL_CACHE, { recursive: true })])
  );
  return env;
}

function configFor(inputs: Record<string, string>): Config {
  const all: Record<string, string> = {
    stages: 'setup',
    'kubectl-url': releases.kubectlUrlTemplate,
    'arena-url': releases.arenaUrlTemplate,
    ...inputs
  };
  return loadConfig({ getInput: (n) => all[n] });
}

async function runSetup(
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv
): Promise<Run & { result: Awaited<ReturnType<ReturnType<typeof createSetupStage>['run']>> }> {
  // @actions/tool-cache reads these from process.env when called.
  process.env.RUNNER_TOOL_CACHE = env.RUNNER_TOOL_CACHE;
  process.env.RUNNER_TEMP = env.RUNNER_TEMP;
  const log = new RecordingLogger();
  const paths: string[] = [];
  const exported: Record<string, string> = {};
  const sleeps: number[] = [];
  const stage = createSetupStage({
    host: { addPath: (p) => paths.push(p), exportVariable: (k, v) => (exported[k] = v) },
    download: { sleep: async (ms) => void sleeps.push(ms) },
    connectTimeoutMs: 5000
  });
  const ctx: StageContext = {
    config: configFor(inputs),
    log,
    signal: new AbortController().signal,
    state: {},
    cleanup: new MemoryCleanupRegistry(),
    env
  };
  const result = await stage.run(ctx);
  return { ctx, log, paths, exported, sleeps, result };
}

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PipelineError) return e;
    throw e;
  }
  throw new Error('expected a PipelineError');
}

const requests = () => faults.recorded('releases').length;

describe('setup stage', () => {
  beforeEach(() => faults.reset());

  it('installs kubectl (verified) and arena (NOT verified: no digest is published) with arena-kubectl → kubectl', async () => {
    const env = await freshEnv();
    const r = await runSetup({}, env);
    expect(r.result.status).toBe('done');
    expect(r.result.summary).toContain(
      `kubectl ${releases.kubectlVersion} (downloaded, sha256 verified by the published .sha256)`
    );
    expect(r.result.summary).toContain(
      `arena ${releases.arenaVersion} (downloaded, NOT verified: no digest known, set arena-sha256)`
    );
    expect(r.log.text('warning')).toMatch(
      /arena 0\.15\.2: the download is NOT verified \(no arena-sha256 input, no digest shipped with this action for 0\.15\.2 \(linux\/amd64\) and the release publishes none\)/
    );
    expect(r.result.summary).toContain('no cluster credentials given');
    const kdir = tc.find('kubectl', releases.kubectlVersion, 'amd64');
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    const binDir = arenaBinDir(env);
    expect(r.paths).toEqual([kdir, binDir]);
    expect((await readdir(binDir)).sort()).toEqual(['arena', 'arena-kubectl']);
    expect(await realpath(path.join(binDir, 'arena-kubectl'))).toBe(await realpath(path.join(kdir, 'kubectl')));
    expect(await realpath(path.join(binDir, 'arena'))).toBe(await realpath(path.join(adir, 'bin', 'arena')));
    expect((await stat(path.join(kdir, 'kubectl'))).mode & 0o111).toBeTruthy();
    // charts where v0.15.2 looks: the run's own HOME for the product's arena, and ~/charts for the user's
    expect(r.exported.CHARTS_FOLDER).toBeUndefined();
    expect(await realpath(path.join(r.exported[ARENA_HOME_VAR], 'charts'))).toBe(
      await realpath(path.join(adir, 'charts'))
    );
    expect(await readlink(path.join(env.HOME!, 'charts'))).toBe(path.join(adir, 'charts'));
    // no request for an Arena checksum file: the real releases have none
    const urls = faults.recorded('releases').map((x) => x.url);
    expect(urls.some((u) => u.includes('.tar.gz.sha256'))).toBe(false);
    expect(urls).toEqual(
      expect.arrayContaining([
        `/release/v${releases.kubectlVersion}/bin/linux/amd64/kubectl`,
        `/release/v${releases.kubectlVersion}/bin/linux/amd64/kubectl.sha256`,
        `/arena/arena-installer-${releases.arenaVersion}-linux-amd64.tar.gz`
      ])
    );
  });

  it("puts nothing of the tarball's bin/ (kubectl 1.28, helm) ahead of the pinned kubectl on PATH", async () => {
    const env = await freshEnv();
    const r = await runSetup({}, env);
    const kdir = tc.find('kubectl', releases.kubectlVersion, 'amd64');
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    expect((await readdir(path.join(adir, 'bin'))).sort()).toEqual(
      expect.arrayContaining(['arena', 'helm', 'kubectl'])
    );
    const dirs = r.ctx.env.PATH!.split(path.delimiter);
    const first = (name: string) => dirs.map((d) => path.join(d, name)).find((f) => existsSync(f));
    expect(first('kubectl')).toBe(path.join(kdir, 'kubectl'));
    expect(dirs).not.toContain(path.join(adir, 'bin'));
    for (const d of r.paths) expect(existsSync(path.join(d, 'helm'))).toBe(false);
    // what a later `run: kubectl version` and arena's own arena-kubectl really execute
    for (const name of ['kubectl', 'arena-kubectl']) {
      const v = await execFileP(name, ['version', '--client', '-o', 'json'], { env: { PATH: r.ctx.env.PATH } });
      expect(JSON.parse(v.stdout).clientVersion.gitVersion).toBe(`v${releases.kubectlVersion}`);
    }
  });

  it('finds both in the tool cache on a second run and makes no request', async () => {
    const env = await freshEnv();
    await runSetup({}, env);
    const before = requests();
    const r = await runSetup({}, env);
    expect(requests()).toBe(before);
    expect(r.result.summary).toContain(`kubectl ${releases.kubectlVersion} (cached, sha256 verified when downloaded)`);
    expect(r.result.summary).toContain(`arena ${releases.arenaVersion} (cached, NOT verified when downloaded)`);
  });

  it('fails on a wrong sha256, showing both values, and caches nothing', async () => {
    const env = await freshEnv();
    const wrong = 'ab'.repeat(32);
    const e = await failure(runSetup({ 'kubectl-sha256': wrong }, env));
    expect(e.code).toBe('TOOL_CHECKSUM_MISMATCH');
    expect(e.message).toContain(wrong);
    expect(e.message).toContain(releases.kubectlSha256);
    expect(tc.find('kubectl', releases.kubectlVersion, 'amd64')).toBe('');
  });

  it('names version, arch and URL on a 404', async () => {
    const env = await freshEnv();
    const e = await failure(runSetup({ 'kubectl-version': '1.99.0', 'kubectl-sha256': 'cd'.repeat(32) }, env));
    expect(e.code).toBe('TOOL_NOT_FOUND');
    expect(e.message).toContain('1.99.0');
    expect(e.message).toContain('amd64');
    expect(e.message).toContain(`${releases.endpoint}/release/v1.99.0/bin/linux/amd64/kubectl`);
  });

  it('retries a connection reset mid-download, then succeeds', async () => {
    const env = await freshEnv();
    faults.add({ service: 'releases', path: '/kubectl$', action: { kind: 'reset', afterBytes: 100_000 }, times: 2 });
    const r = await runSetup({}, env);
    expect(r.result.status).toBe('done');
    expect(r.sleeps).toHaveLength(2);
    expect(r.log.text('warning')).toMatch(/kubectl: attempt 1 failed/);
  });

  it('fails clearly when the resets do not stop', async () => {
    const env = await freshEnv();
    faults.add({ service: 'releases', path: '/kubectl$', action: { kind: 'reset', afterBytes: 1000 }, times: 100 });
    const e = await failure(runSetup({}, env));
    expect(e.code).toBe('TOOL_DOWNLOAD_FAILED');
    expect(e.message).toContain('after retries');
    expect(e.message).toContain('kubectl');
    expect(tc.find('kubectl', releases.kubectlVersion, 'amd64')).toBe('');
  });

  it('downloads the arm64 build on an ARM64 runner', async () => {
    const env = await freshEnv({ RUNNER_ARCH: 'ARM64' });
    await runSetup({}, env);
    const urls = faults.recorded('releases').map((x) => x.url);
    expect(urls).toContain(`/release/v${releases.kubectlVersion}/bin/linux/arm64/kubectl`);
    expect(urls).toContain(`/arena/arena-installer-${releases.arenaVersion}-linux-arm64.tar.gz`);
    expect(tc.find('kubectl', releases.kubectlVersion, 'arm64')).not.toBe('');
  });

  it('accepts an arena-sha256 input and a mirror base URL', async () => {
    const env = await freshEnv();
    const sha = await releases.arenaSha256('amd64');
    const r = await runSetup({ 'arena-url': `${releases.endpoint}/arena/`, 'arena-sha256': sha }, env);
    expect(r.result.summary).toContain('arena 0.15.2 (downloaded, sha256 verified by the arena-sha256 input)');
    expect(r.log.text('warning')).not.toMatch(/NOT verified/);
  });

  it('verifies against a digest shipped with the action, and refuses a download that differs from it', async () => {
    const env = await freshEnv();
    process.env.RUNNER_TOOL_CACHE = env.RUNNER_TOOL_CACHE;
    const log = new RecordingLogger();
    const deps = { log, tempDir: env.RUNNER_TEMP!, addPath: () => undefined };
    const spec = { version: releases.arenaVersion, urlTemplate: releases.arenaUrlTemplate };
    const wrong = await failure(
      installTool(arenaSource(spec, 'amd64', { '0.15.2': { amd64: 'ef'.repeat(32) } }), deps)
    );
    expect(wrong.code).toBe('TOOL_CHECKSUM_MISMATCH');
    expect(wrong.message).toContain(await releases.arenaSha256('amd64'));
    expect(tc.find('arena', releases.arenaVersion, 'amd64')).toBe('');
    const sha = await releases.arenaSha256('amd64');
    const ok = await installTool(arenaSource(spec, 'amd64', { '0.15.2': { amd64: sha } }), deps);
    expect(verificationText(ok)).toBe('downloaded, sha256 verified by the digest shipped with this action');
    expect(SHIPPED_ARENA_SHA256).toEqual({}); // none could be established from a public source
  });

  it('writes the kubeconfig 0600, exports KUBECONFIG, masks its token and checks the cluster', async () => {
    const env = await freshEnv();
    const kubeconfig = await readFile(kube.kubeconfigPath, 'utf8');
    const r = await runSetup({ kubeconfig: Buffer.from(kubeconfig).toString('base64') }, env);
    const file = r.exported.KUBECONFIG;
    expect(file.startsWith(env.RUNNER_TEMP!)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(r.log.secrets).toContain(kube.token);
    expect(r.result.summary).toContain('cluster v1.34');
    expect(r.ctx.state.kubeconfigPath).toBe(file);
    expect(r.log.text()).not.toContain(kube.token);
  });

  it('uses an already exported KUBECONFIG when no input is given', async () => {
    const env = await freshEnv({ KUBECONFIG: kube.kubeconfigPath });
    const r = await runSetup({}, env);
    expect(r.exported.KUBECONFIG).toBeUndefined();
    expect(r.result.summary).toContain('cluster v1.34');
  });
});

describe('setup: ~/charts and the arena the product runs', () => {
  beforeEach(() => faults.reset());

  const submit = (name: string) => [
    'submit',
    'pytorchjob',
    `--name=${name}`,
    `--namespace=${kube.namespace}`,
    '--image=busybox',
    'echo hi'
  ];

  it('works a second time after the tool cache was deleted (the dangling ~/charts link is replaced)', async () => {
    const env = await freshEnv();
    await runSetup({}, env);
    const before = await readlink(path.join(env.HOME!, 'charts'));
    // the demo after its temp folders are gone: same HOME, a new tool cache and RUNNER_TEMP elsewhere
    await rm(env.RUNNER_TOOL_CACHE!, { recursive: true, force: true });
    expect(existsSync(path.join(env.HOME!, 'charts'))).toBe(false); // dangling now
    const again = { ...(await freshEnv()), HOME: env.HOME };
    const r = await runSetup({}, again);
    expect(r.result.status).toBe('done');
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    expect(await readlink(path.join(env.HOME!, 'charts'))).toBe(path.join(adir, 'charts'));
    expect(adir).not.toBe(path.dirname(before));
    expect(r.log.text('info')).toContain(`it was a dangling link to ${before}`);
    expect(existsSync(path.join(env.HOME!, 'charts', 'pytorchjob', 'Chart.yaml'))).toBe(true);
  });

  it("replaces a link into another tool-cache copy of Arena's charts, saying so", async () => {
    const env = await freshEnv();
    const older = path.join(root, 'old-cache', 'arena', '0.15.1', 'amd64', 'charts');
    await mkdir(older, { recursive: true });
    await symlink(older, path.join(env.HOME!, 'charts'));
    const r = await runSetup({}, env);
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    expect(await readlink(path.join(env.HOME!, 'charts'))).toBe(path.join(adir, 'charts'));
    expect(r.log.text('info')).toContain(`it linked to another tool-cache copy of Arena's charts (${older})`);
  });

  it.each([
    ['a folder of the user', async (p: string) => mkdir(p), 'a folder or file this action did not create'],
    [
      'a link the user made',
      async (p: string) => symlink(path.join(root, 'kube'), p),
      'a link to ' // …the target, which this action did not create
    ]
  ])('never clobbers %s: warns, and the product still runs arena with the pinned charts', async (_w, make, why) => {
    const env = await freshEnv({ KUBECONFIG: kube.kubeconfigPath });
    const mine = path.join(env.HOME!, 'charts');
    await make(mine);
    const statBefore = await lstat(mine);
    const r = await runSetup({}, env);
    expect(r.log.text('warning')).toContain(`Left ${mine} as it is (it is ${why}`);
    expect(r.log.text('warning')).toContain("This action's own arena commands use");
    const after = await lstat(mine);
    expect([after.isDirectory(), after.isSymbolicLink(), after.ino]).toEqual([
      statBefore.isDirectory(),
      statBefore.isSymbolicLink(),
      statBefore.ino
    ]);
    const name = why.startsWith('a folder') ? 'own-charts-folder' : 'own-charts-link';
    const res = await runArena(submit(name), { env: r.ctx.env });
    expect({ code: res.exitCode, err: res.stderr }).toEqual({ code: 0, err: expect.any(String) });
    expect(
      kube.store.get({ group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' }, kube.namespace, name)
    ).toBeDefined();
  });

  it('gives the product an arena that submits through arena-kubectl (the pinned kubectl) to the cluster', async () => {
    const env = await freshEnv({ KUBECONFIG: kube.kubeconfigPath });
    const r = await runSetup({}, env);
    const res = await runArena(submit('through-setup'), { env: r.ctx.env });
    expect(res.exitCode).toBe(0);
    const job = kube.store.get(
      { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' },
      kube.namespace,
      'through-setup'
    )!;
    expect(Object.keys(job.metadata.annotations ?? {})).toContain('kubectl.kubernetes.io/last-applied-configuration');
    // the same PATH without setup's arena directory: v0.15.2's failure, which setup used to leave users with
    const bare = r.ctx.env.PATH!.split(path.delimiter).filter((d) => d !== arenaBinDir(env));
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    const old = await runArena(submit('without-arena-kubectl'), {
      env: { ...r.ctx.env, PATH: [path.join(adir, 'bin'), ...bare].join(path.delimiter) }
    });
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toContain('exec: \\"arena-kubectl\\": executable file not found in $PATH');
  });

  it("names kubectl's reason when arena-kubectl apply fails (v0.15.2 only logs exit status 1)", async () => {
    const env = await freshEnv({ KUBECONFIG: kube.kubeconfigPath });
    const r = await runSetup({}, env);
    faults.add({
      service: 'kube',
      method: 'POST',
      path: 'pytorchjobs',
      times: 5,
      action: { kind: 'status', status: 403, message: 'pytorchjobs is forbidden by the sandbox' }
    });
    const args = submit('apply-refused');
    const res = await runArena(args, { env: r.ctx.env });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain('exit status 1');
    const e = arenaError(args, res, 'submit the conversion');
    expect(e.message).toMatch(/^arena submit pytorchjob \(submit the conversion\) exited with 1: Error from server/);
    expect(e.message).toContain('pytorchjobs is forbidden by the sandbox');
  });
});
