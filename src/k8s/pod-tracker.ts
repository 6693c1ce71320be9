/**
 * Every pod matching a selector seen during a stage, with its last known state, including pods deleted on the
 * way (a retry, a timeout or a cancel deletes the job; the clean-pod policy deletes running pods): a listing at
 * the end alone would miss their GPU time. A dropped watch is resumed with a fresh list.
 */
import { POD, isGone, isTransient, type KObj, type KubeApi, type WatchHandle } from './types.js';
import { podEndMs, type PodSeen } from './gpu-usage.js';

/** Watch streams resumed per stage at most (the API server ends a watch every few minutes). */
const MAX_RESUMES = 50;

export interface PodTracker {
  /** Stops watching and returns every pod seen, refreshed by a last list. */
  stop(): Promise<PodSeen[]>;
}

export async function trackPods(
  api: KubeApi,
  namespace: string,
  labelSelector: string,
  now: () => number = Date.now
): Promise<PodTracker> {
  type Entry = { -readonly [K in keyof PodSeen]: PodSeen[K] };
  const seen = new Map<string, Entry>();
  let handle: WatchHandle | undefined;
  let stopped = false;
  let resumes = 0;
  const note = (pod: KObj, deleted = false) => {
    const k = pod.metadata.uid ?? pod.metadata.name;
    const prev = seen.get(k);
    if (prev?.deletedAtMs) return;
    const t = now();
    // when this tracker first saw the pod started and ended: refines the API's whole-second times (gpu-usage.ts)
    seen.set(k, {
      pod,
      ...(prev?.startSeenMs !== undefined || pod.status?.startTime ? { startSeenMs: prev?.startSeenMs ?? t } : {}),
      ...(prev?.endSeenMs !== undefined || podEndMs(pod) !== undefined ? { endSeenMs: prev?.endSeenMs ?? t } : {}),
      ...(deleted ? { deletedAtMs: t } : {})
    });
  };
  const relist = async (): Promise<string> => {
    const { items, resourceVersion } = await api.list(POD, namespace, { labelSelector });
    const present = new Set(items.map((p) => p.metadata.uid ?? p.metadata.name));
    for (const [k, v] of seen) if (!present.has(k) && !v.deletedAtMs) v.deletedAtMs = now();
    for (const p of items) note(p);
    return resourceVersion;
  };
  const watch = async (resourceVersion: string): Promise<void> => {
    handle = await api.watch(
      POD,
      namespace,
      { labelSelector, resourceVersion },
      (type, pod) => {
        if (type === 'ADDED' || type === 'MODIFIED') note(pod);
        else if (type === 'DELETED') note(pod, true);
      },
      (err) => {
        // resume from a fresh list (a bounded number of times; a refused watch is not retried): a failure here
        // only loses precision, the final list in stop() still sees every pod that remains
        if (stopped || resumes >= MAX_RESUMES || (err !== undefined && !isGone(err) && !isTransient(err))) return;
        resumes++;
        void relist()
          .then((rv) => (stopped ? undefined : watch(rv)))
          .catch(() => undefined);
      }
    );
    if (stopped) handle.abort();
  };
  await watch(await relist());
  return {
    async stop() {
      stopped = true;
      handle?.abort();
      await relist().catch(() => undefined);
      return [...seen.values()];
    }
  };
}
