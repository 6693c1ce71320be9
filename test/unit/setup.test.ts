import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
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
import { readFile } from 'node:fs/promises';

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

  it('replaces a dangling ~/charts link left by an earlier job (was: INTERNAL EEXIST)', async () => {
    const env = await freshEnv();
    const { symlink: link, readlink } = await import('node:fs/promises');
    await link(path.join(env.HOME!, 'gone', 'charts'), path.join(env.HOME!, 'charts'));
    const r = await runSetup({}, env);
    expect(r.result.status).toBe('done');
    expect(await readlink(path.join(env.HOME!, 'charts'))).toBe(r.exported.CHARTS_FOLDER);
  });

  it('installs kubectl and arena fresh, verified, on PATH', async () => {
    const env = await freshEnv();
    const r = await runSetup({}, env);
    expect(r.result.status).toBe('done');
    expect(r.result.summary).toContain(`kubectl ${releases.kubectlVersion} (downloaded, sha256 verified)`);
    expect(r.result.summary).toContain(`arena ${releases.arenaVersion} (downloaded, sha256 verified)`);
    expect(r.result.summary).toContain('no cluster credentials given');
    const kdir = tc.find('kubectl', releases.kubectlVersion, 'amd64');
    const adir = tc.find('arena', releases.arenaVersion, 'amd64');
    expect(r.paths).toEqual([kdir, path.join(adir, 'bin')]);
    expect((await stat(path.join(kdir, 'kubectl'))).mode & 0o111).toBeTruthy();
    expect((await stat(path.join(adir, 'charts'))).isDirectory()).toBe(true);
    expect(r.exported.CHARTS_FOLDER).toBe(path.join(adir, 'charts'));
    const urls = faults.recorded('releases').map((x) => x.url);
    expect(urls).toEqual(
      expect.arrayContaining([
        `/release/v${releases.kubectlVersion}/bin/linux/amd64/kubectl`,
        `/release/v${releases.kubectlVersion}/bin/linux/amd64/kubectl.sha256`,
        `/arena/arena-installer-${releases.arenaVersion}-linux-amd64.tar.gz`
      ])
    );
  });

  it('finds both in the tool cache on a second run and makes no request', async () => {
    const env = await freshEnv();
    await runSetup({}, env);
    const before = requests();
    const r = await runSetup({}, env);
    expect(requests()).toBe(before);
    expect(r.result.summary).toContain(`kubectl ${releases.kubectlVersion} (cached)`);
    expect(r.result.summary).toContain(`arena ${releases.arenaVersion} (cached)`);
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

  it('warns when a mirror has no checksum for Arena', async () => {
    const env = await freshEnv();
    faults.add({ service: 'releases', path: '\\.tar\\.gz\\.sha256$', action: { kind: 'status', status: 404 } });
    const r = await runSetup({}, env);
    expect(r.log.text('warning')).toMatch(/arena 0\.15\.2: no checksum .*NOT verified/);
    expect(r.result.summary).toContain('arena 0.15.2 (downloaded, NOT verified)');
  });

  it('accepts an arena-sha256 input and a mirror base URL', async () => {
    const env = await freshEnv();
    const sha = await releases.arenaSha256('amd64');
    const r = await runSetup({ 'arena-url': `${releases.endpoint}/arena/`, 'arena-sha256': sha }, env);
    expect(r.result.summary).toContain('arena 0.15.2 (downloaded, sha256 verified)');
    expect(faults.recorded('releases').some((x) => x.url.endsWith('.tar.gz.sha256'))).toBe(false);
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
