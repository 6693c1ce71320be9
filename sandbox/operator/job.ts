/**
 * The Job controller (kube-controller-manager's job controller, Kubernetes 1.34), for NonIndexed and Indexed
 * Jobs: pods per completion index (labels, annotation, hostname, JOB_COMPLETION_INDEX), the lowest free indexes
 * first up to parallelism, per-index backoff and failure counts, podFailurePolicy on exit codes, the status
 * counters and index intervals, and the two-step conditions (SuccessCriteriaMet → Complete, FailureTarget →
 * Failed once no pod is terminating). Citations: README.md in this folder.
 */
import type { KubeObject, ResourceType } from '../kube/contract.js';
import { PODS, isGone, now, objKey, patchStatus, safeDelete } from './common.js';
import type { OperatorContext } from './context.js';
import { formatIndexes, parseIndexes } from './indexes.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export const JOBS: ResourceType = { group: 'batch', version: 'v1', plural: 'jobs' };

export const INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const FAILURE_COUNT_KEY = 'batch.kubernetes.io/job-index-failure-count';
const MAX_GENERATED_NAME = 58;
/** Pod failure back-off: 10 s doubling per failure up to 10 min (pkg/controller/job/backoff_utils.go). */
const BACKOFF_BASE = 10;
const BACKOFF_MAX = 600;

interface JobState {
  /** Pods whose end was counted (succeeded, failed, or ignored by the pod failure policy). */
  counted: Set<string>;
  succeeded: number;
  failed: number;
  completed: Set<number>;
  failedIndexes: Set<number>;
  failuresPerIndex: Map<number, number>;
  /** Real-time ms before which no replacement is created, per index (-1 for a NonIndexed Job). */
  notBefore: Map<number, number>;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  /** A FailJob rule's message, once one matched. */
  failJobMessage?: string;
}

/** The Job a pod belongs to (its controller ownerReference), if any. */
export function batchJobOfPod(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.kind === 'Job' && r.apiVersion === 'batch/v1' && r.controller)
    ?.name;
}

/** `<job>-<i>-`, cut to 58 characters keeping the `-<i>-` ending (job_controller.go podGenerateNameWithIndex). */
export function podGenerateName(job: string, index: number): string {
  const suffix = `-${index}-`;
  const full = `${job}${suffix}`;
  return full.length > MAX_GENERATED_NAME ? job.slice(0, MAX_GENERATED_NAME - suffix.length) + suffix : full;
}

function indexOf(pod: KubeObject): number | undefined {
  const raw = pod.metadata.annotations?.[INDEX_KEY];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

function finished(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function condTrue(job: KubeObject, type: string): any {
  return (job.status?.conditions ?? []).find((c: any) => c.type === type && c.status === 'True');
}

function podReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** The first podFailurePolicy rule a failed pod matches: its action and, for FailJob, the message. */
export function matchPodFailurePolicy(
  policy: any,
  pod: KubeObject
): { action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count'; message?: string } | undefined {
  const statuses: any[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const rules: any[] = policy?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    if (rule.onExitCodes) {
      const { containerName, operator, values } = rule.onExitCodes;
      for (const cs of statuses) {
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0 || (containerName && cs.name !== containerName)) continue;
        const inValues = (values as number[]).includes(code);
        if (operator === 'In' ? inValues : !inValues) {
          return {
            action: rule.action,
            message: `Container ${cs.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${code} matching ${rule.action} rule at index ${i}`
          };
        }
      }
    } else if (rule.onPodConditions) {
      const conds: any[] = pod.status?.conditions ?? [];
      const hit = (rule.onPodConditions as any[]).find((p) =>
        conds.some((c) => c.type === p.type && c.status === (p.status ?? 'True'))
      );
      if (hit) {
        return {
          action: rule.action,
          message: `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${hit.type} matching ${rule.action} rule at index ${i}`
        };
      }
    }
  }
  return undefined;
}

export class JobController {
  private readonly states = new Map<string, JobState>();
  private stopped = false;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly enqueue: (ns: string, name: string) => void
  ) {}

  stop(): void {
    this.stopped = true;
    for (const s of this.states.values()) clearTimeout(s.timer);
    this.states.clear();
  }

  deleted(job: KubeObject): void {
    const s = this.states.get(job.metadata.uid!);
    clearTimeout(s?.timer);
    this.states.delete(job.metadata.uid!);
  }

  private state(job: KubeObject): JobState {
    let s = this.states.get(job.metadata.uid!);
    if (!s) {
      const completions = job.spec?.completions ?? 0;
      s = {
        counted: new Set(),
        succeeded: job.status?.succeeded ?? 0,
        failed: job.status?.failed ?? 0,
        completed: parseIndexes(job.status?.completedIndexes, completions),
        failedIndexes: parseIndexes(job.status?.failedIndexes, completions),
        failuresPerIndex: new Map(),
        notBefore: new Map()
      };
      this.states.set(job.metadata.uid!, s);
    }
    return s;
  }

  /** Re-sync `job` at real time `at` (a back-off or the active deadline ending). */
  private wakeAt(job: KubeObject, s: JobState, at: number): void {
    // one timer per Job, for the earliest wake: that re-sync schedules the later ones again
    if (s.timer && s.timerAt !== undefined && s.timerAt <= at) return;
    clearTimeout(s.timer);
    s.timerAt = at;
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        s.timerAt = undefined;
        if (!this.stopped) this.enqueue(job.metadata.namespace ?? 'default', job.metadata.name);
      },
      Math.max(0, at - Date.now())
    );
  }

  private event(job: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.store.recordEvent(job, type, reason, message);
  }

  reconcile(ns: string, name: string): void {
    const job = this.ctx.store.get(JOBS, ns, name);
    if (!job || this.stopped) return;
    if (condTrue(job, 'Complete') || condTrue(job, 'Failed')) return;
    const spec = job.spec ?? {};
    const s = this.state(job);
    const indexed = spec.completionMode === 'Indexed';
    const completions: number | undefined = spec.completions ?? undefined;
    const perIndex = indexed && spec.backoffLimitPerIndex != null;
    const onlyFailed = spec.podReplacementPolicy === 'Failed';
    const pods = this.ctx.store
      .list(PODS, ns)
      .items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid && r.controller));

    const interim = condTrue(job, 'SuccessCriteriaMet') ?? condTrue(job, 'FailureTarget');
    // count each pod's end once
    for (const pod of pods) {
      const uid = pod.metadata.uid!;
      if (s.counted.has(uid)) continue;
      const ix = indexOf(pod);
      if (pod.status?.phase === 'Succeeded') {
        s.counted.add(uid);
        if (!indexed) s.succeeded++;
        else if (ix !== undefined && ix < (completions ?? 0) && !s.failedIndexes.has(ix)) s.completed.add(ix);
        continue;
      }
      // a pod being deleted before it succeeded counts as failed, unless only Failed pods are replaced
      const failed = pod.status?.phase === 'Failed' || (!onlyFailed && !!pod.metadata.deletionTimestamp);
      if (!failed) continue;
      s.counted.add(uid);
      if (interim) {
        s.failed++;
        continue;
      }
      const match = spec.podFailurePolicy ? matchPodFailurePolicy(spec.podFailurePolicy, pod) : undefined;
      if (match?.action === 'Ignore') continue;
      s.failed++;
      if (match?.action === 'FailJob') s.failJobMessage ??= match.message;
      const key = indexed && ix !== undefined ? ix : -1;
      const failures = (s.failuresPerIndex.get(key) ?? 0) + 1;
      s.failuresPerIndex.set(key, failures);
      if (perIndex && ix !== undefined && (match?.action === 'FailIndex' || failures > spec.backoffLimitPerIndex)) {
        s.failedIndexes.add(ix);
      }
      const n = perIndex ? failures : s.failed;
      const delay = Math.min(BACKOFF_BASE * 2 ** (n - 1), BACKOFF_MAX);
      s.notBefore.set(key, Date.now() + this.ctx.clock.realMs(delay));
    }

    const terminating = pods.filter((p) => p.metadata.deletionTimestamp && !finished(p));
    let active = pods.filter((p) => !p.metadata.deletionTimestamp && !finished(p));
    const succeeded = indexed ? s.completed.size : s.succeeded;
    const status: any = structuredClone(job.status ?? {});
    status.startTime ??= now();

    // the end, in the order syncJob checks it
    let target: { type: 'SuccessCriteriaMet' | 'FailureTarget'; reason: string; message: string } | undefined;
    if (interim) target = { type: interim.type, reason: interim.reason, message: interim.message };
    else if (s.failJobMessage)
      target = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: s.failJobMessage };
    else if (s.failed > spec.backoffLimit || this.pastBackoffLimitOnFailure(job, active)) {
      target = {
        type: 'FailureTarget',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit'
      };
    } else if (this.pastActiveDeadline(job, status, s)) {
      target = {
        type: 'FailureTarget',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline'
      };
    } else if (perIndex && spec.maxFailedIndexes != null && s.failedIndexes.size > spec.maxFailedIndexes) {
      target = {
        type: 'FailureTarget',
        reason: 'MaxFailedIndexesExceeded',
        message: 'Job has exceeded the specified maximal number of failed indexes'
      };
    } else if (perIndex && s.failedIndexes.size > 0 && s.failedIndexes.size + s.completed.size >= completions!) {
      target = { type: 'FailureTarget', reason: 'FailedIndexes', message: 'Job has failed indexes' };
    }

    if (target) {
      for (const p of active) this.deletePod(job, p);
      terminating.push(...active);
      active = [];
    } else {
      if (!job.metadata.deletionTimestamp) active = this.manageJob(job, s, active, terminating, succeeded);
      const done = completions == null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
      if (done && active.length === 0) {
        target = {
          type: 'SuccessCriteriaMet',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods'
        };
      }
    }

    status.active = active.length;
    status.ready = active.filter(podReady).length;
    status.terminating = terminating.length;
    status.succeeded = succeeded;
    status.failed = s.failed;
    if (indexed) {
      if (s.completed.size) status.completedIndexes = formatIndexes(s.completed);
      else delete status.completedIndexes;
      if (perIndex) status.failedIndexes = formatIndexes(s.failedIndexes);
    }
    status.uncountedTerminatedPods ??= {};
    const conditions: any[] = (status.conditions ??= []);
    const stamp = now();
    if (target && !conditions.some((c) => c.type === target!.type)) {
      conditions.push({
        type: target.type,
        status: 'True',
        lastProbeTime: stamp,
        lastTransitionTime: stamp,
        reason: target.reason,
        message: target.message
      });
    }
    // the terminal condition waits until no pod of the Job is terminating (delayTerminalCondition)
    if (target && terminating.length === 0 && active.length === 0) {
      const terminal = target.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      conditions.push({
        type: terminal,
        status: 'True',
        lastProbeTime: stamp,
        lastTransitionTime: stamp,
        reason: target.reason,
        message: target.message
      });
      if (terminal === 'Complete') {
        status.completionTime = stamp;
        this.event(job, 'Normal', 'Completed', 'Job completed');
      } else {
        this.event(job, 'Warning', target.reason, target.message);
      }
      clearTimeout(s.timer);
    }
    patchStatus(this.ctx.store, JOBS, ns, name, (st) => {
      Object.keys(st).forEach((k) => delete st[k]);
      Object.assign(st, status);
    });
  }

  /** Under OnFailure, the summed restarts of the active pods reach backoffLimit (#pastBackoffLimitOnFailure). */
  private pastBackoffLimitOnFailure(job: KubeObject, active: KubeObject[]): boolean {
    if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
    const restarts = active.reduce(
      (n, p) =>
        n +
        [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce(
          (m: number, c: any) => m + (c.restartCount ?? 0),
          0
        ),
      0
    );
    const limit = job.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  /** activeDeadlineSeconds (scenario seconds here) counted from startTime; schedules a re-sync at the deadline. */
  private pastActiveDeadline(job: KubeObject, status: any, s: JobState): boolean {
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline == null) return false;
    const started = Date.parse(status.startTime);
    const end = started + this.ctx.clock.realMs(deadline);
    if (Date.now() >= end) return true;
    this.wakeAt(job, s, end);
    return false;
  }

  /** manageJob: fill the lowest free indexes up to min(parallelism, remaining), or trim extra pods. */
  private manageJob(
    job: KubeObject,
    s: JobState,
    active: KubeObject[],
    terminating: KubeObject[],
    succeeded: number
  ): KubeObject[] {
    const spec = job.spec;
    const indexed = spec.completionMode === 'Indexed';
    const completions: number | undefined = spec.completions ?? undefined;
    let want: number = spec.parallelism ?? 1;
    if (completions != null) want = Math.min(want, completions - succeeded - (indexed ? s.failedIndexes.size : 0));
    if (spec.suspend) want = 0;
    want = Math.max(0, want);
    const keep = [...active];
    if (keep.length > want) {
      // the highest indexes go first
      keep.sort((a, b) => (indexOf(b) ?? 0) - (indexOf(a) ?? 0));
      for (const p of keep.splice(0, keep.length - want)) {
        this.deletePod(job, p);
        terminating.push(p);
      }
      return keep;
    }
    let missing = want - keep.length;
    if (missing <= 0) return keep;
    const nowMs = Date.now();
    let earliest = Infinity;
    const ready = (key: number) => {
      const at = s.notBefore.get(key) ?? 0;
      if (at <= nowMs) return true;
      earliest = Math.min(earliest, at);
      return false;
    };
    if (indexed) {
      const busy = new Set(keep.map(indexOf));
      // with podReplacementPolicy Failed, a terminating pod still holds its index
      if (spec.podReplacementPolicy === 'Failed') for (const p of terminating) busy.add(indexOf(p));
      for (let i = 0; i < completions! && missing > 0; i++) {
        if (s.completed.has(i) || s.failedIndexes.has(i) || busy.has(i)) continue;
        if (!ready(i)) continue;
        const pod = this.createPod(job, s, i);
        if (pod) keep.push(pod);
        missing--;
      }
    } else if (ready(-1)) {
      for (; missing > 0; missing--) {
        const pod = this.createPod(job, s, undefined);
        if (pod) keep.push(pod);
      }
    }
    if (earliest !== Infinity) this.wakeAt(job, s, earliest);
    return keep;
  }

  private createPod(job: KubeObject, s: JobState, index: number | undefined): KubeObject | undefined {
    const tpl = structuredClone(job.spec.template ?? {});
    const meta = tpl.metadata ?? {};
    const labels: Record<string, string> = { ...(meta.labels ?? {}) };
    const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
    const podSpec = tpl.spec ?? {};
    if (index !== undefined) {
      annotations[INDEX_KEY] = String(index);
      labels[INDEX_KEY] = String(index);
      if (job.spec.backoffLimitPerIndex != null)
        annotations[FAILURE_COUNT_KEY] = String(s.failuresPerIndex.get(index) ?? 0);
      podSpec.hostname ||= `${job.metadata.name}-${index}`;
      for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
        const env: any[] = (c.env ??= []);
        if (env.some((e) => e.name === 'JOB_COMPLETION_INDEX')) continue;
        env.push({
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${INDEX_KEY}']` } }
        });
      }
    }
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: '',
        generateName: index !== undefined ? podGenerateName(job.metadata.name, index) : `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels,
        annotations,
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true
          }
        ]
      },
      spec: podSpec
    };
    delete (pod.metadata as any).name;
    try {
      const created = this.ctx.store.create(PODS, pod);
      this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return created;
    } catch (err) {
      this.event(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      return undefined;
    }
  }

  private deletePod(job: KubeObject, pod: KubeObject): void {
    try {
      safeDelete(this.ctx.store, PODS, pod.metadata.namespace, pod.metadata.name);
      this.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      if (!isGone(err)) this.ctx.reportError(`job ${objKey(job)} deleting pod ${pod.metadata.name}`, err);
    }
  }
}
