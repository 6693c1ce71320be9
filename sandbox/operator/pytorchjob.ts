/**
 * The Kubeflow training operator's PyTorchJob controller, as far as Arena's jobs need it: one pod and one
 * headless Service per replica, conditions Created → Running → Succeeded/Failed (and Restarting) with the
 * operator's reasons and messages, replicaStatuses, startTime/completionTime, runPolicy
 * (activeDeadlineSeconds, backoffLimit, cleanPodPolicy, ttlSecondsAfterFinished) and restartPolicy
 * (Never/OnFailure/Always in the kubelet, ExitCode here: pods with a retryable exit code are recreated).
 */
import type { KubeObject } from '../kube/contract.js';
import { PODS, PYTORCHJOBS, SERVICES, now, patchStatus, safeDelete } from './common.js';
import type { OperatorContext } from './context.js';
import type { OperatorFlavor } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const DEFAULT_PORT = 23456;

/**
 * The labels each controller puts on a replica's pod and Service (kubeflow/training-operator v1.7.0
 * pkg/apis/kubeflow.org/v1/common_types.go:25-37; kubeflow/pytorch-operator v0.7.0
 * pkg/controller.v1/pytorch/controller.go:55-58 and pod.go:157-163, job-role from kubeflow/common).
 */
const LABELS: Record<OperatorFlavor, { jobName: string; replicaType: string; replicaIndex: string }> = {
  'training-operator': {
    jobName: 'training.kubeflow.org/job-name',
    replicaType: 'training.kubeflow.org/replica-type',
    replicaIndex: 'training.kubeflow.org/replica-index'
  },
  'pytorch-operator': {
    jobName: 'pytorch-job-name',
    replicaType: 'pytorch-replica-type',
    replicaIndex: 'pytorch-replica-index'
  }
};

function flavorLabels(flavor: OperatorFlavor, job: string, rtype: string, index: number): Record<string, string> {
  const l = LABELS[flavor];
  const base = { [l.jobName]: job, [l.replicaType]: rtype, [l.replicaIndex]: String(index) };
  if (flavor === 'pytorch-operator')
    return { 'group-name': 'kubeflow.org', ...base, ...(rtype === 'master' ? { 'job-role': 'master' } : {}) };
  return {
    ...base,
    'training.kubeflow.org/operator-name': 'pytorchjob-controller',
    ...(rtype === 'master' ? { 'training.kubeflow.org/job-role': 'master' } : {})
  };
}

/** The PyTorchJob a pod belongs to, whichever controller labelled it. */
export function jobOfPod(pod: KubeObject): string | undefined {
  const l = pod.metadata.labels ?? {};
  return l[LABELS['training-operator'].jobName] ?? l[LABELS['pytorch-operator'].jobName];
}

function replicaTypeOf(pod: KubeObject): string | undefined {
  const l = pod.metadata.labels ?? {};
  return l[LABELS['training-operator'].replicaType] ?? l[LABELS['pytorch-operator'].replicaType];
}

interface JobState {
  uid: string;
  restarts: number;
  /** The restart count when each pod was created (each recreated pod counts once against backoffLimit). */
  podAttempt: Map<string, number>;
  startMs?: number;
  deadline?: NodeJS.Timeout;
  ttl?: NodeJS.Timeout;
  /** When this controller saw the job finish (completionTime has second precision, many scenario seconds). */
  finishedMs?: number;
  finished: boolean;
}

export class PyTorchJobController {
  private jobs = new Map<string, JobState>();
  /** Which controller this cluster runs: decides the labels of the pods and Services created from now on. */
  flavor: OperatorFlavor = 'training-operator';

  constructor(private ctx: OperatorContext) {}

  deleted(job: KubeObject): void {
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    const st = this.jobs.get(key);
    if (!st || st.uid !== job.metadata.uid) return;
    clearTimeout(st.deadline);
    clearTimeout(st.ttl);
    this.jobs.delete(key);
    // background GC normally removes the pods; make sure nothing keeps running if the store does not
    for (const pod of this.ownedPods(job)) safeDelete(this.ctx.store, PODS, pod.metadata.namespace, pod.metadata.name);
  }

  stop(): void {
    for (const st of this.jobs.values()) {
      clearTimeout(st.deadline);
      clearTimeout(st.ttl);
    }
    this.jobs.clear();
  }

  private ownedPods(job: KubeObject): KubeObject[] {
    return this.ctx.store
      .list(PODS, job.metadata.namespace)
      .items.filter(
        (p) => jobOfPod(p) === job.metadata.name && p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid)
      );
  }

  reconcile(ns: string, name: string): void {
    const job = this.ctx.store.get(PYTORCHJOBS, ns, name);
    if (!job) return;
    const key = `${ns}/${name}`;
    let st = this.jobs.get(key);
    if (!st || st.uid !== job.metadata.uid) {
      if (st) this.deleted({ ...job, metadata: { ...job.metadata, uid: st.uid } });
      st = { uid: job.metadata.uid!, restarts: 0, podAttempt: new Map(), finished: false };
      this.jobs.set(key, st);
    }
    const conds: any[] = job.status?.conditions ?? [];
    if (conds.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True')) {
      st.finished = true;
      this.armTtl(job, st);
      this.updateReplicaStatuses(job);
      return;
    }
    const kind = 'PyTorchJob';
    if (!conds.some((c) => c.type === 'Created')) {
      this.setCondition(job, 'Created', 'PyTorchJobCreated', `${kind} ${name} is created.`);
    }
    const specs: Record<string, any> = job.spec?.pytorchReplicaSpecs ?? {};
    const runPolicy = job.spec?.runPolicy ?? {};
    const backoffLimit: number | undefined = runPolicy.backoffLimit;
    const pods = this.ownedPods(job);
    const byName = new Map(pods.map((p) => [p.metadata.name, p]));
    const failedTypes = new Map<string, number>();
    let restarting: string | undefined;

    for (const [rtype, rspec] of Object.entries(specs)) {
      const replicas: number = rspec?.replicas ?? 1;
      for (let i = 0; i < replicas; i++) {
        const podName = `${name}-${rtype.toLowerCase()}-${i}`;
        const pod = byName.get(podName);
        if (!pod) {
          st.podAttempt.set(podName, st.restarts);
          this.createReplica(job, rtype, rspec, i, specs);
          continue;
        }
        if (pod.status?.phase !== 'Failed') continue;
        const exitCode =
          pod.status?.containerStatuses?.find((c: any) => c.name === 'pytorch')?.state?.terminated?.exitCode ??
          pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
        // a Failed pod is recreated only under ExitCode with a retryable (signal) exit code: training-operator
        // v1.7.0 pkg/controller.v1/common/pod.go:349-352 (OnFailure/Always restart in place in the kubelet, so
        // their pods do not fail); under Never, Arena's Master policy, the job fails (pytorchjob_controller.go:443)
        const attempt = st.podAttempt.get(podName) ?? 0;
        const retryable = rspec?.restartPolicy === 'ExitCode' && exitCode >= 128;
        if (retryable && !(backoffLimit !== undefined && st.restarts >= backoffLimit)) {
          if (attempt === st.restarts) st.restarts++;
          restarting = `${kind} ${name} is restarting because 1 ${rtype} replica(s) failed.`;
          safeDelete(this.ctx.store, PODS, ns, podName);
        } else {
          failedTypes.set(rtype, (failedTypes.get(rtype) ?? 0) + 1);
        }
      }
    }

    const fresh = this.ctx.store.get(PYTORCHJOBS, ns, name) ?? job;
    if (!fresh.status?.startTime) {
      st.startMs = Date.now();
      patchStatus(this.ctx.store, PYTORCHJOBS, ns, name, (s) => void (s.startTime = now()));
    }
    this.armDeadline(fresh, st);
    const statuses = this.updateReplicaStatuses(fresh);

    if (restarting) {
      this.setCondition(fresh, 'Restarting', 'PyTorchJobRestarting', restarting);
      this.ctx.store.recordEvent(fresh, 'Warning', 'PyTorchJobRestarting', restarting);
      return;
    }
    if (failedTypes.size) {
      const [rtype, n] = [...failedTypes][0];
      const msg =
        backoffLimit !== undefined && st.restarts >= backoffLimit && st.restarts > 0
          ? `${kind} ${name} has failed because it has reached the specified backoff limit`
          : `${kind} ${name} is failed because ${n} ${rtype} replica(s) failed.`;
      const reason = msg.includes('backoff limit') ? 'BackoffLimitExceeded' : 'PyTorchJobFailed';
      this.finish(fresh, st, 'Failed', reason, msg);
      return;
    }
    const master = statuses.Master;
    const worker = statuses.Worker;
    const masterDone = specs.Master ? (master?.succeeded ?? 0) >= (specs.Master.replicas ?? 1) : false;
    const workersDone =
      !specs.Master && specs.Worker ? (worker?.succeeded ?? 0) >= (specs.Worker.replicas ?? 1) : false;
    if (masterDone || workersDone) {
      this.finish(fresh, st, 'Succeeded', 'PyTorchJobSucceeded', `${kind} ${name} is successfully completed.`);
      return;
    }
    const running = specs.Master ? (master?.active ?? 0) > 0 : (worker?.active ?? 0) > 0;
    if (running) this.setCondition(fresh, 'Running', 'PyTorchJobRunning', `${kind} ${name} is running.`);
  }

  private createReplica(job: KubeObject, rtype: string, rspec: any, index: number, specs: Record<string, any>): void {
    const ns = job.metadata.namespace!;
    const name = job.metadata.name;
    const podName = `${name}-${rtype.toLowerCase()}-${index}`;
    const template = structuredClone(rspec?.template ?? {});
    const own = flavorLabels(this.flavor, name, rtype.toLowerCase(), index);
    const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), ...own };
    const owner = [
      {
        apiVersion: job.apiVersion,
        kind: job.kind,
        name,
        uid: job.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true
      }
    ];
    const spec = template.spec ?? { containers: [] };
    const policy = rspec?.restartPolicy ?? 'Never';
    spec.restartPolicy = policy === 'ExitCode' ? 'Never' : policy;
    const worldSize = Object.values(specs).reduce((n: number, s: any) => n + (s?.replicas ?? 1), 0);
    const rank = rtype === 'Master' ? 0 : index + (specs.Master ? 1 : 0);
    for (const c of spec.containers ?? []) {
      const extra = [
        { name: 'MASTER_PORT', value: String(DEFAULT_PORT) },
        { name: 'MASTER_ADDR', value: specs.Master ? `${name}-master-0` : `${name}-worker-0` },
        { name: 'WORLD_SIZE', value: String(worldSize) },
        { name: 'RANK', value: String(rank) },
        { name: 'PYTHONUNBUFFERED', value: '1' }
      ];
      c.env = [...(c.env ?? []).filter((e: any) => !extra.some((x) => x.name === e.name)), ...extra];
    }
    const store = this.ctx.store;
    try {
      store.create(SERVICES, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: podName, namespace: ns, labels: { ...labels }, ownerReferences: owner },
        spec: {
          clusterIP: 'None',
          selector: Object.fromEntries(Object.entries(own).filter(([k]) => !/operator-name|job-role/.test(k))),
          ports: [{ name: 'pytorchjob-port', port: DEFAULT_PORT, protocol: 'TCP', targetPort: DEFAULT_PORT }]
        }
      });
      store.recordEvent(job, 'Normal', 'SuccessfulCreateService', `Created service: ${podName}`);
    } catch {
      // exists already (the pod is being recreated)
    }
    try {
      store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: ns,
          labels,
          annotations: template.metadata?.annotations,
          ownerReferences: owner
        },
        spec
      });
      store.recordEvent(job, 'Normal', 'SuccessfulCreatePod', `Created pod: ${podName}`);
    } catch {
      // raced with ourselves; the next reconcile sees it
    }
  }

  private updateReplicaStatuses(
    job: KubeObject
  ): Record<string, { active?: number; succeeded?: number; failed?: number }> {
    const specs: Record<string, any> = job.spec?.pytorchReplicaSpecs ?? {};
    const statuses: Record<string, { active?: number; succeeded?: number; failed?: number }> = {};
    for (const rtype of Object.keys(specs)) statuses[rtype] = {};
    for (const pod of this.ownedPods(job)) {
      const rtype = Object.keys(specs).find((t) => t.toLowerCase() === replicaTypeOf(pod));
      if (!rtype) continue;
      const s = statuses[rtype];
      const phase = pod.status?.phase;
      // the operator's ReplicaStatus fields are omitempty: zero counts are absent, as in the real API
      if (phase === 'Running') s.active = (s.active ?? 0) + 1;
      else if (phase === 'Succeeded') s.succeeded = (s.succeeded ?? 0) + 1;
      else if (phase === 'Failed') s.failed = (s.failed ?? 0) + 1;
    }
    patchStatus(this.ctx.store, PYTORCHJOBS, job.metadata.namespace, job.metadata.name, (s) => {
      // counts of finished pods that were cleaned up stay as they were
      const prev = s.replicaStatuses ?? {};
      for (const [t, v] of Object.entries(statuses)) {
        if (!v.succeeded && prev[t]?.succeeded && !v.active) v.succeeded = prev[t].succeeded;
        if (!v.failed && prev[t]?.failed && !v.active) v.failed = prev[t].failed;
      }
      s.replicaStatuses = statuses;
    });
    return statuses;
  }

  private setCondition(job: KubeObject, type: string, reason: string, message: string, also?: (s: any) => void): void {
    const status = 'True';
    patchStatus(this.ctx.store, PYTORCHJOBS, job.metadata.namespace, job.metadata.name, (s) => {
      also?.(s);
      const conds: any[] = s.conditions ?? [];
      if (conds.some((c) => c.type === 'Failed' && c.status === 'True')) return false;
      const cur = conds.find((c) => c.type === type);
      if (cur && cur.status === status && cur.reason === reason) return false;
      const t = now();
      const cond = {
        type,
        status,
        reason,
        message,
        lastUpdateTime: t,
        lastTransitionTime: cur && cur.status === status ? cur.lastTransitionTime : t
      };
      const kept = conds
        .filter((c) => {
          if (type === 'Restarting' && c.type === 'Running') return false;
          if (type === 'Running' && c.type === 'Restarting') return false;
          return c.type !== type;
        })
        .map((c) =>
          (type === 'Failed' || type === 'Succeeded') && c.type === 'Running' ? { ...c, status: 'False' } : c
        );
      s.conditions = [...kept, cond];
    });
  }

  private finish(job: KubeObject, st: JobState, type: 'Succeeded' | 'Failed', reason: string, message: string): void {
    if (st.finished) return;
    st.finished = true;
    st.finishedMs = Date.now();
    clearTimeout(st.deadline);
    this.setCondition(job, type, reason, message, (s) => {
      s.completionTime ??= now();
    });
    this.ctx.store.recordEvent(job, type === 'Succeeded' ? 'Normal' : 'Warning', reason, message);
    this.cleanPods(job);
    this.armTtl(job, st);
  }

  private cleanPods(job: KubeObject): void {
    const policy: string = job.spec?.runPolicy?.cleanPodPolicy ?? job.spec?.cleanPodPolicy ?? 'None';
    if (policy === 'None') return;
    for (const pod of this.ownedPods(job)) {
      const phase = pod.status?.phase;
      // Running: the training-operator also deletes Pending pods (they would start later), the older
      // pytorch-operator only Running ones (training-operator v1.7.0 common/job.go:58; pytorch-operator v0.7.0 job.go:165)
      const active = phase === 'Running' || (this.flavor === 'training-operator' && (phase === 'Pending' || !phase));
      if (policy === 'All' || active) {
        safeDelete(this.ctx.store, PODS, pod.metadata.namespace, pod.metadata.name);
        safeDelete(this.ctx.store, SERVICES, pod.metadata.namespace, pod.metadata.name);
      }
    }
  }

  private armDeadline(job: KubeObject, st: JobState): void {
    const secs = job.spec?.runPolicy?.activeDeadlineSeconds ?? job.spec?.activeDeadlineSeconds;
    if (st.deadline || secs === undefined || st.finished) return;
    // startTime has second precision, which is many scenario seconds at a high clock speed
    const start = st.startMs ?? (Date.parse(job.status?.startTime ?? '') || Date.now());
    const elapsedScenario = ((Date.now() - start) / 1000) * this.ctx.clock.speed;
    const remaining = Math.max(0, secs - elapsedScenario);
    st.deadline = setTimeout(() => {
      const cur = this.ctx.store.get(PYTORCHJOBS, job.metadata.namespace, job.metadata.name);
      if (!cur || cur.metadata.uid !== st.uid || st.finished) return;
      this.finish(
        cur,
        st,
        'Failed',
        'DeadlineExceeded',
        `PyTorchJob ${cur.metadata.name} has failed because it was active longer than specified deadline`
      );
    }, this.ctx.clock.realMs(remaining));
  }

  private armTtl(job: KubeObject, st: JobState): void {
    const ttl = job.spec?.runPolicy?.ttlSecondsAfterFinished ?? job.spec?.ttlSecondsAfterFinished;
    if (st.ttl || ttl === undefined) return;
    // expires at completionTime + ttl, on the scenario clock: a job found finished (the operator restarted) is
    // deleted when its time is up, not a full ttl later (training-operator v1.7.0 common/job.go:416-448)
    const done = this.ctx.store.get(PYTORCHJOBS, job.metadata.namespace, job.metadata.name)?.status?.completionTime;
    const finishedMs = st.finishedMs ?? (Date.parse(done ?? '') || Date.now());
    const elapsedScenario = ((Date.now() - finishedMs) / 1000) * this.ctx.clock.speed;
    st.ttl = setTimeout(
      () => {
        const cur = this.ctx.store.get(PYTORCHJOBS, job.metadata.namespace, job.metadata.name);
        if (cur && cur.metadata.uid === st.uid)
          safeDelete(this.ctx.store, PYTORCHJOBS, job.metadata.namespace, job.metadata.name);
      },
      this.ctx.clock.realMs(Math.max(0, ttl - elapsedScenario))
    );
  }
}
