/**
 * The sandbox's cluster side: controllers that watch the object store and act like ACK with the Kubeflow
 * training operator and the OSS CSI plugin (PV/PVC binding, PyTorchJobs, Deployments, scheduling, a
 * kubelet that runs the FT converter simulation and the Triton simulator). See README.md in this folder.
 */
import type { KubeObject, WatchEvent } from '../kube/contract.js';
import { DEPLOYMENTS, NODES, PODS, PVCS, PVS, PYTORCHJOBS, REPLICASETS, SECRETS, objKey, sameRes } from './common.js';
import type { OperatorContext } from './context.js';
import { DeploymentController } from './deployment.js';
import { PodWorker } from './kubelet.js';
import { OssClients } from './oss-fs.js';
import { jobOfPod, PyTorchJobController } from './pytorchjob.js';
import { batchJobOfPod, JobController, JOBS } from './job.js';
import { findProcessImage } from './process.js';
import { ScenarioBook, type Scenario } from './scenarios.js';
import { DEFAULT_NODES, Scheduler } from './scheduler.js';
import { DEFAULT_IMAGE_ALLOWLIST, type OperatorHandle, type OperatorOptions } from './types.js';
import { VolumeBinder } from './volumes.js';

export type { Scenario } from './scenarios.js';
export type { OperatorFlavor, OperatorHandle, OperatorOptions, StartTriton } from './types.js';
export { DEFAULT_IMAGE_ALLOWLIST } from './types.js';

type Work = { kind: 'job' | 'deploy' | 'batchjob'; ns: string; name: string } | { kind: 'volumes' };

export function startOperator(opts: OperatorOptions): OperatorHandle {
  const { store } = opts;
  const scheduler = new Scheduler(opts.nodes ?? DEFAULT_NODES);
  const scenarios = new ScenarioBook();
  const workers = new Map<string, { uid: string; worker: PodWorker }>();
  const allow = opts.imageAllowlist ?? DEFAULT_IMAGE_ALLOWLIST;
  let stopped = false;

  // Store events arrive synchronously inside our own writes: controllers run from a de-duplicated queue.
  const queue = new Map<string, Work>();
  let scheduled = false;
  let idle: Promise<void> = Promise.resolve();
  const enqueue = (w: Work) => {
    if (stopped) return;
    queue.set(w.kind === 'volumes' ? 'volumes' : `${w.kind}|${w.ns}/${w.name}`, w);
    if (scheduled) return;
    scheduled = true;
    idle = new Promise<void>((resolve) =>
      setImmediate(() => {
        scheduled = false;
        drain();
        resolve();
      })
    );
  };
  const drain = () => {
    for (let rounds = 0; queue.size && rounds < 1000 && !stopped; rounds++) {
      const [k, w] = queue.entries().next().value as [string, Work];
      queue.delete(k);
      try {
        if (w.kind === 'volumes') binder.reconcile();
        else if (w.kind === 'job') jobs.reconcile(w.ns, w.name);
        else if (w.kind === 'batchjob') batchJobs.reconcile(w.ns, w.name);
        else deployments.reconcile(w.ns, w.name);
      } catch (err) {
        ctx.reportError(k, err);
      }
    }
  };

  const ctx: OperatorContext = {
    store,
    pods: opts.pods,
    clock: opts.clock,
    scheduler,
    scenarios,
    oss: new OssClients(opts.oss),
    startTriton: opts.startTriton,
    imageCache: new Set(),
    imageAllowed: (image) => allow.some((re) => re.test(image)) || !!findProcessImage(opts.images, image),
    images: opts.images,
    ownerName: (pod) => jobOfPod(pod) ?? batchJobOfPod(pod) ?? deployments.deploymentOf(pod) ?? pod.metadata.name,
    pokeAll: () => {
      for (const { worker } of workers.values()) worker.poke();
    },
    podFinished: (pod) => ownerChanged(pod),
    reportError: (where, err) => {
      if (!stopped) console.error(`[sandbox operator] ${where}:`, err);
    }
  };
  const binder = new VolumeBinder(store);
  const jobs = new PyTorchJobController(ctx);
  jobs.flavor = opts.flavor ?? 'training-operator';
  const deployments = new DeploymentController(ctx, (ns, name) => enqueue({ kind: 'deploy', ns, name }));
  const batchJobs = new JobController(ctx, (ns, name) => enqueue({ kind: 'batchjob', ns, name }));

  function ownerChanged(pod: KubeObject): void {
    const ns = pod.metadata.namespace ?? 'default';
    const job = jobOfPod(pod);
    if (job) enqueue({ kind: 'job', ns, name: job });
    const dep = deployments.deploymentOf(pod);
    if (dep) enqueue({ kind: 'deploy', ns, name: dep });
    const batchJob = batchJobOfPod(pod);
    if (batchJob) enqueue({ kind: 'batchjob', ns, name: batchJob });
  }

  /**
   * The kubelet's side of graceful deletion: kill the containers (within the grace period: at once here), free
   * what the pod held, then remove the pod with a grace period of 0, as the kubelet's status manager does.
   */
  const terminating = new Set<string>();
  function terminate(pod: KubeObject, worker: PodWorker | undefined): void {
    const uid = pod.metadata.uid!;
    if (terminating.has(uid)) return;
    terminating.add(uid);
    const ns = pod.metadata.namespace ?? 'default';
    void (worker ? worker.stop() : Promise.resolve()).then(() => {
      terminating.delete(uid);
      if (stopped) return;
      if (store.get(PODS, ns, pod.metadata.name)?.metadata.uid === uid)
        store.delete(PODS, ns, pod.metadata.name, { gracePeriodSeconds: 0 });
    });
  }

  function onPod(type: WatchEvent['type'], pod: KubeObject): void {
    const key = objKey(pod);
    const cur = workers.get(key);
    if (type === 'DELETED') {
      if (cur && cur.uid === pod.metadata.uid) {
        workers.delete(key);
        void cur.worker.stop();
      }
      ownerChanged(pod);
      return;
    }
    if (cur && cur.uid !== pod.metadata.uid) {
      workers.delete(key);
      void cur.worker.stop();
    }
    if (pod.metadata.deletionTimestamp) {
      const mine = cur && cur.uid === pod.metadata.uid ? cur.worker : undefined;
      if (mine) workers.delete(key);
      terminate(pod, mine);
      ownerChanged(pod);
      return;
    }
    if (!workers.has(key) && type === 'ADDED' && !['Succeeded', 'Failed'].includes(pod.status?.phase)) {
      workers.set(key, { uid: pod.metadata.uid!, worker: new PodWorker(ctx, pod) });
    }
    ownerChanged(pod);
  }

  function onEvent(ev: WatchEvent): void {
    if (stopped) return;
    const o = ev.object;
    const ns = o.metadata.namespace ?? 'default';
    const r = ev.resource;
    if (sameRes(r, PODS)) onPod(ev.type, o);
    else if (sameRes(r, PYTORCHJOBS)) {
      if (ev.type === 'DELETED') jobs.deleted(o);
      else enqueue({ kind: 'job', ns, name: o.metadata.name });
    } else if (sameRes(r, JOBS)) {
      if (ev.type === 'DELETED') batchJobs.deleted(o);
      else enqueue({ kind: 'batchjob', ns, name: o.metadata.name });
    } else if (sameRes(r, DEPLOYMENTS)) {
      if (ev.type === 'DELETED') deployments.deleted(o);
      else enqueue({ kind: 'deploy', ns, name: o.metadata.name });
    } else if (sameRes(r, REPLICASETS)) {
      const dep = o.metadata.ownerReferences?.find((x) => x.kind === 'Deployment')?.name;
      if (dep) enqueue({ kind: 'deploy', ns, name: dep });
    } else if (sameRes(r, PVS) || sameRes(r, PVCS)) {
      enqueue({ kind: 'volumes' });
      ctx.pokeAll();
    } else if (sameRes(r, SECRETS)) {
      ctx.pokeAll();
    }
  }

  // never let a controller bug surface inside someone else's store write
  const unsubscribe = store.subscribe((ev) => {
    try {
      onEvent(ev);
    } catch (err) {
      ctx.reportError(`${ev.type} ${ev.resource.plural}/${ev.object.metadata.name}`, err);
    }
  });

  // Nodes as the API shows them (kubectl get nodes); the scheduler keeps the GPU accounting.
  for (const n of scheduler.nodes) {
    if (store.get(NODES, undefined, n.name)) continue;
    try {
      const node = store.create(NODES, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n.name, labels: n.labels },
        spec: {}
      });
      const resources = {
        cpu: '16',
        memory: '64Gi',
        pods: '110',
        ...(n.gpus ? { 'nvidia.com/gpu': String(n.gpus) } : {})
      };
      store.updateStatus(NODES, undefined, node.metadata.name, {
        capacity: resources,
        allocatable: resources,
        addresses: [
          { type: 'InternalIP', address: n.ip },
          { type: 'Hostname', address: n.name }
        ],
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
        ],
        nodeInfo: {
          kubeletVersion: 'v1.31.1-aliyun.1',
          containerRuntimeVersion: 'containerd://1.6.36',
          operatingSystem: 'linux',
          architecture: 'amd64'
        }
      });
    } catch {
      // the store may not serve nodes; the scheduler does not need them
    }
  }

  // Objects that existed before the operator started.
  for (const pod of store.list(PODS, undefined).items) onPod('ADDED', pod);
  for (const job of store.list(PYTORCHJOBS, undefined).items)
    enqueue({ kind: 'job', ns: job.metadata.namespace ?? 'default', name: job.metadata.name });
  for (const j of store.list(JOBS, undefined).items)
    enqueue({ kind: 'batchjob', ns: j.metadata.namespace ?? 'default', name: j.metadata.name });
  for (const d of store.list(DEPLOYMENTS, undefined).items)
    enqueue({ kind: 'deploy', ns: d.metadata.namespace ?? 'default', name: d.metadata.name });
  enqueue({ kind: 'volumes' });

  return {
    setScenario(s: Scenario) {
      scenarios.set(s);
    },
    clearScenarios() {
      scenarios.clear();
    },
    setFlavor(f) {
      if (f !== 'training-operator' && f !== 'pytorch-operator')
        throw new Error(`unknown operator flavor "${String(f)}" (training-operator or pytorch-operator)`);
      jobs.flavor = f;
    },
    async stop() {
      if (stopped) return;
      unsubscribe();
      await idle;
      stopped = true;
      queue.clear();
      jobs.stop();
      batchJobs.stop();
      deployments.stop();
      const all = [...workers.values()];
      workers.clear();
      await Promise.all(all.map(({ worker }) => worker.stop()));
    }
  };
}
