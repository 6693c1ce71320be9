/**
 * The Arena stand-in, packed into its installer tarball, unpacked and run as a subprocess (as the product's
 * setup stage installs it) against the sandbox Kubernetes API server.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { packArenaInstaller } from '../../sandbox/arena/pack.js';
import { preparedKubectl } from '../../sandbox/releases/index.js';

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
/** HOME whose charts/ is the installer's (where v0.15.2 looks), and a PATH dir with arena-kubectl → real kubectl. */
let home: string;
let kubectlBin: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'arena-test-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  tarball = await packArenaInstaller({ version: '0.15.2', arch: 'amd64', outDir: dir });
  await tar.x({ file: tarball.file, cwd: dir });
  root = path.join(dir, 'arena-installer-0.15.2-linux-amd64');
  home = path.join(dir, 'home');
  kubectlBin = path.join(dir, 'kubectl-bin');
  await mkdir(home);
  await mkdir(kubectlBin);
  await symlink(path.join(root, 'charts'), path.join(home, 'charts'));
  await symlink((await preparedKubectl()).file, path.join(kubectlBin, 'arena-kubectl'));
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
          PATH: `${kubectlBin}${path.delimiter}${process.env.PATH ?? ''}`,
          HOME: home,
          KUBECONFIG: kube.kubeconfigPath,
          ...env
        }
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    );
  });
}

/** logrus lines (`time="…" level=info msg="…"`, its non-terminal format) as [level, message]. */
function logged(stderr: string): [string, string][] {
  return [...stderr.matchAll(/^time="[^"]+" level=(\w+) msg=("(?:[^"\\]|\\.)*"|\S*)$/gm)].map((m) => [
    m[1],
    m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2]
  ]);
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
        'arena-artifacts/Chart.yaml',
        'bin/arena',
        'bin/arena-gen-kubeconfig.sh',
        'bin/arena-uninstall',
        'bin/helm',
        'bin/kubectl',
        'charts/pytorchjob/Chart.yaml',
        'charts/pytorchjob/values.yaml',
        'charts/triton/Chart.yaml',
        'charts/triton/values.yaml',
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
    expect(v.stdout.split('\n')[0]).toMatch(/^arena: v0\.15\.2\+[0-9a-f]{7}$/);
    expect(v.stdout).toMatch(/^ {2}Platform: linux\/amd64$/m);
  });

  it('install.sh --only-binary installs arena, arena-kubectl and the charts as v0.15.2 does', async () => {
    const prefix = path.join(dir, 'prefix');
    const charts = path.join(dir, 'installed-charts');
    const out = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        path.join(root, 'install.sh'),
        // the stand-in's --prefix/--chart-dir: never /usr/local/bin or /charts (tests may run as root)
        ['--only-binary', '--prefix', prefix, '--chart-dir', charts],
        { env: { PATH: process.env.PATH ?? '', HOME: dir } },
        (err, stdout) => resolve({ code: err ? 1 : 0, stdout })
      )
    );
    expect(out.code).toBe(0);
    for (const b of ['arena', 'arena-kubectl', 'arena-helm', 'arena-uninstall', 'arena-gen-kubeconfig.sh']) {
      expect((await stat(path.join(prefix, 'bin', b))).mode & 0o111).toBeTruthy();
    }
    // install.sh copies the tarball's kubectl (v1.28.4) as arena-kubectl
    expect(await readFile(path.join(prefix, 'bin', 'arena-kubectl'), 'utf8')).toBe(
      await readFile(path.join(root, 'bin', 'kubectl'), 'utf8')
    );
    expect((await stat(path.join(charts, 'triton', 'Chart.yaml'))).isFile()).toBe(true);
    expect((await stat(path.join(charts, 'arena-artifacts', 'Chart.yaml'))).isFile()).toBe(true);
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
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('pytorchjob.kubeflow.org/convert-bloom created\n');
    expect(logged(r.stderr)).toEqual([
      ['info', 'The Job convert-bloom has been submitted successfully'],
      ['info', `You can run \`arena get convert-bloom --type pytorchjob -n ${ns}\` to check the job status`]
    ]);
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
    const cm = kube.store.get(CMS, ns, 'convert-bloom-pytorchjob')!;
    expect(cm.metadata.labels).toEqual({ createdBy: 'arena' });
    expect(cm.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'PyTorchJob', name: 'convert-bloom', uid: job.metadata.uid })
    ]);
    expect((cm as Json).data).toMatchObject({ pytorchjob: '0.5.2', app: 'pytorchjob.kubeflow.org/convert-bloom\n' });
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
        '--image=sandbox/busybox',
        '--workers=3',
        'echo hi'
      ],
      { KUBECONFIG: '/nonexistent' }
    );
    expect(r.code).toBe(0);
    const job = kube.store.get(PYTORCHJOBS, 'default', 'dist')!;
    expect(job.spec.pytorchReplicaSpecs.Worker).toMatchObject({ replicas: 2 });
  });

  const V = 'failed to validate command args: ';
  it.each<[string[], string]>([
    [['--image=x', 'echo hi'], V + '--name must be set'],
    [['--name=x', 'echo hi'], V + '--image must be set '],
    [
      ['--image=x', '--name=Bad_Name', 'echo'],
      V +
        "the job name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    ],
    [
      ['--image=x', `--name=${'a'.repeat(50)}`, 'echo'],
      V + `the len 50 of name ${'a'.repeat(50)} is too long, it should be less than 49`
    ],
    [
      ['--image=x', '--name=x', '--data=bloom-pvc', 'echo'],
      V + 'dataset bloom-pvc has incorrect format, should like data_name:/data0'
    ],
    [['--image=x', '--name=x', '--data=bloom-pvc:mnt', 'echo'], V + "invalid dataDir: 'mnt' must be absolute"],
    [['--image=x', '--name=x', '--data=bloom-pvc:/', 'echo'], V + "invalid specification: dataDir can't be '/'"],
    [
      ['--image=x', '--name=x', '--data=p:/mnt', 'echo'],
      V + 'volume name is too short, names should be at least two alphanumeric characters'
    ],
    [
      ['--image=x', '--name=x', '--data=pv:/a', '--data=pv:/b', 'echo'],
      V + 'your PVC name: pv is repeated, please check it'
    ],
    [['--image=x', '--name=x', '--clean-task-policy=Sometimes', 'echo'], V + 'unsupported cleanTaskPolicy Sometimes'],
    [
      ['--name=x', '--running-timeout=3600', 'echo'],
      'invalid argument "3600" for "--running-timeout" flag: time: missing unit in duration "3600"'
    ],
    [
      ['--name=x', '--gpus=two', 'echo'],
      'invalid argument "two" for "--gpus" flag: strconv.ParseInt: parsing "two": invalid syntax'
    ],
    [['--name=x', '--frobnicate', 'echo'], 'unknown flag: --frobnicate'],
    [['--name=x', '--image=x'], 'not found command args'],
    [
      ['--image=x', '--name=convert-bloom', 'echo'],
      "the job convert-bloom is already exist, please delete it first. use 'arena delete convert-bloom'"
    ]
  ])('rejects %j with exit code 1', async (args, msg) => {
    const r = await arena(['submit', 'pytorchjob', ...args]);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toEqual([['error', msg]]);
  });

  it('rejects unknown commands like cobra', async () => {
    const r = await arena(['submitt']);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toEqual([
      ['error', 'unknown command "submitt" for "arena"\n\nDid you mean this?\n\tsubmit\n']
    ]);
  });
});

describe('arena get / list / logs / delete', () => {
  const pod = (name: string, type: string, phase: string, extra: Json = {}): Json => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      // Arena's chart labels on the template, then the training-operator's own
      labels: {
        app: 'pytorchjob',
        release: 'convert-bloom',
        'training.kubeflow.org/operator-name': 'pytorchjob-controller',
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

  it('finds the pods the older pytorch-operator labels (group-name, pytorch-replica-type), not unlabelled ones', async () => {
    kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'legacy-job-master-0',
        namespace: ns,
        labels: {
          app: 'pytorchjob',
          release: 'legacy-job',
          'group-name': 'kubeflow.org',
          'pytorch-job-name': 'legacy-job',
          'pytorch-replica-type': 'master',
          'pytorch-replica-index': '0',
          'job-role': 'master'
        }
      },
      spec: { nodeName: 'n1', containers: [{ name: 'pytorch', image: 'x' }] },
      status: { phase: 'Running' }
    });
    // same release and app, but no operator's mark: Arena does not count it (IsPyTorchPod)
    kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'legacy-job-stray', namespace: ns, labels: { app: 'pytorchjob', release: 'legacy-job' } },
      spec: { containers: [{ name: 'pytorch', image: 'x' }] },
      status: { phase: 'Running' }
    });
    kube.store.create(PYTORCHJOBS, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'legacy-job', namespace: ns, labels: { app: 'pytorchjob', release: 'legacy-job' } },
      spec: { pytorchReplicaSpecs: { Master: { replicas: 1, restartPolicy: 'Never', template: {} } } }
    });
    const json = JSON.parse((await arena(['get', 'legacy-job', '-o', 'json'])).stdout);
    expect(json.chiefName).toBe('legacy-job-master-0');
    expect(json.instances.map((i: Json) => [i.name, i.chief])).toEqual([['legacy-job-master-0', true]]);
  });

  it('fails for a job that does not exist', async () => {
    const r = await arena(['get', 'nope']);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toEqual([
      ['error', "training job not found,please use 'arena list' to make sure job is existed"]
    ]);
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
    expect(logged(r.stderr)).toEqual([['info', 'The training job convert-bloom has been deleted successfully']]);
    expect(kube.store.get(PYTORCHJOBS, ns, 'convert-bloom')).toBeUndefined();
    expect(kube.store.get(CMS, ns, 'convert-bloom-pytorchjob')).toBeUndefined();
    // as Arena: a job that is not there is skipped, and the command still succeeds
    const again = await arena(['delete', 'convert-bloom']);
    expect(again.code).toBe(0);
    expect(logged(again.stderr)).toEqual([
      ['info', "The training job 'convert-bloom' does not exist,skip to delete it"]
    ]);
    // as Arena v0.15.2: the ConfigMap is how it finds a job; without it the PyTorchJob is left and exit is 0
    kube.store.create(PYTORCHJOBS, {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'no-configmap', namespace: ns, labels: { app: 'pytorchjob', release: 'no-configmap' } },
      spec: { pytorchReplicaSpecs: { Master: { replicas: 1, restartPolicy: 'Never', template: {} } } }
    });
    const kept = await arena(['delete', 'no-configmap']);
    expect(kept.code).toBe(0);
    expect(logged(kept.stderr)).toEqual([['info', "The training job 'no-configmap' does not exist,skip to delete it"]]);
    expect(kube.store.get(PYTORCHJOBS, ns, 'no-configmap')).toBeDefined();
    const none = await arena(['delete']);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/^Usage:\n {2}arena delete <name> \[flags\]/);
    expect(logged(none.stderr)).toEqual([['error', 'not set job name,please set it']]);
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
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'service/bloom-triton-v1-tritoninferenceserver created\ndeployment.apps/bloom-triton-v1-tritoninferenceserver created\n'
    );
    expect(logged(r.stderr)[0]).toEqual(['info', 'The Job bloom-triton has been submitted successfully']);
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
    expect(c.command).toEqual(['sh', '-c']);
    expect(c.args).toEqual([
      'tritonserver --http-port=8000 --grpc-port=8001 --metrics-port=8002 --allow-metrics=true --model-repository=/mnt/triton/bloom-v1\n'
    ]);
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'grpc', containerPort: 8001, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8002, protocol: 'TCP' }
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 'http' });
    expect(svc.spec.ports.map((p: Json) => p.name)).toEqual(['http-serving', 'grpc-serving', 'http-metrics']);
    expect(svc.spec.selector).toEqual({ release: 'bloom-triton-v1', app: 'tritoninferenceserver' });
    expect((kube.store.get(CMS, ns, 'bloom-triton-v1-triton-serving') as Json).data).toMatchObject({
      tritoninferenceserver: '0.10.0',
      app: `service/${full}\ndeployment.apps/${full}\n`
    });
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
    expect(logged(again.stderr)).toEqual([
      ['error', "the job bloom-triton is already exist, please delete it first. use 'arena serve delete bloom-triton'"]
    ]);
  });

  it('refuses a version whose ConfigMap was left behind (its Deployment deleted by hand)', async () => {
    kube.store.create(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bloom-triton-stranded-triton-serving', namespace: ns, labels: { createdBy: 'arena' } },
      data: {}
    });
    const r = await arena(['serve', 'triton', ...flags, '--version=stranded']);
    expect(r.code).toBe(1);
    expect(logged(r.stderr)).toEqual([
      ['error', 'the job configmap bloom-triton-stranded-triton-serving is already exist, please delete it first']
    ]);
    // and `serve delete` finds nothing to delete (it looks for the Deployment): exit 0, the ConfigMap stays
    const del = await arena(['serve', 'delete', 'bloom-triton', '--version=stranded']);
    expect(del.code).toBe(0);
    expect(logged(del.stderr)).toEqual([['info', "The serving job 'bloom-triton' does not exist,skip to delete it."]]);
    expect(kube.store.get(CMS, ns, 'bloom-triton-stranded-triton-serving')).toBeDefined();
    kube.store.delete(CMS, ns, 'bloom-triton-stranded-triton-serving');
  });

  it('validates its flags', async () => {
    const V = 'failed to validate command args: ';
    const cases: [string[], string][] = [
      [['--model-repository=/mnt/x'], V + '--name must be set'],
      [['--name=ab', '--data=bloom-pvc'], V + 'dataset bloom-pvc has incorrect format, should like data_name:/data0'],
      [['--name=ab', '--backend=onnx'], V + 'backend onnx is Invalid. Triton backend only supports vllm or trt-llm'],
      [['--name=ab', '--http-port=0', '--grpc-port=0'], V + 'all ports are 0, invalid configuration'],
      [
        ['--name=ab', '--replicas=x'],
        'invalid argument "x" for "--replicas" flag: strconv.ParseInt: parsing "x": invalid syntax'
      ]
    ];
    for (const [args, msg] of cases) {
      const r = await arena(['serve', 'triton', ...args]);
      expect(r.code).toBe(1);
      expect(logged(r.stderr)).toEqual([['error', msg]]);
    }
  });

  it('lists, gets (by version) and deletes serving jobs', async () => {
    // no pod holds a GPU yet: Arena prints no GPU column; DESIRED is the Deployment's status.replicas
    const bare = await arena(['serve', 'list']);
    expect(bare.stdout.split('\n')[0]).toMatch(/^NAME +TYPE +VERSION +DESIRED +AVAILABLE +ADDRESS +PORTS$/);
    expect(bare.stdout).toMatch(/^bloom-triton +Triton +v1 +0 +0 +\S+ +RESTFUL:8000,GRPC:8001$/m);
    // what the Deployment controller and the kubelet would have done
    const full = 'bloom-triton-v1-tritoninferenceserver';
    kube.store.updateStatus(DEPLOYS, ns, full, { replicas: 1, availableReplicas: 1 });
    kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${full}-5d8f7c9b4-x2x7q`,
        namespace: ns,
        labels: { servingName: 'bloom-triton', servingVersion: 'v1', servingType: 'triton-serving' }
      },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'tritonserver', resources: { limits: { 'nvidia.com/gpu': '2' } } }]
      },
      status: { phase: 'Running' }
    });
    const list = await arena(['serve', 'list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME +TYPE +VERSION +DESIRED +AVAILABLE +ADDRESS +PORTS +GPU$/);
    expect(list.stdout).toMatch(/^bloom-triton +Triton +v1 +1 +1 +\S+ +RESTFUL:8000,GRPC:8001 +2$/m);
    expect(list.stdout).toMatch(/^bloom-triton +Triton +\d{12} +0 +0 +\S+ +RESTFUL:8000,GRPC:8001 +0$/m);
    const ambiguous = await arena(['serve', 'get', 'bloom-triton']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stdout).toMatch(/^There is 2 jobs have been found:\n\nNAME +TYPE +VERSION\n/);
    expect(ambiguous.stdout).toMatch(/please use '--type' or '--version' to filter\.\n$/);
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
    expect(logged(del.stderr)).toEqual([
      ['info', 'The serving job bloom-triton with version v1 has been deleted successfully']
    ]);
    expect(kube.store.get(DEPLOYS, ns, 'bloom-triton-v1-tritoninferenceserver')).toBeUndefined();
    expect(kube.store.get(SVCS, ns, 'bloom-triton-v1-tritoninferenceserver')).toBeUndefined();
    expect(kube.store.get(CMS, ns, 'bloom-triton-v1-triton-serving')).toBeUndefined();
    expect((await arena(['serve', 'get', 'bloom-triton'])).code).toBe(0);
    const missing = await arena(['serve', 'get', 'bloom-triton', '--version=v1']);
    expect(missing.code).toBe(1);
    expect(logged(missing.stderr)).toEqual([
      ['error', 'Not found serving job bloom-triton, please check it with `arena serve list | grep bloom-triton`']
    ]);
    // as Arena: deleting what is not there is not an error
    const gone = await arena(['serve', 'delete', 'bloom-triton', '--version=v1']);
    expect(gone.code).toBe(0);
    expect(logged(gone.stderr)).toEqual([['info', "The serving job 'bloom-triton' does not exist,skip to delete it."]]);
  });
});
