/**
 * Watching a PyTorchJob to its end through the API: the job's conditions, its pods (for the reason a pod cannot
 * run) and the namespace's events (scheduler and mount messages), with the master's log followed live.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { sleepOn } from '../util/retry.js';
import { trainingJobPodSelector } from './arena-objects.js';
import { diagnosePod, failedJobDiagnosis, jobPhase, type Diagnosis, type JobPhase } from './diagnose.js';
import { followLog, readTail, type LogFollower } from './logs.js';

export { readTail };
import { EVENT, POD, PYTORCHJOB, type KObj, type KubeApi } from './types.js';
import { waitFor, type Timers, type Verdict } from './wait.js';

export const MASTER_CONTAINER = 'pytorch';

export const masterPodName = (job: string) => `${job}-master-0`;

export class JobProblem extends Error {
  constructor(readonly diagnosis: Diagnosis) {
    super(diagnosis.message);
    this.name = 'JobProblem';
  }
}

export class JobTimeout extends Error {
  constructor(readonly lastPhase: JobPhase) {
    super(`the job is still ${lastPhase}`);
    this.name = 'JobTimeout';
  }
}

export interface JobWatchOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly name: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly timers?: Timers;
  readonly onPhase?: (phase: JobPhase, job: KObj) => void;
  readonly onLogLine?: (line: string) => void;
  readonly onReconnect?: (why: string) => void;
}

/** Pods of this job instance (a deleted earlier job of the same name may leave pods being collected). */
function ownPods(job: KObj | undefined, pods: readonly KObj[]): KObj[] {
  const uid = job?.metadata.uid;
  return pods.filter((p) => {
    if (p.metadata.deletionTimestamp) return false;
    const owners = (p.metadata.ownerReferences as { uid?: string }[] | undefined) ?? [];
    return !uid || owners.length === 0 || owners.some((o) => o.uid === uid);
  });
}

/**
 * The master's log, followed live once its pod runs (and from the new pod's start after a restart); its last
 * lines are kept for the failure's diagnosis.
 */
class MasterLog {
  private follower?: LogFollower;
  private readonly pod: string;

  constructor(private readonly o: JobWatchOptions) {
    this.pod = masterPodName(o.name);
  }

  start(): void {
    if (this.follower || !this.o.onLogLine) return;
    const { api, namespace } = this.o;
    this.follower = followLog(api, namespace, this.pod, MASTER_CONTAINER, {
      onLine: this.o.onLogLine,
      keep: 50,
      onReconnect: (why) => this.o.onReconnect?.(why),
      ...(this.o.timers ? { sleep: sleepOn(this.o.timers) } : {}),
      finished: async () => {
        const pod = await api.get(POD, namespace, this.pod);
        if (!pod) return true;
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
        const cs = ((pod.status?.containerStatuses as { name: string; state?: { terminated?: object } }[]) ?? []).find(
          (c) => c.name === MASTER_CONTAINER
        );
        return !!cs?.state?.terminated;
      }
    });
  }

  /** The master pod is replaced: the next start() follows the new one from its start. */
  restart(): void {
    void this.follower?.stop();
    this.follower = undefined;
  }

  /** Stops following (after a grace for the last lines) and returns the lines kept. */
  async finish(): Promise<string[]> {
    if (!this.follower) return [];
    // Let the stream deliver the last lines (it ends by itself when the container has terminated); the grace
    // runs on the injected timers (the scenario clock in tests), and never keeps the process alive.
    const grace = new AbortController();
    const wait = this.o.timers
      ? sleepOn(this.o.timers)(LAST_LINES_GRACE_MS, grace.signal)
      : delay(LAST_LINES_GRACE_MS, undefined, { ref: false, signal: grace.signal });
    await Promise.race([this.follower.done, wait.catch(() => undefined)]);
    grace.abort();
    await this.follower.stop();
    return this.follower.tail();
  }
}

const LAST_LINES_GRACE_MS = 2000;

/** The wait's verdict on one snapshot: done (Succeeded), a JobProblem, or keep waiting. */
function jobVerdict(
  o: JobWatchOptions,
  j: KObj | undefined,
  pods: readonly KObj[],
  events: readonly KObj[],
  log: MasterLog
): Verdict<KObj> {
  if (!j)
    return {
      fail: new JobProblem({
        code: 'JOB_DELETED',
        message: `PyTorchJob ${o.name} is gone (deleted by someone else?)`,
        hint: 'Run again to submit it anew.',
        details: []
      })
    };
  const phase = jobPhase(j);
  if (phase === 'Succeeded') return { done: j };
  const mine = ownPods(j, pods);
  // a pod's own reason (OOMKilled, ...) says more than "1 Master replica(s) failed"
  if (phase === 'Failed') return { fail: new JobProblem(failedJobDiagnosis(j, mine, events)) };
  const master = masterPodName(o.name);
  const started = (p: KObj) => ['Running', 'Succeeded', 'Failed'].includes(String(p.status?.phase));
  if (mine.some((p) => p.metadata.name === master && started(p))) log.start();
  for (const pod of mine) {
    const d = diagnosePod(pod, events);
    if (d) return { fail: new JobProblem(d) };
  }
  return undefined;
}

/** Resolves with the succeeded job; rejects with JobProblem (with the log tail), JobTimeout or the abort reason. */
export async function watchJob(o: JobWatchOptions): Promise<{ job: KObj; logTail: string[]; noticedAt: number }> {
  const log = new MasterLog(o);
  let lastPhase: JobPhase = 'Pending';
  try {
    const result = await waitFor<'job' | 'pods' | 'events', KObj>({
      api: o.api,
      sources: {
        job: { type: PYTORCHJOB, namespace: o.namespace, selector: { fieldSelector: `metadata.name=${o.name}` } },
        pods: {
          type: POD,
          namespace: o.namespace,
          // Arena's own labels: the operator's (training-operator or the older pytorch-operator) vary by cluster
          selector: { labelSelector: trainingJobPodSelector(o.name) }
        },
        events: { type: EVENT, namespace: o.namespace }
      },
      check: ({ job, pods, events }) => {
        const j = job.find((x) => x.metadata.name === o.name);
        const phase = jobPhase(j);
        if (j && phase !== lastPhase) {
          lastPhase = phase;
          o.onPhase?.(phase, j);
          if (phase === 'Restarting') log.restart();
        }
        return jobVerdict(o, j, pods, events, log);
      },
      timeoutMs: o.timeoutMs,
      onTimeout: () => new JobTimeout(lastPhase),
      signal: o.signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    return { job: result, logTail: await log.finish(), noticedAt };
  } catch (err) {
    const tail = await log.finish();
    if (err instanceof JobProblem) {
      const diagnosis =
        err.diagnosis.code === 'JOB_FAILED' && !err.diagnosis.retryable
          ? await podReason(o, err.diagnosis)
          : err.diagnosis;
      const logTail =
        tail.length > 0 ? tail : await readTail(o.api, o.namespace, masterPodName(o.name), 20, MASTER_CONTAINER);
      throw new JobProblem({ ...diagnosis, details: [...diagnosis.details, ...logTail.slice(-20)] });
    }
    throw err;
  }
}

/**
 * The job's Failed condition and its pods' statuses arrive on separate watches, so the job may be seen Failed
 * before the pod that says why (OOMKilled, ...). Read the pods and events once more and prefer their reason.
 */
async function podReason(o: JobWatchOptions, jobDiagnosis: Diagnosis): Promise<Diagnosis> {
  try {
    const [job, pods, events] = await Promise.all([
      o.api.get(PYTORCHJOB, o.namespace, o.name),
      o.api.list(POD, o.namespace, { labelSelector: trainingJobPodSelector(o.name) }),
      o.api.list(EVENT, o.namespace, {})
    ]);
    return job ? failedJobDiagnosis(job, ownPods(job, pods.items), events.items) : jobDiagnosis;
  } catch {
    return jobDiagnosis;
  }
}
