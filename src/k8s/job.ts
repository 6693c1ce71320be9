/**
 * Watching a PyTorchJob to its end through the API: the job's conditions, its pods (for the reason a pod cannot
 * run) and the namespace's events (scheduler and mount messages), with the master's log followed live.
 */
import { sleepOn } from '../util/retry.js';
import { trainingJobPodSelector } from './arena-objects.js';
import { diagnosePod, failedJobDiagnosis, jobPhase, type Diagnosis, type JobPhase } from './diagnose.js';
import { followLog, readTail, type LogFollower } from './logs.js';

export { readTail };
import { EVENT, POD, PYTORCHJOB, type KObj, type KubeApi } from './types.js';
import { waitFor, type Timers } from './wait.js';

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

/** Resolves with the succeeded job; rejects with JobProblem (with the log tail), JobTimeout or the abort reason. */
export async function watchJob(o: JobWatchOptions): Promise<{ job: KObj; logTail: string[]; noticedAt: number }> {
  const master = masterPodName(o.name);
  let follower: LogFollower | undefined;
  let lastPhase: JobPhase = 'Pending';
  const startFollower = () => {
    if (follower || !o.onLogLine) return;
    follower = followLog(o.api, o.namespace, master, MASTER_CONTAINER, {
      onLine: o.onLogLine,
      keep: 50,
      onReconnect: (why) => o.onReconnect?.(why),
      ...(o.timers ? { sleep: sleepOn(o.timers) } : {}),
      finished: async () => {
        const pod = await o.api.get(POD, o.namespace, master);
        if (!pod) return true;
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
        const cs = ((pod.status?.containerStatuses as { name: string; state?: { terminated?: object } }[]) ?? []).find(
          (c) => c.name === MASTER_CONTAINER
        );
        return !!cs?.state?.terminated;
      }
    });
  };
  const finishLogs = async () => {
    if (!follower) return [];
    // Let the stream deliver the last lines (it ends by itself when the container has terminated).
    await Promise.race([follower.done, new Promise((r) => setTimeout(r, 2000).unref())]);
    await follower.stop();
    return follower.tail();
  };
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
          if (phase === 'Restarting' && follower) {
            // the master pod is replaced: follow the new one from its start
            void follower.stop();
            follower = undefined;
          }
        }
        if (!j)
          return {
            fail: new JobProblem({
              code: 'JOB_DELETED',
              message: `PyTorchJob ${o.name} is gone (deleted by someone else?)`,
              hint: 'Run again to submit it anew.',
              details: []
            })
          };
        if (phase === 'Succeeded') return { done: j };
        const mine = ownPods(j, pods);
        // a pod's own reason (OOMKilled, ...) says more than "1 Master replica(s) failed"
        if (phase === 'Failed') return { fail: new JobProblem(failedJobDiagnosis(j, mine, events)) };
        if (
          mine.some(
            (p) =>
              p.metadata.name === master &&
              (p.status?.phase === 'Running' || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
          )
        )
          startFollower();
        for (const pod of mine) {
          const d = diagnosePod(pod, events);
          if (d) return { fail: new JobProblem(d) };
        }
        return undefined;
      },
      timeoutMs: o.timeoutMs,
      onTimeout: () => new JobTimeout(lastPhase),
      signal: o.signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    return { job: result, logTail: await finishLogs(), noticedAt };
  } catch (err) {
    const tail = await finishLogs();
    if (err instanceof JobProblem) {
      const diagnosis =
        err.diagnosis.code === 'JOB_FAILED' && !err.diagnosis.retryable
          ? await podReason(o, err.diagnosis)
          : err.diagnosis;
      const logTail = tail.length > 0 ? tail : await readTail(o.api, o.namespace, master, 20, MASTER_CONTAINER);
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
