/**
 * Fixtures for the operator tests: the kube engineer's object store and pod runtime (no HTTP), a real sandbox
 * OSS server, the operator at a fast scenario clock, and objects shaped like the ones Arena and the storage
 * stage create.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import type { KubeObject, ResourceType, WatchEvent } from '../../sandbox/kube/contract.js';
import { Runtime } from '../../sandbox/kube/runtime.js';
import { Store } from '../../sandbox/kube/store.js';
import { demoModelFiles } from '../../sandbox/models/demo.js';
import { startOperator, type OperatorOptions, type StartTriton } from '../../sandbox/operator/index.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';

export const NS = 'default-group';
export const R = {
  pods: { group: '', version: 'v1', plural: 'pods' },
  services: { group: '', version: 'v1', plural: 'services' },
  secrets: { group: '', version: 'v1', plural: 'secrets' },
  pvs: { group: '', version: 'v1', plural: 'persistentvolumes' },
  pvcs: { group: '', version: 'v1', plural: 'persistentvolumeclaims' },
  events: { group: '', version: 'v1', plural: 'events' },
  jobs: { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets' }
} satisfies Record<string, ResourceType>;

export const CONVERTER_IMAGE = 'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1';
export const CONVERTER = '/FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py';
export const MODEL_PREFIX = 'models/bloom-tiny/hf/0123abc';

export interface Env {
  store: Store;
  runtime: Runtime;
  oss: OssHandle;
  ossClient: OSS;
  clock: ScenarioClock;
  operator: ReturnType<typeof startOperator>;
  stop(): Promise<void>;
}

export async function startEnv(
  opts: { speed?: number; startTriton?: StartTriton; nodes?: OperatorOptions['nodes']; seed?: boolean } = {}
): Promise<Env> {
  const dir = await mkdtemp(path.join(tmpdir(), 'operator-test-'));
  const oss = await startOss({ faults: new FaultRegistry(), root: dir });
  const store = new Store();
  for (const ns of ['default', NS])
    store.create(
      { group: '', version: 'v1', plural: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }
    );
  const runtime = new Runtime(store);
  const clock = new ScenarioClock(opts.speed ?? 2000);
  const access = {
    endpoint: oss.endpoint,
    bucket: oss.bucket,
    region: oss.region,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret
  };
  const ossClient = new OSS({ ...access });
  if (opts.seed !== false) {
    for (const f of demoModelFiles()) {
      if (!f.path.startsWith('.')) await ossClient.put(`${MODEL_PREFIX}/${f.path}`, f.content);
    }
  }
  const operator = startOperator({
    store,
    pods: runtime,
    clock,
    oss: access,
    startTriton: opts.startTriton,
    nodes: opts.nodes
  });
  return {
    store,
    runtime,
    oss,
    ossClient,
    clock,
    operator,
    async stop() {
      await operator.stop();
      runtime.close();
      await oss.stop();
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** Secret + PV + PVC as the storage stage creates them (OSS static volume). */
export function createStorage(
  store: Store,
  o: {
    pv?: string;
    pvc?: string;
    secret?: string;
    bucket?: string;
    path?: string;
    driver?: string;
    secretData?: Record<string, string>;
    withSecret?: boolean;
  } = {}
): void {
  const pv = o.pv ?? 'bloom-pv';
  const secret = o.secret ?? 'oss-secret';
  if (o.withSecret !== false) {
    store.create(R.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace: NS },
      type: 'Opaque',
      data: o.secretData ?? {
        akId: Buffer.from('ak').toString('base64'),
        akSecret: Buffer.from('sk').toString('base64')
      }
    });
  }
  store.create(R.pvs, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pv, labels: { 'alicloud-pvname': pv } },
    spec: {
      capacity: { storage: '20Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      csi: {
        driver: o.driver ?? 'ossplugin.csi.alibabacloud.com',
        volumeHandle: pv,
        nodePublishSecretRef: { name: secret, namespace: NS },
        volumeAttributes: {
          bucket: o.bucket ?? 'models',
          url: 'oss-cn-hangzhou-internal.aliyuncs.com',
          path: o.path ?? '/',
          otherOpts: '-o max_stat_cache_size=0 -o allow_other'
        }
      }
    }
  });
  store.create(R.pvcs, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: o.pvc ?? 'bloom-pvc', namespace: NS },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: '',
      selector: { matchLabels: { 'alicloud-pvname': pv } }
    }
  });
}

/** A PyTorchJob as `arena submit pytorchjob` creates it. */
export function arenaJob(
  name: string,
  command: string,
  o: {
    gpus?: number;
    image?: string;
    workers?: number;
    pvc?: string;
    mountPath?: string;
    deadline?: number;
    ttl?: number;
    backoffLimit?: number;
    restartPolicy?: string;
  } = {}
): KubeObject {
  const template = () => ({
    metadata: { labels: { app: 'pytorchjob', release: name } },
    spec: {
      containers: [
        {
          name: 'pytorch',
          image: o.image ?? CONVERTER_IMAGE,
          imagePullPolicy: 'Always',
          command: ['sh', '-c', command],
          resources: { limits: { 'nvidia.com/gpu': o.gpus ?? 1 } },
          volumeMounts: [{ name: 'bloom-pvc', mountPath: o.mountPath ?? '/mnt' }]
        }
      ],
      volumes: [{ name: 'bloom-pvc', persistentVolumeClaim: { claimName: o.pvc ?? 'bloom-pvc' } }]
    }
  });
  const workers = o.workers ?? 1;
  return {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name, namespace: NS, labels: { app: 'pytorchjob', release: name, createdBy: 'PyTorchJob' } },
    spec: {
      runPolicy: {
        cleanPodPolicy: 'Running',
        ...(o.backoffLimit !== undefined ? { backoffLimit: o.backoffLimit } : {}),
        ...(o.deadline ? { activeDeadlineSeconds: o.deadline } : {}),
        ...(o.ttl ? { ttlSecondsAfterFinished: o.ttl } : {})
      },
      pytorchReplicaSpecs: {
        Master: { replicas: 1, restartPolicy: o.restartPolicy ?? 'Never', template: template() },
        ...(workers > 1 ? { Worker: { replicas: workers - 1, restartPolicy: 'OnFailure', template: template() } } : {})
      }
    }
  };
}

export function convertCommand(
  args = `-i /mnt/${MODEL_PREFIX} -o /mnt/models/bloom-tiny/ft/v1 -tp 2 -dt fp16 -v`
): string {
  return `python ${CONVERTER} ${args}`;
}

/** Resolves with the object once `pred` holds for it (checked on every store change), or rejects after `ms`. */
export function waitFor(
  store: Store,
  res: ResourceType,
  name: string,
  pred: (o: KubeObject) => boolean,
  ms = 15000
): Promise<KubeObject> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const o = store.get(res, NS, name) ?? store.get(res, undefined, name);
      if (o && pred(o)) {
        cleanup();
        resolve(o);
        return true;
      }
      return false;
    };
    const unsub = store.subscribe((ev: WatchEvent) => {
      if (ev.object.metadata.name === name) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      const o = store.get(res, NS, name) ?? store.get(res, undefined, name);
      reject(new Error(`timed out waiting for ${res.plural}/${name}: ${JSON.stringify(o?.status ?? o ?? null)}`));
    }, ms);
    const cleanup = () => {
      unsub();
      clearTimeout(timer);
    };
    check();
  });
}

export function waitGone(store: Store, res: ResourceType, name: string, ms = 15000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!store.get(res, NS, name)) return resolve();
    const unsub = store.subscribe((ev) => {
      if (ev.type === 'DELETED' && ev.object.metadata.name === name) {
        unsub();
        clearTimeout(timer);
        resolve();
      }
    });
    const timer = setTimeout(() => {
      unsub();
      reject(new Error(`timed out waiting for ${res.plural}/${name} to go`));
    }, ms);
  });
}

export function condition(
  o: KubeObject,
  type: string
): { status: string; reason?: string; message?: string } | undefined {
  return (o.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

export const isTrue = (type: string) => (o: KubeObject) => condition(o, type)?.status === 'True';

export function events(store: Store, name: string): { type: string; reason: string; message: string }[] {
  return store
    .list(R.events, undefined)
    .items.filter((e) => (e.involvedObject as { name: string }).name === name)
    .map((e) => ({ type: String(e.type), reason: String(e.reason), message: String(e.message) }));
}

export function waitEvent(
  store: Store,
  name: string,
  reason: string,
  ms = 15000
): Promise<{ type: string; reason: string; message: string }> {
  return new Promise((resolve, reject) => {
    const check = () => events(store, name).find((e) => e.reason === reason);
    const first = check();
    if (first) return resolve(first);
    const unsub = store.subscribe(() => {
      const e = check();
      if (e) {
        unsub();
        clearTimeout(timer);
        resolve(e);
      }
    });
    const timer = setTimeout(() => {
      unsub();
      reject(new Error(`no ${reason} event for ${name}: ${JSON.stringify(events(store, name))}`));
    }, ms);
  });
}

export function logOf(runtime: Runtime, pod: string, container = 'pytorch'): string {
  return runtime
    .lines(NS, pod, container)
    .map((l) => l.text)
    .join('');
}
