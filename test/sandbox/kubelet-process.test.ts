/**
 * The kubelet runs a mapped image as a real child process (the lead wires the product's sync image to the bundled
 * CLI): the pod's env (literal, Secret keys, envFrom, the Job's completion index) and args reach it, stdout and
 * stderr are the pod log, the exit code is the container's terminated state, and deleting the pod sends SIGTERM,
 * then SIGKILL after the grace period. Driven by the real kubectl v1.34; the "image" is a tiny node script.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { findProcessImage, processArgv } from '../../sandbox/operator/process.js';
import { kubectlPath, runKubectl, type KubectlOptions } from '../helpers/kubectl.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const IMAGE = 'ghcr.io/example/arena-ft-pipeline-sync';
const WORKER = `
import { existsSync, writeFileSync } from 'node:fs';
const [mode, ...rest] = process.argv.slice(2);
const e = process.env;
console.log('args=' + JSON.stringify(process.argv.slice(2)));
console.log('index=' + (e.JOB_COMPLETION_INDEX ?? '-') + ' greeting=' + e.GREETING + ' token=' + e.HF_TOKEN + ' bucket=' + e.OSS_BUCKET + ' host=' + e.HOSTNAME);
console.error('to stderr');
if (mode === 'exit') process.exit(Number(rest[0]));
if (mode === 'once') {
  // the first run waits to be killed; a rerun (the replacement pod) finds the marker and succeeds
  if (existsSync(e.MARK_FILE)) process.exit(0);
  writeFileSync(e.MARK_FILE, 'first');
}
if (mode === 'wait' || mode === 'stubborn' || mode === 'once') {
  writeFileSync(e.PID_FILE, String(process.pid));
  process.on('SIGTERM', () => {
    if (mode !== 'once') writeFileSync(e.MARK_FILE, mode === 'wait' ? 'SIGTERM' : 'ignored');
    if (mode !== 'stubborn') process.exit(0);
  });
  setInterval(() => undefined, 1000);
  console.log('waiting');
}
`;

let scriptDir: string;
let sb: Sandbox;
let opts: KubectlOptions;
let ns: string;
let seq = 0;

beforeAll(async () => {
  scriptDir = await mkdtemp(path.join(tmpdir(), 'kubelet-process-'));
  const script = path.join(scriptDir, 'worker.mjs');
  await writeFile(script, WORKER);
  sb = await startSandbox({
    pieces: ['oss', 'kube'],
    seedDemo: false,
    speed: 200,
    images: { [IMAGE]: { command: [process.execPath, script] } }
  });
  ns = sb.kube!.namespace;
  opts = { kubeconfig: sb.info.kube!.adminKubeconfig!, cacheDir: path.join(sb.dir, 'kubectl-cache') };
}, 60_000);

afterAll(async () => {
  await sb?.stop();
  await rm(scriptDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => runKubectl(['-n', ns, ...args], opts);

async function apply(obj: unknown) {
  const file = path.join(sb.dir, `obj-${++seq}.json`);
  await writeFile(file, JSON.stringify(obj));
  const r = await kubectl('apply', '-f', file);
  expect(r).toMatchObject({ code: 0 });
}

function pod(name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { restartPolicy: 'Never', containers: [{ name: 'sync', image: `${IMAGE}:v1`, ...container }], ...spec }
  };
}

const secret = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData: data
});

async function waitPhase(name: string, phase: string) {
  const r = await kubectl('wait', `--for=jsonpath={.status.phase}=${phase}`, `pod/${name}`, '--timeout=60s');
  expect(r).toMatchObject({ code: 0 });
}

async function podJson(name: string): Promise<any> {
  return JSON.parse((await kubectl('get', 'pod', name, '-o', 'json')).stdout);
}

/** Follows the pod's log until `line` appears (the process is up and has set its signal handler). */
async function logShows(name: string, line: string): Promise<void> {
  const child = spawn(
    await kubectlPath(),
    ['--kubeconfig', opts.kubeconfig, '--cache-dir', opts.cacheDir!, '-n', ns, 'logs', '-f', name],
    { stdio: ['ignore', 'pipe', 'ignore'] }
  );
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => l === line && resolve());
      child.once('exit', () => reject(new Error(`the log of ${name} ended without "${line}"`)));
    });
  } finally {
    child.kill();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the image table (pure)', () => {
  const images = { [IMAGE]: { command: ['node', 'cli.js'], args: ['sync'] } };
  it('matches an image by name or repository', () => {
    expect(findProcessImage(images, `${IMAGE}:v1`)).toBe(images[IMAGE]);
    expect(findProcessImage(images, `${IMAGE}@sha256:${'a'.repeat(64)}`)).toBe(images[IMAGE]);
    expect(findProcessImage(images, `${IMAGE}-other:v1`)).toBeUndefined();
    expect(findProcessImage(undefined, IMAGE)).toBeUndefined();
  });

  it('builds argv as a runtime does: command replaces the entrypoint, args replace CMD, $(VAR) expanded', () => {
    const img = images[IMAGE];
    expect(processArgv(img, {}, {})).toEqual(['node', 'cli.js', 'sync']);
    expect(
      processArgv(img, { args: ['--shard', '$(JOB_COMPLETION_INDEX)', '$$(X)'] }, { JOB_COMPLETION_INDEX: '2' })
    ).toEqual(['node', 'cli.js', '--shard', '2', '$(X)']);
    expect(processArgv(img, { command: ['/bin/true'] }, {})).toEqual(['/bin/true']);
  });
});

describe('a pod of a mapped image', () => {
  it("runs the host command with the pod's env and args; stdout and stderr are its log; the exit code its state", async () => {
    await apply(secret('hf', { HF_TOKEN: 'hf_sandbox_test' }));
    await apply(secret('oss-creds', { OSS_BUCKET: 'models' }));
    const container = (code: number) => ({
      args: ['exit', String(code)],
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'HF_TOKEN' } } }
      ],
      envFrom: [{ secretRef: { name: 'oss-creds' } }]
    });
    await apply(pod('fails', container(3)));
    await apply(pod('works', container(0)));
    await waitPhase('fails', 'Failed');
    await waitPhase('works', 'Succeeded');
    for (const [name, code, reason] of [
      ['fails', 3, 'Error'],
      ['works', 0, 'Completed']
    ] as const) {
      // stdout in order; stderr is another pipe, so its line may land anywhere
      const lines = (await kubectl('logs', name)).stdout.split('\n');
      expect(lines).toContain('to stderr');
      expect(lines.filter((l) => l !== 'to stderr')).toEqual([
        `args=["exit","${code}"]`,
        `index=- greeting=hi token=hf_sandbox_test bucket=models host=${name}`,
        ''
      ]);
      const p = await podJson(name);
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: code, reason });
    }
  });

  it('an image entrypoint that cannot run is a StartError (128), as containerd reports it', async () => {
    await apply(pod('nobin', { command: ['/nonexistent/sync'] }));
    await waitPhase('nobin', 'Failed');
    const term = (await podJson('nobin')).status.containerStatuses[0].state.terminated;
    expect(term).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(term.message).toContain('exec: "/nonexistent/sync": stat /nonexistent/sync: no such file or directory');
  });

  it('waits in CreateContainerConfigError while a Secret it reads is missing, and runs once it exists', async () => {
    await apply(
      pod('later', {
        args: ['exit', '0'],
        env: [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'later', key: 'HF_TOKEN' } } }]
      })
    );
    const waiting = await kubectl(
      'wait',
      '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CreateContainerConfigError',
      'pod/later',
      '--timeout=60s'
    );
    expect(waiting.code).toBe(0);
    expect((await podJson('later')).status.containerStatuses[0].state.waiting.message).toBe('secret "later" not found');
    await apply(secret('later', { HF_TOKEN: 'hf_late' }));
    await waitPhase('later', 'Succeeded');
    expect((await kubectl('logs', 'later')).stdout).toContain('token=hf_late');
  });
});

describe('deleting the pod', () => {
  const files = (name: string) => ({
    pid: path.join(scriptDir, `${name}.pid`),
    mark: path.join(scriptDir, `${name}.mark`)
  });
  const env = (name: string) => [
    { name: 'PID_FILE', value: files(name).pid },
    { name: 'MARK_FILE', value: files(name).mark }
  ];

  it('sends SIGTERM; a process that exits on it is gone when the delete returns', async () => {
    await apply(pod('graceful', { args: ['wait'], env: env('graceful') }, { terminationGracePeriodSeconds: 600 }));
    await logShows('graceful', 'waiting');
    const pid = Number(readFileSync(files('graceful').pid, 'utf8'));
    expect(alive(pid)).toBe(true);
    expect((await kubectl('delete', 'pod', 'graceful', '--wait=true')).code).toBe(0);
    expect(readFileSync(files('graceful').mark, 'utf8')).toBe('SIGTERM');
    expect(alive(pid)).toBe(false);
  });

  it('sends SIGKILL after the grace period to a process that ignores SIGTERM', async () => {
    await apply(pod('stubborn', { args: ['stubborn'], env: env('stubborn') }, { terminationGracePeriodSeconds: 1 }));
    await logShows('stubborn', 'waiting');
    const pid = Number(readFileSync(files('stubborn').pid, 'utf8'));
    expect((await kubectl('delete', 'pod', 'stubborn', '--wait=true')).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect((await kubectl('get', 'pod', 'stubborn')).stderr).toContain('"stubborn" not found');
  });
});

describe('an Indexed Job of the mapped image', () => {
  it('replaces a pod deleted mid-run: the deletion counts as a failure, the new pod of that index completes', async () => {
    const mark = path.join(scriptDir, 'once.mark');
    const pidFile = path.join(scriptDir, 'once.pid');
    await apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'resume' },
      spec: {
        completionMode: 'Indexed',
        completions: 1,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'sync',
                image: `${IMAGE}:v1`,
                args: ['once'],
                env: [
                  { name: 'MARK_FILE', value: mark },
                  { name: 'PID_FILE', value: pidFile }
                ]
              }
            ]
          }
        }
      }
    });
    expect((await kubectl('wait', '--for=jsonpath={.status.active}=1', 'job/resume', '--timeout=60s')).code).toBe(0);
    const first = JSON.parse((await kubectl('get', 'pods', '-l', 'job-name=resume', '-o', 'json')).stdout).items;
    expect(first).toHaveLength(1);
    await logShows(first[0].metadata.name, 'waiting');
    expect((await kubectl('delete', 'pod', first[0].metadata.name, '--wait=true')).code).toBe(0);
    expect((await kubectl('wait', '--for=condition=Complete', 'job/resume', '--timeout=60s')).code).toBe(0);
    const j = JSON.parse((await kubectl('get', 'job', 'resume', '-o', 'json')).stdout);
    expect(j.status).toMatchObject({ succeeded: 1, failed: 1, completedIndexes: '0' });
    const pods = JSON.parse((await kubectl('get', 'pods', '-l', 'job-name=resume', '-o', 'json')).stdout).items;
    expect(
      pods.map((p: any) => [p.metadata.annotations['batch.kubernetes.io/job-completion-index'], p.status.phase])
    ).toEqual([['0', 'Succeeded']]);
    expect(pods[0].metadata.name).not.toBe(first[0].metadata.name);
  });

  it('runs one process per index with JOB_COMPLETION_INDEX and completes', async () => {
    await apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'sync' },
      spec: {
        completionMode: 'Indexed',
        completions: 2,
        parallelism: 2,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'sync', image: `${IMAGE}:v1`, args: ['exit', '0'] }]
          }
        }
      }
    });
    expect((await kubectl('wait', '--for=condition=Complete', 'job/sync', '--timeout=60s')).code).toBe(0);
    const pods = JSON.parse((await kubectl('get', 'pods', '-l', 'job-name=sync', '-o', 'json')).stdout).items;
    const lines = await Promise.all(
      pods.map(async (p: any) =>
        (await kubectl('logs', p.metadata.name)).stdout.split('\n').find((l) => l.startsWith('index='))
      )
    );
    expect(lines.sort()).toEqual([
      'index=0 greeting=undefined token=undefined bucket=undefined host=sync-0',
      'index=1 greeting=undefined token=undefined bucket=undefined host=sync-1'
    ]);
  });
});
