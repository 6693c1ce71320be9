/**
 * Why a pod, job or Deployment is not getting anywhere, read from object snapshots (pure functions).
 * Each finding carries a stable code, a message naming the object and the cause, and what to do.
 */
import type { KObj } from './types.js';

export interface Diagnosis {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly details: readonly string[];
  /** The pod it is about, when it is about one. */
  readonly pod?: string;
  /** The failure may not repeat when the job runs again (see transientFailure). */
  readonly retryable?: boolean;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface ContainerStatus {
  name: string;
  image?: string;
  restartCount?: number;
  ready?: boolean;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
    running?: object;
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

export function conditions(obj: KObj | undefined): Condition[] {
  return (obj?.status?.conditions as Condition[] | undefined) ?? [];
}

export function condition(obj: KObj | undefined, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

export function isTrue(obj: KObj | undefined, type: string): boolean {
  return condition(obj, type)?.status === 'True';
}

/** Warning events about this object (matched by uid when both sides have one), oldest first. */
export function eventsFor(obj: KObj, events: readonly KObj[]): KObj[] {
  const uid = obj.metadata.uid;
  return events
    .filter((e) => {
      const inv = e.involvedObject as { name?: string; uid?: string; kind?: string } | undefined;
      if (!inv || inv.name !== obj.metadata.name) return false;
      if (obj.kind && inv.kind && inv.kind !== obj.kind) return false;
      return !(uid && inv.uid && inv.uid !== uid);
    })
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}

function eventTime(e: KObj): string {
  return String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '');
}

function containerStatuses(pod: KObj): ContainerStatus[] {
  return [
    ...((pod.status?.initContainerStatuses as ContainerStatus[]) ?? []),
    ...((pod.status?.containerStatuses as ContainerStatus[]) ?? [])
  ];
}

function specImage(pod: KObj, container: string): string | undefined {
  const all = [
    ...((pod.spec?.initContainers as { name: string; image: string }[]) ?? []),
    ...((pod.spec?.containers as { name: string; image: string }[]) ?? [])
  ];
  return all.find((c) => c.name === container)?.image;
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** The first thing that keeps this pod from running to completion, or undefined when nothing is wrong yet. */
export function diagnosePod(pod: KObj, events: readonly KObj[] = []): Diagnosis | undefined {
  const d = podProblem(pod, events);
  return d && { ...d, pod: pod.metadata.name };
}

// Over 60 lines on purpose: a table of pod states in the order they are checked (unschedulable, volume, image,
// crash loop, OOM, …); one early return per case reads better than the same cases spread over helpers.
// eslint-disable-next-line max-lines-per-function -- see above
function podProblem(pod: KObj, events: readonly KObj[]): Diagnosis | undefined {
  const name = `pod ${pod.metadata.name}`;
  const mine = eventsFor({ ...pod, kind: pod.kind ?? 'Pod' }, events);
  const sched = condition(pod, 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable') {
    const ev = [...mine].reverse().find((e) => e.reason === 'FailedScheduling');
    const why = String(ev?.message ?? sched.message ?? 'no node fits');
    return {
      code: 'UNSCHEDULABLE',
      message: `${name} cannot be scheduled: ${why}`,
      hint: /nvidia\.com\/gpu/.test(why)
        ? 'The cluster has no node with enough free GPUs: lower the GPU count, free GPUs, or add a GPU node.'
        : 'No node satisfies the pod’s requests, selectors or tolerations: check the scheduler message.',
      details: []
    };
  }
  for (const cs of containerStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      const image = specImage(pod, cs.name) ?? cs.image ?? '?';
      const ev = [...mine].reverse().find((e) => e.reason === 'Failed' && String(e.message ?? '').includes('image'));
      return {
        code: 'IMAGE_PULL',
        message: `${name} cannot pull image "${image}" (${waiting.reason})${waiting.message ? `: ${waiting.message}` : ''}`,
        hint: 'Check the image name and tag, and that the cluster can reach the registry (use the VPC registry inside the region, or an image pull secret).',
        details: ev ? [String(ev.message)] : []
      };
    }
  }
  const mount = [...mine].reverse().find((e) => e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume');
  if (mount && !isRunning(pod)) {
    return {
      code: 'MOUNT_FAILED',
      message: `${name} cannot mount its volume: ${String(mount.message ?? '')}`,
      hint: 'Check the PV’s bucket, path and endpoint, and the OSS credential Secret (akId/akSecret) the PV references.',
      details: []
    };
  }
  for (const cs of containerStatuses(pod)) {
    const term = cs.state?.terminated ?? cs.lastState?.terminated;
    if (term?.reason === 'OOMKilled') {
      return {
        code: 'OOM_KILLED',
        message: `${name} container ${cs.name} was killed for using too much memory (OOMKilled)`,
        hint: 'Give the container more memory, or convert with fewer processes (-p).',
        details: []
      };
    }
  }
  for (const cs of containerStatuses(pod)) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason === 'CrashLoopBackOff') {
      const last = cs.lastState?.terminated;
      return {
        code: 'CRASH_LOOP',
        message: `${name} container ${cs.name} keeps crashing (CrashLoopBackOff, ${cs.restartCount ?? 0} restarts${last ? `, last exit code ${last.exitCode}` : ''})`,
        hint: 'Read the container’s last log lines below.',
        details: []
      };
    }
    if (waiting?.reason === 'CreateContainerConfigError' || waiting?.reason === 'CreateContainerError') {
      return {
        code: 'CONTAINER_CONFIG',
        message: `${name} container ${cs.name} cannot start: ${waiting.message ?? waiting.reason}`,
        hint: 'Check the Secrets and ConfigMaps the pod references.',
        details: []
      };
    }
  }
  return undefined;
}

function isRunning(pod: KObj): boolean {
  return pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded';
}

/** The state of a PyTorchJob from its conditions (the latest True one of the terminal or running kinds). */
export type JobPhase = 'Pending' | 'Created' | 'Running' | 'Restarting' | 'Succeeded' | 'Failed';

export function jobPhase(job: KObj | undefined): JobPhase {
  if (!job) return 'Pending';
  if (isTrue(job, 'Succeeded')) return 'Succeeded';
  if (isTrue(job, 'Failed')) return 'Failed';
  if (isTrue(job, 'Restarting')) return 'Restarting';
  if (isTrue(job, 'Running')) return 'Running';
  if (isTrue(job, 'Created')) return 'Created';
  return 'Pending';
}

/** Pod-level reasons a node or the kubelet ends a pod with, none of them the program's own doing. */
const POD_LOST = new Set(['Evicted', 'NodeLost', 'NodeShutdown', 'Shutdown', 'Terminated', 'UnexpectedAdmissionError']);

/**
 * Why a failed pod's run might succeed if run again, or undefined when the failure is the program's own (a
 * traceback, exit 1) or would repeat (OOMKilled: the same memory is given again). A container killed by a signal
 * (exit code ≥ 128) is what the training operator itself counts as retryable under its ExitCode restart policy
 * (kubeflow/training-operator v1.7.0 pkg/util/train/train_util.go:24); an evicted or lost pod says nothing
 * about the program.
 */
export function transientFailure(pod: KObj): string | undefined {
  const st = (pod.status ?? {}) as { phase?: string; reason?: string; message?: string };
  if (st.phase === 'Failed' && st.reason && POD_LOST.has(st.reason))
    return `pod ${pod.metadata.name} was ${st.reason}${st.message ? `: ${st.message}` : ''}`;
  for (const cs of containerStatuses(pod)) {
    const t = cs.state?.terminated;
    if (t && (t.exitCode ?? 0) >= 128 && t.reason !== 'OOMKilled')
      return `pod ${pod.metadata.name} container ${cs.name} was killed by signal ${t.exitCode! - 128} (exit code ${t.exitCode})`;
  }
  return undefined;
}

/** A Failed job's diagnosis: a pod's own reason when one says more, else the job's, marked retryable when transient. */
export function failedJobDiagnosis(job: KObj, pods: readonly KObj[], events: readonly KObj[]): Diagnosis {
  const d = jobFailure(job);
  const pod = pods.map((p) => diagnosePod(p, events)).find((x) => x !== undefined);
  if (pod) return { ...pod, message: `${d.message}: ${pod.message}` };
  const transient = pods.map(transientFailure).find((x) => x !== undefined);
  if (transient) return { ...d, message: `${d.message}: ${transient}`, retryable: true };
  return d;
}

export function jobFailure(job: KObj): Diagnosis {
  const c = condition(job, 'Failed');
  return {
    code: 'JOB_FAILED',
    message: `PyTorchJob ${job.metadata.name} failed${c?.reason ? ` (${c.reason})` : ''}${c?.message ? `: ${c.message}` : ''}`,
    hint: 'Read the converter’s last log lines below; fix the cause and run again with resubmit-failed: true (it deletes the failed job and submits anew).',
    details: []
  };
}

/** Rollout complete: observed the latest spec, every replica updated and available, Available=True. */
export function rolloutComplete(dep: KObj | undefined): boolean {
  if (!dep) return false;
  const want = (dep.spec?.replicas as number | undefined) ?? 1;
  const st = dep.status ?? {};
  return (
    (st.observedGeneration ?? 0) >= (dep.metadata.generation ?? 0) &&
    (st.updatedReplicas ?? 0) === want &&
    (st.availableReplicas ?? 0) === want &&
    (st.replicas ?? want) === want &&
    isTrue(dep, 'Available')
  );
}

export function rolloutStuck(dep: KObj): Diagnosis | undefined {
  const p = condition(dep, 'Progressing');
  if (p?.status === 'False' && p.reason === 'ProgressDeadlineExceeded') {
    return {
      code: 'ROLLOUT_STUCK',
      message: `Deployment ${dep.metadata.name} exceeded its progress deadline: ${p.message ?? ''}`,
      hint: 'The pods did not become ready in time; read the pod diagnosis and logs below.',
      details: []
    };
  }
  return undefined;
}
