/**
 * The Deployment and ReplicaSet controllers, enough for `arena serve triton`: a ReplicaSet per pod template
 * (`<deploy>-<pod-template-hash>`), pods `<rs>-<5 chars>`, old ReplicaSets scaled down once the new one is
 * ready (RollingUpdate) or first (Recreate), and Deployment status with the controller's conditions:
 * Available (MinimumReplicasAvailable/Unavailable) and Progressing (NewReplicaSetCreated, ReplicaSetUpdated,
 * NewReplicaSetAvailable, ProgressDeadlineExceeded after spec.progressDeadlineSeconds without progress).
 */
import type { KubeObject } from '../kube/contract.js';
import {
  DEPLOYMENTS,
  PODS,
  REPLICASETS,
  now,
  patchObject,
  patchStatus,
  randomSuffix,
  safeDelete,
  templateHash
} from './common.js';
import type { OperatorContext } from './context.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

interface DeployState {
  uid: string;
  lastProgress: number;
  counts: string;
  timer?: NodeJS.Timeout;
}

export class DeploymentController {
  private deps = new Map<string, DeployState>();

  constructor(
    private ctx: OperatorContext,
    private enqueue: (ns: string, name: string) => void
  ) {}

  stop(): void {
    for (const s of this.deps.values()) clearTimeout(s.timer);
    this.deps.clear();
  }

  deleted(dep: KubeObject): void {
    const key = `${dep.metadata.namespace}/${dep.metadata.name}`;
    const st = this.deps.get(key);
    if (st && st.uid === dep.metadata.uid) {
      clearTimeout(st.timer);
      this.deps.delete(key);
    }
    for (const rs of this.ownedSets(dep)) {
      for (const pod of this.podsOf(rs)) safeDelete(this.ctx.store, PODS, pod.metadata.namespace, pod.metadata.name);
      safeDelete(this.ctx.store, REPLICASETS, rs.metadata.namespace, rs.metadata.name);
    }
  }

  /** The Deployment owning a pod (through its ReplicaSet), if any. */
  deploymentOf(pod: KubeObject): string | undefined {
    const rsRef = pod.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
    if (!rsRef) return undefined;
    const rs = this.ctx.store.get(REPLICASETS, pod.metadata.namespace, rsRef.name);
    return rs?.metadata.ownerReferences?.find((r) => r.kind === 'Deployment')?.name;
  }

  private ownedSets(dep: KubeObject): KubeObject[] {
    return this.ctx.store
      .list(REPLICASETS, dep.metadata.namespace)
      .items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === dep.metadata.uid));
  }

  private podsOf(rs: KubeObject): KubeObject[] {
    return this.ctx.store
      .list(PODS, rs.metadata.namespace)
      .items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid));
  }

  reconcile(ns: string, name: string): void {
    const dep = this.ctx.store.get(DEPLOYMENTS, ns, name);
    if (!dep) return;
    const key = `${ns}/${name}`;
    let st = this.deps.get(key);
    if (!st || st.uid !== dep.metadata.uid) {
      if (st) clearTimeout(st.timer);
      st = { uid: dep.metadata.uid!, lastProgress: Date.now(), counts: '' };
      this.deps.set(key, st);
    }
    const replicas: number = dep.spec?.replicas ?? 1;
    const template = dep.spec?.template ?? {};
    const hash = templateHash(template);
    const rsName = `${name}-${hash}`;
    const sets = this.ownedSets(dep);
    let newRs = sets.find((rs) => rs.metadata.name === rsName);
    let created = false;
    const strategy: string = dep.spec?.strategy?.type ?? 'RollingUpdate';
    const olds = sets.filter((rs) => rs.metadata.name !== rsName);

    if (!newRs) {
      const revision =
        1 +
        Math.max(0, ...sets.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)));
      const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
      try {
        newRs = this.ctx.store.create(REPLICASETS, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace: ns,
            labels,
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(replicas),
              'deployment.kubernetes.io/max-replicas': String(replicas + 1),
              'deployment.kubernetes.io/revision': String(revision)
            },
            ownerReferences: [ownerRef('Deployment', name, dep.metadata.uid!)]
          },
          spec: {
            replicas,
            selector: { matchLabels: { ...(dep.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash } },
            template: { ...template, metadata: { ...(template.metadata ?? {}), labels } }
          }
        });
      } catch {
        return; // raced; the ADDED event brings us back
      }
      created = true;
      st.lastProgress = Date.now();
      this.ctx.store.recordEvent(
        dep,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${rsName} to ${replicas} from 0`
      );
    } else if (newRs.spec?.replicas !== replicas) {
      const from = newRs.spec?.replicas ?? 0;
      newRs = patchObject(this.ctx.store, REPLICASETS, ns, rsName, (o) => void (o.spec.replicas = replicas)) ?? newRs;
      this.ctx.store.recordEvent(
        dep,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rsName} to ${replicas} from ${from}`
      );
    }

    const newPods = this.podsOf(newRs);
    const isReady = (p: KubeObject) =>
      p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    const newReady = newPods.filter(isReady).length;

    // old ReplicaSets go away when the new one is ready (RollingUpdate) or right away (Recreate)
    if (olds.length && (strategy === 'Recreate' || newReady >= replicas)) {
      for (const rs of olds) {
        if ((rs.spec?.replicas ?? 0) === 0 && this.podsOf(rs).length === 0) continue;
        const from = rs.spec?.replicas ?? 0;
        for (const p of this.podsOf(rs)) safeDelete(this.ctx.store, PODS, p.metadata.namespace, p.metadata.name);
        patchObject(this.ctx.store, REPLICASETS, ns, rs.metadata.name, (o) => void (o.spec.replicas = 0));
        this.ctx.store.recordEvent(
          dep,
          'Normal',
          'ScalingReplicaSet',
          `Scaled down replica set ${rs.metadata.name} to 0 from ${from}`
        );
      }
    }

    // the ReplicaSet controller's part: make the pod count match
    const oldLeft = strategy === 'Recreate' ? olds.flatMap((rs) => this.podsOf(rs)).length : 0;
    if (oldLeft === 0) {
      for (let i = newPods.length; i < replicas; i++) this.createPod(newRs, template, hash);
    }
    for (const extra of newPods.slice(replicas)) {
      safeDelete(this.ctx.store, PODS, extra.metadata.namespace, extra.metadata.name);
      this.ctx.store.recordEvent(newRs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${extra.metadata.name}`);
    }

    // statuses
    const livePods = this.podsOf(newRs);
    const remainingOld = olds.flatMap((rs) => this.podsOf(rs));
    const ready = livePods.filter(isReady).length;
    const oldReady = remainingOld.filter(isReady).length;
    patchStatus(this.ctx.store, REPLICASETS, ns, rsName, (s, o) => {
      s.replicas = livePods.length;
      s.fullyLabeledReplicas = livePods.length;
      s.readyReplicas = ready;
      s.availableReplicas = ready;
      s.observedGeneration = o.metadata.generation;
      for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas'] as const) if (!s[k]) delete s[k];
    });
    const total = livePods.length + remainingOld.length;
    const available = ready + oldReady;
    const counts = `${livePods.length}/${ready}/${remainingOld.length}`;
    const progressed = counts !== st.counts && st.counts !== '';
    if (progressed) st.lastProgress = Date.now();
    st.counts = counts;
    const complete = livePods.length === replicas && ready === replicas && remainingOld.length === 0;
    const deadline: number = dep.spec?.progressDeadlineSeconds ?? 600;
    const elapsed = ((Date.now() - st.lastProgress) / 1000) * this.ctx.clock.speed;
    const maxUnavailable = Math.floor(replicas * 0.25);
    let waitDeadline = false;
    patchStatus(this.ctx.store, DEPLOYMENTS, ns, name, (s, o) => {
      s.observedGeneration = o.metadata.generation;
      s.replicas = total;
      s.updatedReplicas = livePods.length;
      s.readyReplicas = available;
      s.availableReplicas = available;
      s.unavailableReplicas = Math.max(0, replicas - available);
      for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'])
        if (!s[k]) delete s[k];
      const conds: any[] = (s.conditions ??= []);
      const set = (type: string, status: string, reason: string, message: string, progressed: boolean) => {
        const cur = conds.find((c) => c.type === type);
        const t = now();
        if (cur && cur.status === status && cur.reason === reason && cur.message === message && !progressed) return;
        const next = {
          type,
          status,
          lastUpdateTime: t,
          lastTransitionTime: cur && cur.status === status ? cur.lastTransitionTime : t,
          reason,
          message
        };
        if (cur) Object.assign(cur, next);
        else conds.push(next);
      };
      const okAvail = available >= replicas - maxUnavailable;
      set(
        'Available',
        okAvail ? 'True' : 'False',
        okAvail ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        okAvail ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        false
      );
      const prog = conds.find((c) => c.type === 'Progressing');
      const timedOut =
        prog?.reason === 'ProgressDeadlineExceeded' ||
        (prog?.reason !== 'NewReplicaSetAvailable' && elapsed >= deadline);
      if (complete) {
        set(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rsName}" has successfully progressed.`,
          false
        );
      } else if (created || !prog) {
        set('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, false);
      } else if (progressed) {
        set('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true);
      } else if (timedOut) {
        set(
          'Progressing',
          'False',
          'ProgressDeadlineExceeded',
          `ReplicaSet "${rsName}" has timed out progressing.`,
          false
        );
      }
      waitDeadline = !complete && !timedOut && prog?.reason !== 'NewReplicaSetAvailable';
      // the Available condition comes after Progressing in the real API's order
      conds.sort((a, b) => (a.type === 'Available' ? 1 : 0) - (b.type === 'Available' ? 1 : 0));
    });

    clearTimeout(st.timer);
    if (waitDeadline) {
      const remaining = Math.max(0, deadline - elapsed);
      st.timer = setTimeout(() => this.enqueue(ns, name), this.ctx.clock.realMs(remaining) + 5);
    }
  }

  private createPod(rs: KubeObject, template: any, hash: string): void {
    const ns = rs.metadata.namespace!;
    const podName = `${rs.metadata.name}-${randomSuffix()}`;
    const spec = structuredClone(template.spec ?? { containers: [] });
    spec.restartPolicy ??= 'Always';
    try {
      this.ctx.store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          generateName: `${rs.metadata.name}-`,
          namespace: ns,
          labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
          annotations: template.metadata?.annotations,
          ownerReferences: [ownerRef('ReplicaSet', rs.metadata.name, rs.metadata.uid!)]
        },
        spec
      });
      this.ctx.store.recordEvent(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${podName}`);
    } catch {
      // a name clash of the random suffix: the next reconcile tries again
    }
  }
}

function ownerRef(
  kind: string,
  name: string,
  uid: string
): { apiVersion: string; kind: string; name: string; uid: string } {
  const ref = { apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true };
  return ref;
}
