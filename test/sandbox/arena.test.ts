/**
 * The Arena stand-in, packed into its installer tarball, unpacked and run as a subprocess (as the product's
 * setup stage installs it) against the sandbox Kubernetes API server.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { packArenaInstaller } from '../../sandbox/arena/pack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const PYTORCHJOBS = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const CMS = { group: '', version: 'v1', plural: 'configmaps' };
const SVCS = { group: '', version: 'v1', plural: 'services' };
const DEPLOYS = { group: 'apps', version: 'v1', plural: 'deployments' };

let dir: string;
let kube: KubeHandle;
let ns: string;
let root: string;
let tarball: { file: string; sha256: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'arena-test-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  tarball = await packArenaInstaller({ version: '0.15.2', arch: 'amd64', outDir: dir });
  await tar.x({ file: tarball.file, cwd: dir });
  root = path.join(dir, 'arena-installer-0.15.2-linux-amd64');
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

function arena(
  args: string[],
  env: Record<string, string> = {}
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(root, 'bin', 'arena'),
      args,
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          KUBECONFIG: kube.kubeconfigPath,
          ARENA_CHART_DIR: path.join(root, 'charts'),
          ...env
        }
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    );
  });
}

const CONVERT =
  'python /FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py -i /mnt/model/bloom -o /mnt/model/bloom-ft -tp 2 -dt fp16';

describe('the installer tarball', () => {
  it('has the real layout and an executable, self-contained bin/arena', async () => {
    const entries: string[] = [];
    await tar.t({ file: tarball.file, onReadEntry: (e) => entries.push(e.path) });
    const r = 'arena-installer-0.15.2-linux-amd64/';
    expect(entries.filter((e) => !e.endsWith('/')).sort()).toEqual(
      [
        'bin/arena',
        'charts/pytorchjob/Chart.yaml',
        'charts/pytorchjob/values.yaml',
        'charts/tritoninferenceserver/Chart.yaml',
        'charts/tritoninferenceserver/values.yaml',
        'install.sh'
      ].map((e) => r + e)
    );
    expect(
      createHash('sha256')
        .update(await readFile(tarball.file))
        .digest('hex')
    ).toBe(tarball.sha256);
    const bin = await readFile(path.join(root, 'bin', 'arena'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(bin).not.toMatch(/require\("yaml"\)/);
    expect((await stat(path.join(root, 'bin', 'arena'))).mode & 0o111).toBe(0o111);
    const v = await arena(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Version: +v0\.15\.2$/m);
    expect(v.stdout).toMatch(/^Platform: +linux\/amd64$/m);
  });

  it('install.sh --only-binary installs the CLI and the charts', async () => {
    const prefix = path.join(dir, 'prefix');
    const charts = path.join(dir, 'installed-charts');
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        path.join(root, 'install.sh'),
        ['--only-binary', '--prefix', prefix, '--chart-dir', charts],
        (err, stdout) => resolve({ code: err ? 1 : 0, stdout })
      )
    );
    expect(out.code).toBe(0);
    expect((await stat(path.join(prefix, 'bin', 'arena'))).isFile()).toBe(true);
    expect((await stat(path.join(charts, 'tritoninferenceserver', 'Chart.yaml'))).isFile()).toBe(true);
    expect(out.stdout).not.toContain('cluster components');
  });
});

describe('arena submit pytorchjob', () => {
  it('creates the PyTorchJob (and its ConfigMap) as Arena does', async () => {
    const r = await arena([
      'submit',
      'pytorchjob',
      '--name=convert-bloom',
      '--gpus=2',
      '--workers',
      '1',
      '--image=ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1',
      '--data=bloom-pvc:/mnt',
      '--running-timeout=1h30m',
      '--label=pipeline=arena-ft',
      '-e',
      'HF_HOME=/tmp',
      CONVERT
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pytorchjob.kubeflow.org/convert-bloom created');
    expect(r.stdout).toMatch(/^INFO\[0000\] The Job convert-bloom has been submitted successfully$/m);
    const job = kube.store.get(PYTORCHJOBS, ns, 'convert-bloom')!;
    expect(job.metadata.labels).toMatchObject({
      app: 'pytorchjob',
      release: 'convert-bloom',
      createdBy: 'PyTorchJob',
      pipeline: 'arena-ft'
    });
    expect(job.spec.runPolicy).toMatchObject({ activeDeadlineSeconds: 5400, cleanPodPolicy: 'Running' });
    expect(Object.keys(job.spec.pytorchReplicaSpecs)).toEqual(['Master']);
    const master = job.spec.pytorchReplicaSpecs.Master;
    expect(master).toMatchObject({ replicas: 1, restartPolicy: 'Never' });
    const c = master.template.spec.containers[0];
    expect(c).toMatchObject({
      name: 'pytorch',
      image: 'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1',
      command: ['sh', '-c', CONVERT],
      env: [{ name: 'HF_HOME', value: '/tmp' }],
      resources: { limits: { 'nvidia.com/gpu': '2' } }
    });
    expect(c.volumeMounts).toContainEqual({ name: 'bloom-pvc', mountPath: '/mnt' });
    expect(master.template.spec.volumes).toContainEqual({
      name: 'bloom-pvc',
      persistentVolumeClaim: { claimName: 'bloom-pvc' }
    });
    expect(kube.store.get(CMS, ns, 'convert-bloom-pytorchjob')).toBeDefined();
  });

  it('adds Worker replicas for --workers > 1 and honours -n and --config', async () => {
    const r = await arena(
      [
        'submit',
        'pytorch',
        '-n',
        'default',
        '--config',
        kube.kubeconfigPath,
        '--name',
        'dist',
        '--workers=3',
        'echo hi'
      ],
      { KUBECONFIG: '/nonexistent' }
    );
    expect(r.code).toBe(0);
    const job = kube.store.get(PYTORCHJOBS, 'default', 'dist')!;
    expect(job.spec.pytorchReplicaSpecs.Worker).toMatchObject({ replicas: 2 });
  });

  it.each<[string[], RegExp]>([
    [['echo hi'], /^ERRO\[0000\] --name must be set$/m],
    [['--name=Bad_Name', 'echo'], /invalid job name "Bad_Name": a DNS-1035 label/],
    [
      ['--name=x', '--data=bloom-pvc', 'echo'],
      /^ERRO\[0000\] invalid --data "bloom-pvc": it should be <PVC name>:<mount path in the container>/m
    ],
    [['--name=x', '--data=bloom-pvc:mnt', 'echo'], /the mount path "mnt" must be an absolute path/],
    [['--name=x'], /the command is required/],
    [
      ['--name=x', '--running-timeout=3600', 'echo'],
      /^Error: invalid argument "3600" for "--running-timeout" flag: time: missing unit in duration "3600"$/m
    ],
    [['--name=x', '--gpus=two', 'echo'], /^Error: invalid argument "two" for "--gpus" flag: strconv\.ParseInt/m],
    [['--name=x', '--frobnicate', 'echo'], /^Error: unknown flag: --frobnicate$/m],
    [['--name=x', '--clean-task-policy=Sometimes', 'echo'], /--clean-task-policy only supports None, Running and All/],
    [
      ['--name=convert-bloom', 'echo'],
      /^ERRO\[0000\] the job convert-bloom already exists, please delete it first\. use 'arena delete convert-bloom'$/m
    ]
  ])('rejects %j with exit code 1', async (args, msg) => {
    const r = await arena(['submit', 'pytorchjob', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(msg);
  });

  it('needs its charts, and says where it looked', async () => {
    const r = await arena(['submit', 'pytorchjob', '--name=x', 'echo'], { ARENA_CHART_DIR: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `failed to find the chart "pytorchjob": looked in $ARENA_CHART_DIR (not set), ${path.join(dir, 'charts')}, /charts`
    );
  });

  it('rejects unknown commands like cobra', async () => {
    const r = await arena(['submitt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: unknown command "submitt" for "arena"\nRun 'arena --help' for usage.\n`);
  });
});

describe('arena get / list / logs / delete', () => {
  const pod = (name: string, type: string, phase: string, extra: Json = {}): Json => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: {
        'training.kubeflow.org/job-name': 'convert-bloom',
        'training.kubeflow.org/replica-type': type,
        'training.kubeflow.org/replica-index': '0'
      }
    },
    spec: {
      nodeName: 'cn-beijing.192.168.0.10',
      containers: [{ name: 'pytorch', image: 'x', resources: { limits: { 'nvidia.com/gpu': '2' } } }]
    },
    status: { phase, podIP: '10.0.0.5', ...extra }
  });

  beforeAll(() => {
    kube.store.create(
      PODS,
      pod('convert-bloom-master-0', 'master', 'Running', {
        containerStatuses: [{ name: 'pytorch', ready: true, restartCount: 0, state: { running: {} } }]
      })
    );
    kube.pods.appendLog(
      ns,
      'convert-bloom-master-0',
      'pytorch',
      '=== Arguments ===\n - input_dir...........: /mnt/model/bloom\nCheckpoint conversion (HF >> FT) has done\n'
    );
  });

  const setConditions = (types: string[]): void => {
    const now = new Date().toISOString();
    kube.store.updateStatus(PYTORCHJOBS, ns, 'convert-bloom', {
      conditions: types.map((type) => ({
        type,
        status: 'True',
        reason: `PyTorchJob${type}`,
        message: `job ${type}`,
        lastTransitionTime: now
      })),
      startTime: now
    });
  };

  it('prints the status from the PyTorchJob conditions', async () => {
    setConditions(['Created']);
    expect((await arena(['get', 'convert-bloom'])).stdout).toMatch(/^Status: +PENDING$/m);
    setConditions(['Created', 'Running']);
    const text = await arena(['get', 'convert-bloom']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Status: +RUNNING$/m);
    expect(text.stdout).toMatch(/^Trainer: +PYTORCHJOB$/m);
    expect(text.stdout).toMatch(/^ {2}convert-bloom-master-0 +Running +\S+ +true +2 +cn-beijing\.192\.168\.0\.10$/m);
    const json = JSON.parse((await arena(['get', 'convert-bloom', '-o', 'json'])).stdout);
    expect(json).toMatchObject({
      name: 'convert-bloom',
      namespace: ns,
      status: 'RUNNING',
      trainer: 'PYTORCHJOB',
      chiefName: 'convert-bloom-master-0'
    });
    expect(json.instances[0]).toMatchObject({
      name: 'convert-bloom-master-0',
      status: 'Running',
      chief: true,
      requestGPUs: 2
    });
    expect((await arena(['get', 'convert-bloom', '-o', 'yaml'])).stdout).toMatch(/^status: RUNNING$/m);
    setConditions(['Created', 'Running', 'Succeeded']);
    expect((await arena(['get', 'convert-bloom'])).stdout).toMatch(/^Status: +SUCCEEDED$/m);
    const list = await arena(['list']);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^NAME +STATUS +TRAINER +DURATION +GPU\(Requested\) +GPU\(Allocated\) +NODE$/
    );
    expect(list.stdout).toMatch(/^convert-bloom +SUCCEEDED +PYTORCHJOB +\S+ +2 +N\/A +cn-beijing\.192\.168\.0\.10$/m);
    setConditions(['Created', 'Running', 'Failed']);
    expect((await arena(['get', 'convert-bloom'])).stdout).toMatch(/^Status: +FAILED$/m);
  });

  it('fails for a job that does not exist', async () => {
    const r = await arena(['get', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ERRO\[0000\] Failed to find the job nope, please check it with `arena list \| grep nope`$/m
    );
  });

  it('prints the chief instance log, with --tail and -i', async () => {
    const all = await arena(['logs', 'convert-bloom']);
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      '=== Arguments ===\n - input_dir...........: /mnt/model/bloom\nCheckpoint conversion (HF >> FT) has done\n'
    );
    expect((await arena(['logs', 'convert-bloom', '--tail', '1'])).stdout).toBe(
      'Checkpoint conversion (HF >> FT) has done\n'
    );
    const other = await arena(['logs', 'convert-bloom', '-i', 'convert-bloom-worker-0']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("can't find the instance convert-bloom-worker-0 of the job convert-bloom");
  });

  it('follows the log with -f until the container terminates', async () => {
    const child = spawn(path.join(root, 'bin', 'arena'), ['logs', '-f', 'convert-bloom', '--tail=1'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kube.kubeconfigPath }
    });
    let out = '';
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const firstLines = new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('has done')) resolve();
      })
    );
    await Promise.race([
      firstLines,
      exited.then((code) => Promise.reject(new Error(`arena logs -f exited early (${code}): ${out}`)))
    ]);
    kube.pods.appendLog(ns, 'convert-bloom-master-0', 'pytorch', 'one more line\n');
    const master = kube.store.get(PODS, ns, 'convert-bloom-master-0')!;
    kube.store.updateStatus(PODS, ns, 'convert-bloom-master-0', {
      ...master.status,
      phase: 'Succeeded',
      containerStatuses: [
        { name: 'pytorch', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }
      ]
    });
    expect(await exited).toBe(0);
    expect(out).toBe('Checkpoint conversion (HF >> FT) has done\none more line\n');
  });

  it('deletes the job and its ConfigMap; a second delete fails', async () => {
    const r = await arena(['delete', 'convert-bloom']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^INFO\[0000\] The training job convert-bloom has been deleted successfully$/m);
    expect(kube.store.get(PYTORCHJOBS, ns, 'convert-bloom')).toBeUndefined();
    expect(kube.store.get(CMS, ns, 'convert-bloom-pytorchjob')).toBeUndefined();
    const again = await arena(['delete', 'convert-bloom']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Failed to find the job convert-bloom');
  });
});

describe('arena serve triton', () => {
  const flags = [
    '--name=bloom-triton',
    '--gpus=2',
    '--replicas=1',
    '--allow-metrics',
    '--data=bloom-pvc:/mnt',
    '--image=ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers',
    '--model-repository=/mnt/triton/bloom-v1'
  ];

  it('creates the ConfigMap, Service and Deployment of the tritoninferenceserver chart', async () => {
    const r = await arena(['serve', 'triton', ...flags, '--version=v1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment.apps/bloom-triton-v1-tritoninferenceserver created');
    const full = 'bloom-triton-v1-tritoninferenceserver';
    expect(kube.store.get(CMS, ns, 'bloom-triton-v1-triton-serving')).toBeDefined();
    const svc = kube.store.get(SVCS, ns, full)!;
    expect(svc.spec.ports.map((p: Json) => p.port)).toEqual([8000, 8001, 8002]);
    const d = kube.store.get(DEPLOYS, ns, full)!;
    const labels = {
      servingName: 'bloom-triton',
      servingVersion: 'v1',
      servingType: 'triton-serving',
      app: 'tritoninferenceserver',
      release: 'bloom-triton-v1'
    };
    expect(d.metadata.labels).toMatchObject(labels);
    expect(d.spec.template.metadata.labels).toMatchObject(labels);
    expect(d.spec.replicas).toBe(1);
    const c = d.spec.template.spec.containers[0];
    expect(c.name).toBe('tritonserver');
    expect(c.args).toEqual([
      'tritonserver',
      '--model-repository=/mnt/triton/bloom-v1',
      '--http-port=8000',
      '--grpc-port=8001',
      '--allow-metrics=true',
      '--metrics-port=8002'
    ]);
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'grpc', containerPort: 8001, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8002, protocol: 'TCP' }
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' });
    expect(c.resources.limits['nvidia.com/gpu']).toBe('2');
    expect(c.volumeMounts).toContainEqual({ name: 'bloom-pvc', mountPath: '/mnt' });
  });

  it('defaults --version to YYYYMMDDhhmm and refuses a version that exists', async () => {
    const r = await arena(['serve', 'triton', ...flags]);
    expect(r.code).toBe(0);
    const versions = kube.store
      .list(DEPLOYS, ns, { labelSelector: 'servingName=bloom-triton' })
      .items.map((d) => d.metadata.labels!.servingVersion)
      .sort();
    expect(versions).toHaveLength(2);
    expect(versions[0]).toMatch(/^\d{12}$/);
    const again = await arena(['serve', 'triton', ...flags, '--version=v1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^ERRO\[0000\] the serving job bloom-triton with version v1 already exists/m);
  });

  it('validates its flags', async () => {
    expect((await arena(['serve', 'triton', '--model-repository=/mnt/x'])).stderr).toMatch(
      /^ERRO\[0000\] --name must be set$/m
    );
    expect((await arena(['serve', 'triton', '--name=a'])).stderr).toMatch(/--model-repository must be set/);
    const bad = await arena(['serve', 'triton', '--name=a', '--model-repository=/m', '--data=:/mnt']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid --data ":\/mnt"/);
  });

  it('lists, gets (by version) and deletes serving jobs', async () => {
    const list = await arena(['serve', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +TYPE +VERSION +DESIRED +AVAILABLE +ADDRESS +PORTS +GPU$/);
    expect(list.stdout).toMatch(/^bloom-triton +Triton +v1 +1 +0 +\S+ +HTTP:8000,GRPC:8001,METRICS:8002 +2$/m);
    const ambiguous = await arena(['serve', 'get', 'bloom-triton']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/There is 2 versions of the serving job bloom-triton/);
    const got = JSON.parse((await arena(['serve', 'get', 'bloom-triton', '--version', 'v1', '-o', 'json'])).stdout);
    expect(got).toMatchObject({
      name: 'bloom-triton',
      namespace: ns,
      type: 'Triton',
      version: 'v1',
      desiredInstances: 1,
      requestGPUs: 2
    });
    const del = await arena(['serve', 'delete', 'bloom-triton', '--version=v1']);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/The serving job bloom-triton with version v1 has been deleted successfully/);
    expect(kube.store.get(DEPLOYS, ns, 'bloom-triton-v1-tritoninferenceserver')).toBeUndefined();
    expect(kube.store.get(SVCS, ns, 'bloom-triton-v1-tritoninferenceserver')).toBeUndefined();
    expect(kube.store.get(CMS, ns, 'bloom-triton-v1-triton-serving')).toBeUndefined();
    expect((await arena(['serve', 'get', 'bloom-triton'])).code).toBe(0);
    const missing = await arena(['serve', 'delete', 'bloom-triton', '--version=v1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Not found serving job bloom-triton with version v1/);
  });
});
