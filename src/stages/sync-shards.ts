/**
 * Cluster-mode sync, the pure parts: splitting the selected files into shards balanced by bytes, the plan a shard
 * pod reads (a ConfigMap key: file lists are data, not secrets), and the progress lines a pod prints and the
 * runner parses from its log.
 *
 * Why progress travels in log lines: the runner already follows pods/log (it needs the log tail for a failed
 * shard's reason), so the lines cost no extra request, no extra permission and leave nothing to clean up; a
 * per-shard progress object in OSS would add a PUT per update and objects a cancelled run must delete.
 */
import type { HubFile } from '../hf/client.js';

/**
 * `files` in at most `k` shards (none empty), balanced by bytes: largest first, each onto the lightest shard so
 * far (ties: the lowest index). The heaviest shard then holds at most total/k + the largest file (the greedy
 * list-scheduling bound). Deterministic: the same listing always gives the same shards, so a re-run's pod for
 * index i finds the uploads that index left.
 */
export function planShards<F extends { readonly path: string; readonly size: number }>(
  files: readonly F[],
  k: number
): F[][] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`shard count must be a positive integer, got ${k}`);
  const n = Math.min(k, files.length);
  const shards: { files: F[]; bytes: number }[] = Array.from({ length: n }, () => ({ files: [], bytes: 0 }));
  const order = [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of order) {
    let lightest = 0;
    for (let i = 1; i < n; i++) if (shards[i].bytes < shards[lightest].bytes) lightest = i;
    shards[lightest].files.push(f);
    shards[lightest].bytes += f.size;
  }
  return shards.map((s) => s.files);
}

/** What every shard pod of one sync reads (ConfigMap key `plan.json`); credentials come from the Secret. */
export interface ShardPlan {
  readonly version: 1;
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  /** The model's DNS label and the bucket prefix: the object keys are `hfPrefix` of these, as in runner mode. */
  readonly modelName: string;
  readonly ossPrefix: string;
  readonly bucket: string;
  readonly region: string;
  /** The endpoints pods use: the OSS internal endpoint, the hub or its mirror. */
  readonly ossEndpoint: string;
  readonly hubEndpoint: string;
  readonly signatureV4: boolean;
  readonly sync: {
    readonly partSizeBytes: number;
    readonly partsInFlight: number;
    readonly filesInParallel: number;
    readonly retries: number;
  };
  readonly shards: readonly (readonly HubFile[])[];
}

export const PLAN_KEY = 'plan.json';
/** The env names a pod reads: the plan (from the ConfigMap) and the credentials (from the Secret, `envFrom`). */
export const SHARD_ENV = {
  plan: 'ARENA_FT_SYNC_PLAN',
  index: 'JOB_COMPLETION_INDEX',
  ossKeyId: 'OSS_ACCESS_KEY_ID',
  ossKeySecret: 'OSS_ACCESS_KEY_SECRET',
  ossToken: 'OSS_SECURITY_TOKEN',
  hfToken: 'HF_TOKEN'
} as const;

/** The plan as the pod reads it back; an error names what is wrong (a pod of another version, a cut value). */
export function parseShardPlan(text: string | undefined): ShardPlan {
  if (!text) throw new Error(`${SHARD_ENV.plan} is empty: the pod must get the plan from its ConfigMap`);
  let p: ShardPlan;
  try {
    p = JSON.parse(text) as ShardPlan;
  } catch (err) {
    throw new Error(`${SHARD_ENV.plan} is not JSON (${(err as Error).message})`, { cause: err });
  }
  const ok =
    p?.version === 1 &&
    typeof p.repo === 'string' &&
    /^[0-9a-f]{40}$/.test(p.commit) &&
    Array.isArray(p.shards) &&
    p.shards.every(
      (s) => Array.isArray(s) && s.every((f) => typeof f.path === 'string' && Number.isSafeInteger(f.size))
    );
  if (!ok) throw new Error(`${SHARD_ENV.plan} is not a version 1 shard plan`);
  return p;
}

export function shardIndex(value: string | undefined, plan: ShardPlan): number {
  const i = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || i >= plan.shards.length) {
    throw new Error(
      `${SHARD_ENV.index}=${value ?? '(unset)'} is not a shard of this plan (0 to ${plan.shards.length - 1})`
    );
  }
  return i;
}

/** One progress line of a shard pod: `{"arenaFtShard":1,...}` on stdout, one JSON object per line. */
export interface ShardProgress {
  readonly shard: number;
  readonly event: 'start' | 'progress' | 'file' | 'done' | 'failed';
  readonly files: number;
  readonly filesDone: number;
  readonly bytes: number;
  readonly bytesDone: number;
  /** The file this line is about (progress, file). */
  readonly file?: string;
  /** How the file got into OSS, and the bytes sent for it (file). */
  readonly action?: 'kept' | 'copied' | 'sent';
  readonly sentBytes?: number;
  /** Why the shard failed (failed). */
  readonly reason?: string;
}

const MARK = 'arenaFtShard';

export function formatProgressLine(p: ShardProgress): string {
  return JSON.stringify({ [MARK]: 1, ...p });
}

/** The progress in a log line, or undefined for any other line (the pod's human-readable log). */
export function parseProgressLine(line: string): ShardProgress | undefined {
  if (!line.startsWith(`{"${MARK}":1`)) return undefined;
  try {
    const o = JSON.parse(line) as ShardProgress & { [MARK]?: number };
    if (!Number.isInteger(o.shard) || typeof o.event !== 'string') return undefined;
    return o;
  } catch {
    return undefined;
  }
}
