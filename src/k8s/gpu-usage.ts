/**
 * GPU time from pods: how many GPUs a pod holds (`nvidia.com/gpu` in its containers' limits or requests) and for
 * how long (from `status.startTime` to its containers' last `terminated.finishedAt`, to the moment it was seen
 * deleted, or to the end of the window while it still runs), clipped to a stage's window. Pure.
 */
import type { KObj } from './types.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';

/** GPUs the pod's containers ask for: limits, else requests (for an extended resource both must be equal). */
export function podGpus(pod: KObj): number {
  const containers = (pod.spec?.containers ?? []) as { resources?: { limits?: object; requests?: object } }[];
  let n = 0;
  for (const c of containers) {
    const r = c.resources ?? {};
    const v =
      (r.limits as Record<string, unknown> | undefined)?.[GPU_RESOURCE] ??
      (r.requests as Record<string, unknown> | undefined)?.[GPU_RESOURCE];
    const g = Number(v ?? 0);
    if (Number.isFinite(g) && g > 0) n += g;
  }
  return n;
}

/** Pods in these phases hold nothing on their node. */
export function podFinished(pod: KObj): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** When the pod stopped holding its GPUs, if it has: the last container's finishedAt once every one terminated. */
export function podEndMs(pod: KObj): number | undefined {
  const statuses = (pod.status?.containerStatuses ?? []) as { state?: { terminated?: { finishedAt?: string } } }[];
  const ends = statuses.map((s) => Date.parse(String(s.state?.terminated?.finishedAt ?? '')));
  if (statuses.length > 0 && ends.every(Number.isFinite)) return Math.max(...ends);
  return undefined;
}

export interface PodSeen {
  readonly pod: KObj;
  /** When the pod was seen deleted (its containers were killed then), if it was. */
  readonly deletedAtMs?: number;
  /** When a watcher first saw it started / ended (milliseconds; the API's times are whole seconds). */
  readonly startSeenMs?: number;
  readonly endSeenMs?: number;
}

/**
 * The API writes times in whole seconds: the true moment lies in [t, t + 1 s). A moment a watcher saw inside
 * that second is the finer figure (a short pod would otherwise measure 0 s); one outside it is not about the
 * same event and is ignored.
 */
export function refine(apiMs: number, seenMs: number | undefined): number {
  return seenMs !== undefined && seenMs >= apiMs && seenMs < apiMs + 1000 ? seenMs : apiMs;
}

/** GPU-seconds of one pod inside [fromMs, toMs]. */
export function podGpuSeconds(seen: PodSeen, fromMs: number, toMs: number): number {
  const gpus = podGpus(seen.pod);
  const apiStart = Date.parse(String(seen.pod.status?.startTime ?? ''));
  if (gpus === 0 || !Number.isFinite(apiStart)) return 0; // never started: no GPU was bound to a running container
  const start = refine(apiStart, seen.startSeenMs);
  const apiEnd = podEndMs(seen.pod);
  const ended = apiEnd === undefined ? undefined : refine(apiEnd, seen.endSeenMs);
  const end = Math.min(ended ?? seen.deletedAtMs ?? toMs, seen.deletedAtMs ?? toMs, toMs);
  const from = Math.max(start, fromMs);
  return end > from ? (gpus * (end - from)) / 1000 : 0;
}

/** GPU-hours of these pods inside [fromMs, toMs]. */
export function gpuHours(pods: readonly PodSeen[], fromMs: number, toMs: number): number {
  return pods.reduce((sum, p) => sum + podGpuSeconds(p, fromMs, toMs), 0) / 3600;
}
