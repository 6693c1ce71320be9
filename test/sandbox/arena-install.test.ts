/**
 * What Arena v0.15.2 needs at run time, as the stand-in now models it (sandbox/arena/README.md, conformance table):
 * `arena-kubectl` on PATH for every apply/delete (really run: the sandbox's real kubectl), charts from
 * `$HOME/charts` else `/charts`, `arena version` as v0.15.2 prints it, and a quiet exit on a closed pipe.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { packArenaInstaller } from '../../sandbox/arena/pack.js';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { preparedKubectl } from '../../sandbox/releases/index.js';

const PYTORCHJOBS = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' };
const CMS = { group: '', version: 'v1', plural: 'configmaps' };
const DEPLOYS = { group: 'apps', version: 'v1', plural: 'deployments' };
const NOT_FOUND = 'exec: "arena-kubectl": executable file not found in $PATH';

let dir: string;
let kube: KubeHandle;
let ns: string;
let root: string;
/** HOME with charts → the installer's charts. */
let home: string;
/** Holds arena-kubectl → the sandbox's real kubectl. */
let withKubectl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'arena-install-test-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  const { file } = await packArenaInstaller({ version: '0.15.2', arch: 'amd64', outDir: dir });
  await tar.x({ file, cwd: dir });
  root = path.join(dir, 'arena-installer-0.15.2-linux-amd64');
  home = path.join(dir, 'home');
  withKubectl = path.join(dir, 'with-kubectl');
  await mkdir(home);
  await mkdir(withKubectl);
  await symlink(path.join(root, 'charts'), path.join(home, 'charts'));
  await symlink((await preparedKubectl()).file, path.join(withKubectl, 'arena-kubectl'));
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function arena(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) =>
    execFile(
      path.join(root, 'bin', 'arena'),
      args,
      { env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: kube.kubeconfigPath, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    )
  );
}

const withArenaKubectl = (): Record<string, string> => ({
  PATH: `${withKubectl}${path.delimiter}${process.env.PATH ?? ''}`
});

/** logrus (non-terminal format) messages at a level. */
function logged(stderr: string, level: string): string[] {
  return [...stderr.matchAll(/^time="[^"]+" level=(\w+) msg=("(?:[^"\\]|\\.)*"|\S*)$/gm)]
    .filter((m) => m[1] === level)
    .map((m) => (m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2]));
}

const submit = (name: string) => ['submit', 'pytorchjob', `--name=${name}`, '--image=busybox', 'echo hi'];
const serve = (name: string) => [
  'serve',
  'triton',
  `--name=${name}`,
  '--version=v1',
  '--image=tritonserver:22.03',
  '--model-repository=/mnt/models'
];

describe('arena-kubectl', () => {
  it('is needed by submit: without it v0.15.2 fails with exit 1 and creates nothing', async () => {
    expect(process.env.PATH?.split(path.delimiter).some((d) => existsSync(path.join(d, 'arena-kubectl')))).toBe(false);
    const r = await arena(submit('no-kubectl'));
    expect(r.code).toBe(1);
    expect(logged(r.stderr, 'error')).toEqual([NOT_FOUND]);
    expect(kube.store.get(PYTORCHJOBS, ns, 'no-kubectl')).toBeUndefined();
    expect(kube.store.get(CMS, ns, 'no-kubectl-pytorchjob')).toBeUndefined();
  });

  it('is needed by serve triton', async () => {
    const r = await arena(serve('no-kubectl-serving'));
    expect(r.code).toBe(1);
    expect(logged(r.stderr, 'error')).toEqual([NOT_FOUND]);
    expect(kube.store.list(DEPLOYS, ns).items.filter((d) => d.metadata.name.startsWith('no-kubectl-serving'))).toEqual(
      []
    );
  });

  it('applies through the real kubectl when on PATH (kubectl apply leaves its last-applied annotation)', async () => {
    const r = await arena(submit('via-kubectl'), withArenaKubectl());
    expect(r).toMatchObject({ code: 0, stdout: 'pytorchjob.kubeflow.org/via-kubectl created\n' });
    const job = kube.store.get(PYTORCHJOBS, ns, 'via-kubectl')!;
    expect(Object.keys(job.metadata.annotations ?? {})).toContain('kubectl.kubernetes.io/last-applied-configuration');
    const s = await arena(serve('via-kubectl'), withArenaKubectl());
    expect(s.code).toBe(0);
    const d = kube.store.get(DEPLOYS, ns, 'via-kubectl-v1-tritoninferenceserver')!;
    expect(Object.keys(d.metadata.annotations ?? {})).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('is needed by delete and serve delete: without it they fail (exit 1) and the objects stay', async () => {
    const del = await arena(['delete', 'via-kubectl']);
    expect(del.code).toBe(1);
    expect(logged(del.stderr, 'error')).toEqual([NOT_FOUND]);
    expect(kube.store.get(PYTORCHJOBS, ns, 'via-kubectl')).toBeDefined();
    const sdel = await arena(['serve', 'delete', 'via-kubectl', '--version=v1']);
    expect(sdel.code).toBe(1);
    expect(logged(sdel.stderr, 'error')).toEqual([NOT_FOUND]);
    expect(kube.store.get(DEPLOYS, ns, 'via-kubectl-v1-tritoninferenceserver')).toBeDefined();

    expect((await arena(['delete', 'via-kubectl'], withArenaKubectl())).code).toBe(0);
    expect(kube.store.get(PYTORCHJOBS, ns, 'via-kubectl')).toBeUndefined();
    expect((await arena(['serve', 'delete', 'via-kubectl', '--version=v1'], withArenaKubectl())).code).toBe(0);
    expect(kube.store.get(DEPLOYS, ns, 'via-kubectl-v1-tritoninferenceserver')).toBeUndefined();
  });

  it('runs whatever arena-kubectl is: the tarball kubectl stub fails the apply with its output and exit status', async () => {
    const stubDir = path.join(dir, 'stub-kubectl');
    await mkdir(stubDir);
    await symlink(path.join(root, 'bin', 'kubectl'), path.join(stubDir, 'arena-kubectl'));
    const r = await arena(submit('stub-kubectl'), { PATH: `${stubDir}${path.delimiter}${process.env.PATH ?? ''}` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("this is the Arena installer's kubectl v1.28.4");
    // v0.15.2 deletes its ConfigMap through the same arena-kubectl after a failed apply (workflow.go:190-200): the
    // stub fails that too, and Arena logs it before its own error
    expect(logged(r.stderr, 'error')).toEqual([
      expect.stringMatching(
        /^Failed to clean up configmap stub-kubectl-pytorchjob in namespace default-group, error: /
      ),
      'exit status 1'
    ]);
    expect(kube.store.get(PYTORCHJOBS, ns, 'stub-kubectl')).toBeUndefined();
  });
});

describe('charts: $HOME/charts, else /charts', () => {
  const noSlashCharts = !existsSync('/charts');

  it('fails at template time naming /charts when $HOME has no charts, whatever CHARTS_FOLDER says', async () => {
    expect(noSlashCharts).toBe(true);
    const bare = path.join(dir, 'bare-home');
    await mkdir(bare);
    const r = await arena(submit('no-charts'), {
      ...withArenaKubectl(),
      HOME: bare,
      CHARTS_FOLDER: path.join(root, 'charts')
    });
    expect(r.code).toBe(1);
    expect(logged(r.stderr, 'error')).toEqual([
      'failed to generate helm manifests: stat /charts/pytorchjob: no such file or directory'
    ]);
  });

  it('treats a dangling ~/charts link as absent (os.Stat follows it)', async () => {
    const dangling = path.join(dir, 'dangling-home');
    await mkdir(dangling);
    await symlink(path.join(dir, 'gone', 'charts'), path.join(dangling, 'charts'));
    const r = await arena(['version', '--verbose'], { HOME: dangling });
    expect(r.stdout).toMatch(/^ {2}ChartsHome: \/charts$/m);
    const ok = await arena(['version', '--verbose']);
    expect(ok.stdout).toContain(`  ChartsHome: ${home}/charts\n`);
    expect(ok.stdout).toMatch(/^ {4}pytorchjob: 0\.5\.2$/m);
  });
});

describe('arena version and pipes', () => {
  it('prints as v0.15.2 does; --short prints the first line only', async () => {
    const full = await arena(['version']);
    const lines = full.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('arena: v0.15.2+6853599');
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual([
      '  BuildDate',
      '  GitCommit',
      '  GitTreeState',
      '  GoVersion',
      '  Compiler',
      '  Platform'
    ]);
    const short = await arena(['version', '--short']);
    expect(short.stdout).toBe('arena: v0.15.2+6853599\n');
  });

  it('exits quietly when its reader has gone (arena … | head), without an EPIPE crash', async () => {
    const child = spawn(path.join(root, 'bin', 'arena'), ['--help'], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    child.stdout.destroy(); // the reader is gone before arena writes
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|FATA/);
    expect(code).toBe(141);
  });
});
