/**
 * The Arena stand-in driving the whole sandbox cluster: `arena submit pytorchjob` runs the FT converter through
 * the operator, `arena serve triton` brings up the Triton simulator on the converted checkpoint, and the demo
 * prompt completes through the pod's port. Checks that what the stand-in creates is what the cluster side runs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import * as tar from 'tar';
import { packArenaInstaller } from '../../sandbox/arena/pack.js';
import { preparedKubectl } from '../../sandbox/releases/index.js';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle, type KubeObject, type ResourceType } from '../../sandbox/kube/index.js';
import { DEMO_MODEL, demoModelFiles } from '../../sandbox/models/demo.js';
import { startOperator, type OperatorHandle } from '../../sandbox/operator/index.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { createStartTriton } from '../../sandbox/triton/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const R = {
  secrets: { group: '', version: 'v1', plural: 'secrets' },
  pvs: { group: '', version: 'v1', plural: 'persistentvolumes' },
  pvcs: { group: '', version: 'v1', plural: 'persistentvolumeclaims' },
  pods: { group: '', version: 'v1', plural: 'pods' },
  jobs: { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments' }
} satisfies Record<string, ResourceType>;

let dir: string;
let oss: OssHandle;
let kube: KubeHandle;
let operator: OperatorHandle;
let bin: string;
let charts: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'arena-e2e-'));
  const faults = new FaultRegistry();
  const clock = new ScenarioClock(2000);
  oss = await startOss({ faults, root: path.join(dir, 'oss') });
  kube = await startKube({ faults, clock, dir });
  const access = {
    endpoint: oss.endpoint,
    bucket: oss.bucket,
    region: oss.region,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret
  };
  operator = startOperator({
    store: kube.store,
    pods: kube.pods,
    clock,
    oss: access,
    startTriton: createStartTriton({ oss: access, clock, loadSeconds: 1 })
  });
  const client = new OSS({ ...access });
  for (const f of demoModelFiles()) await client.put(`llm/bloom-tiny/hf/${f.path}`, f.content);

  const ns = kube.namespace;
  kube.store.create(R.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'oss-secret', namespace: ns },
    data: {
      akId: Buffer.from(oss.accessKeyId).toString('base64'),
      akSecret: Buffer.from(oss.accessKeySecret).toString('base64')
    }
  });
  kube.store.create(R.pvs, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'llm-pv', labels: { 'alicloud-pvname': 'llm-pv' } },
    spec: {
      capacity: { storage: '20Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      csi: {
        driver: 'ossplugin.csi.alibabacloud.com',
        volumeHandle: 'llm-pv',
        nodePublishSecretRef: { name: 'oss-secret', namespace: ns },
        volumeAttributes: {
          bucket: oss.bucket,
          url: 'oss-cn-hangzhou-internal.aliyuncs.com',
          path: '/llm',
          otherOpts: '-o allow_other'
        }
      }
    }
  });
  kube.store.create(R.pvcs, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'llm-pvc', namespace: ns },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: '',
      selector: { matchLabels: { 'alicloud-pvname': 'llm-pv' } }
    }
  });

  const { file } = await packArenaInstaller({ version: '0.15.2', arch: 'amd64', outDir: dir });
  await tar.x({ file, cwd: dir });
  bin = path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'bin', 'arena');
  charts = path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'charts');
  // where v0.15.2 looks: $HOME/charts; and arena-kubectl (→ the real kubectl) on PATH for every apply/delete
  await mkdir(path.join(dir, 'home', 'bin'), { recursive: true });
  await symlink(charts, path.join(dir, 'home', 'charts'));
  await symlink((await preparedKubectl()).file, path.join(dir, 'home', 'bin', 'arena-kubectl'));
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await kube?.stop();
  await oss?.stop();
  await rm(dir, { recursive: true, force: true });
});

function arena(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      bin,
      args,
      {
        env: {
          PATH: `${path.join(dir, 'home', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
          HOME: path.join(dir, 'home'),
          KUBECONFIG: kube.kubeconfigPath
        }
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    )
  );
}

function waitFor(
  res: ResourceType,
  name: string,
  ok: (o: KubeObject) => boolean,
  what: string,
  ms = 30_000
): Promise<KubeObject> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const o = kube.store.get(res, kube.namespace, name);
      if (o && ok(o)) {
        clearTimeout(timer);
        unsubscribe();
        resolve(o);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(
          `timed out waiting for ${name} to be ${what}: ${JSON.stringify(kube.store.get(res, kube.namespace, name)?.status)}`
        )
      );
    }, ms);
    const unsubscribe = kube.store.subscribe(() => void check());
    check();
  });
}

const cond = (type: string) => (o: KubeObject) =>
  ((o.status?.conditions ?? []) as Json[]).some((c) => c.type === type && c.status === 'True');

it('converts with `arena submit pytorchjob`, serves with `arena serve triton`, and the demo prompt completes', async () => {
  const convert = await arena([
    'submit',
    'pytorchjob',
    '--name=convert-bloom',
    '--gpus=1',
    '--image=ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1',
    '--data=llm-pvc:/mnt',
    '--running-timeout=1h',
    'python /FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py -i /mnt/bloom-tiny/hf -o /mnt/bloom-tiny/ft -tp 2 -dt fp16 -v'
  ]);
  expect(convert.code).toBe(0);
  await waitFor(R.jobs, 'convert-bloom', cond('Succeeded'), 'Succeeded');
  expect((await arena(['get', 'convert-bloom'])).stdout).toMatch(/^Status: +SUCCEEDED$/m);
  expect((await arena(['logs', 'convert-bloom', '--tail=1'])).stdout).toMatch(
    /^Checkpoint conversion \(HF >> FT\) has done/
  );

  const client = new OSS({
    endpoint: oss.endpoint,
    bucket: oss.bucket,
    region: oss.region,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret
  });
  const pbtxt = [
    'name: "fastertransformer"',
    'backend: "fastertransformer"',
    'max_batch_size: 8',
    'input [',
    '  { name: "input_ids" data_type: TYPE_UINT32 dims: [ -1 ] },',
    '  { name: "input_lengths" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } },',
    '  { name: "request_output_len" data_type: TYPE_UINT32 dims: [ -1 ] }',
    ']',
    'output [',
    '  { name: "output_ids" data_type: TYPE_UINT32 dims: [ -1, -1 ] },',
    '  { name: "sequence_length" data_type: TYPE_UINT32 dims: [ -1 ] }',
    ']',
    // the FT backend needs one KIND_CPU instance group and both parallel sizes (a missing one is stoi → 0)
    'instance_group [ { count: 1 kind: KIND_CPU } ]',
    'parameters { key: "tensor_para_size" value: { string_value: "2" } }',
    'parameters { key: "pipeline_para_size" value: { string_value: "1" } }',
    'parameters { key: "data_type" value: { string_value: "fp16" } }',
    'parameters { key: "model_checkpoint_path" value: { string_value: "/mnt/bloom-tiny/ft/2-gpu/" } }',
    ''
  ].join('\n');
  await client.put('llm/triton/bloom-v1/fastertransformer/config.pbtxt', Buffer.from(pbtxt));
  await client.put('llm/triton/bloom-v1/fastertransformer/1/', Buffer.alloc(0));

  const serve = await arena([
    'serve',
    'triton',
    '--name=bloom',
    '--version=v1',
    '--gpus=2',
    '--allow-metrics',
    '--data=llm-pvc:/mnt',
    '--image=ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers',
    '--model-repository=/mnt/triton/bloom-v1'
  ]);
  expect(serve.code).toBe(0);
  const deployment = 'bloom-v1-tritoninferenceserver';
  await waitFor(R.deployments, deployment, cond('Available'), 'Available');
  const got = JSON.parse((await arena(['serve', 'get', 'bloom', '-o', 'json'])).stdout);
  expect(got).toMatchObject({ name: 'bloom', version: 'v1', desiredInstances: 1, availableInstances: 1 });

  const pod = kube.store.list(R.pods, kube.namespace, { labelSelector: 'release=bloom-v1' }).items[0];
  const port = (
    kube.pods as unknown as { localPort(ns: string, pod: string, port: number): number | undefined }
  ).localPort(kube.namespace, pod.metadata.name, 8000)!;
  const ids = DEMO_MODEL.promptIds;
  const res = await fetch(`http://127.0.0.1:${port}/v2/models/fastertransformer/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'input_ids', datatype: 'UINT32', shape: [1, ids.length], data: ids },
        { name: 'input_lengths', datatype: 'UINT32', shape: [1, 1], data: [ids.length] },
        { name: 'request_output_len', datatype: 'UINT32', shape: [1, 1], data: [16] }
      ]
    })
  });
  const body = (await res.json()) as Json;
  expect(res.status).toBe(200);
  const len = body.outputs[1].data[0];
  expect(body.outputs[0].data.slice(ids.length, len)).toEqual([...DEMO_MODEL.completionIds]);

  expect((await arena(['serve', 'delete', 'bloom', '--version=v1'])).code).toBe(0);
  expect((await arena(['delete', 'convert-bloom'])).code).toBe(0);
  expect(kube.store.get(R.jobs, kube.namespace, 'convert-bloom')).toBeUndefined();
}, 60_000);
