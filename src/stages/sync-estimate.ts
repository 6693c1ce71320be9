/**
 * How long a sync would take on this runner and in the cluster, on paper (issue 17, points 1 and 6): pure
 * arithmetic over the file sizes, the sync inputs and a link model, with every figure it assumes named below and
 * where it comes from. `sync-mode: auto` picks by it (src/stages/sync-mode.ts); the README's estimate table is
 * rendered from it (`estimateTable`, kept equal by test/unit/sync-estimate.test.ts).
 *
 * The model, per machine (the runner, or one shard pod): `partsInFlight` slots, each moving one part from the hub
 * to OSS. A part streams into its upload as it downloads, so a slot moves min(down, up) bytes per second
 * (`slotRate`); the machine moves min(slots used × slot rate, its link caps). Each file also costs a few
 * round trips (`ROUND_TRIPS_PER_FILE`), `filesInParallel` at a time. The cluster runs the shards `planShards`
 * makes, `parallelism` pods at a time in index order, each paying `POD_START_SECONDS`, sharing the links' caps;
 * the runner then checks every object with a HEAD. What both modes share (resolving the revision, listing, the
 * manifest) is left out: it does not change the choice.
 */
import { planShards } from './sync-shards.js';

const MB = 1e6;
const Gbit = 1e9 / 8;

/** One direction of a machine's network path to a service. Rates in bytes per second. */
export interface Link {
  /** What one TCP connection gets. 0: the service cannot be reached from there. */
  readonly perConnection: number;
  /** What all connections of every machine on this side get together (a service or account cap). */
  readonly aggregate: number;
  /** One request's round trip, seconds. */
  readonly rttSeconds: number;
}

/** Where a machine downloads from and uploads to, and its own network card. */
export interface Side {
  readonly hub: Link;
  readonly oss: Link;
  /** One machine's (one pod's) own cap, bytes per second. */
  readonly nic: number;
}

export interface EstimateInput {
  readonly files: readonly { readonly path: string; readonly size: number }[];
  readonly partSizeBytes: number;
  readonly partsInFlight: number;
  readonly filesInParallel: number;
  readonly shards: number;
  /** Pods at once (the resolved `sync-parallelism`: 0 already means all shards). */
  readonly parallelism: number;
  readonly runner: Side;
  readonly cluster: Side & {
    /** The runner's checks of every object after the Job (HEADs to OSS from the runner). */
    readonly runnerOss: Link;
  };
  /** Seconds from creating the Job to a pod moving bytes. */
  readonly podStartSeconds: number;
}

export interface Estimate {
  /** Seconds; Infinity when a side cannot reach a service. */
  readonly runnerSeconds: number;
  readonly clusterSeconds: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The assumptions. Measured or published figures are cited; the rest say "assumed" and why the figure is safe.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Runner → huggingface.co (its CDN) from a cloud VM outside China, one connection: ~40 MB/s, a plain one-stream
 * download as users report it (hiyouga/LlamaFactory #6750, in /work/shared/reference/users-ask.md).
 */
export const HUB_DIRECT_PER_CONNECTION = 40 * MB;
/**
 * A mirror (hf-mirror.com) from mainland China, one connection: ~10 MB/s (padeoe/hf-mirror-site #48: a 300 Mbit/s
 * line reaching 10 MB/s; the maintainer: no limit on the mirror's side). No aggregate cap is published: each
 * pod's own card is the cap.
 */
export const HUB_MIRROR_PER_CONNECTION = 10 * MB;
/**
 * OSS's public endpoint across the Pacific (a runner in the US, the bucket in cn-beijing), one connection: 5 MB/s,
 * the low end of issue 17's "a few MB/s to tens of MB/s" for one TCP stream. No public figure exists
 * (users-ask.md: none found for OSS from GitHub-hosted runners).
 */
export const OSS_CROSS_BORDER_PER_CONNECTION = 5 * MB;
/** OSS's public endpoint from inside mainland China, another region, one connection: assumed 20 MB/s. */
export const OSS_PUBLIC_PER_CONNECTION = 20 * MB;
/**
 * OSS's internal endpoint from a pod in the bucket's region, one connection: assumed 100 MB/s; the pod's card
 * (`POD_NIC`) binds first with a few connections.
 */
export const OSS_INTERNAL_PER_CONNECTION = 100 * MB;
/**
 * An account's OSS upload cap in cn-beijing: 20 Gbit/s over internal and public endpoints, of which at most
 * 10 Gbit/s public (OSS "Limits and performance metrics", Bandwidth table).
 */
export const OSS_UPLOAD_CAP = 20 * Gbit;
export const OSS_PUBLIC_UPLOAD_CAP = 10 * Gbit;
/**
 * A GitHub-hosted runner's own card: ~50 MB/s, what hosted runners measured downloading a cache from Azure
 * storage next to them (actions/cache #928: 50 MB/s hosted, 3.5 MB/s on a self-hosted runner).
 */
export const RUNNER_NIC = 50 * MB;
/** A sync pod's share of its node's card: assumed 1 Gbit/s (ECS nodes have more; the pod shares it). */
export const POD_NIC = 1 * Gbit;
/** Round trips, seconds: US ↔ cn-beijing assumed 0.2; mainland ↔ mirror 0.05; within a region 0.005. */
export const RTT_CROSS_BORDER = 0.2;
export const RTT_DOMESTIC = 0.05;
export const RTT_IN_REGION = 0.005;
/** Requests a file costs besides its bytes: the skip check (HEAD), the hub's resolve, initiate and complete. */
export const ROUND_TRIPS_PER_FILE = 4;
/** HEADs in flight when the runner checks every object after the Job (src/stages/sync-cluster.ts). */
export const VERIFY_HEADS_IN_PARALLEL = 16;
/**
 * Job created → a pod moving bytes: scheduling, pulling the sync image (node:24-slim and the bundle, from a
 * registry in the region) and Node's start: assumed 60 s, generous so the cluster is not picked for small repos.
 */
export const POD_START_SECONDS = 60;
/** GitHub-hosted runners stop a job after 6 hours (issue 17; GitHub's usage limits). */
export const GITHUB_JOB_LIMIT_SECONDS = 6 * 3600;

/** The links of each place a runner can be, relative to a bucket in mainland China. */
export const RUNNER_SIDES = {
  /** Outside mainland China, e.g. a GitHub-hosted runner (Azure, US or EU). */
  overseas: {
    hub: { perConnection: HUB_DIRECT_PER_CONNECTION, aggregate: Infinity, rttSeconds: RTT_DOMESTIC },
    oss: {
      perConnection: OSS_CROSS_BORDER_PER_CONNECTION,
      aggregate: OSS_PUBLIC_UPLOAD_CAP,
      rttSeconds: RTT_CROSS_BORDER
    },
    nic: RUNNER_NIC
  },
  /** In mainland China, not in the bucket's region: the hub through a mirror, OSS's public endpoint. */
  china: {
    hub: { perConnection: HUB_MIRROR_PER_CONNECTION, aggregate: Infinity, rttSeconds: RTT_DOMESTIC },
    oss: { perConnection: OSS_PUBLIC_PER_CONNECTION, aggregate: OSS_PUBLIC_UPLOAD_CAP, rttSeconds: RTT_DOMESTIC },
    nic: RUNNER_NIC
  },
  /** In the bucket's region (e.g. an ECS instance): the same links as a pod, one machine. */
  'in-region': {
    hub: { perConnection: HUB_MIRROR_PER_CONNECTION, aggregate: Infinity, rttSeconds: RTT_DOMESTIC },
    oss: { perConnection: OSS_INTERNAL_PER_CONNECTION, aggregate: OSS_UPLOAD_CAP, rttSeconds: RTT_IN_REGION },
    nic: POD_NIC
  }
} as const satisfies Record<string, Side>;
export type RunnerPlace = keyof typeof RUNNER_SIDES;

/** A pod in the bucket's region: the hub through a mirror, OSS through its internal endpoint. */
export const CLUSTER_SIDE: Side = RUNNER_SIDES['in-region'];

// ---------------------------------------------------------------------------------------------------------------
// The arithmetic.
// ---------------------------------------------------------------------------------------------------------------

/**
 * What one slot moves per second, hub → OSS. Each part streams into its UploadPart while its ranged GET brings it
 * (src/oss/upload.ts `streamPart`), so a slot runs at the slower of its two connections. (Before, a part was
 * downloaded whole, then uploaded: 1/(1/down + 1/up), c/2 on two links of c; the bench row "ranged sync … share
 * of 8c" measured 0.42 × 8c then.)
 */
export function slotRate(hub: Link, oss: Link): number {
  if (hub.perConnection <= 0 || oss.perConnection <= 0) return 0;
  return Math.min(hub.perConnection, oss.perConnection);
}

interface MachineRun {
  readonly files: readonly { readonly size: number }[];
  readonly partSizeBytes: number;
  readonly partsInFlight: number;
  readonly filesInParallel: number;
  readonly side: Side;
  /** The share of the links' aggregate caps this machine gets (1 / machines at once). */
  readonly share: number;
}

/** Seconds one machine takes to sync its files (Infinity when a link is unreachable). */
export function machineSeconds(m: MachineRun): number {
  const bytes = m.files.reduce((s, f) => s + f.size, 0);
  if (m.files.length === 0) return 0;
  const rate = slotRate(m.side.hub, m.side.oss);
  if (rate === 0) return Infinity;
  // parts available at once: those of the `filesInParallel` largest files, at least one per file in flight
  const parts = [...m.files]
    .map((f) => Math.max(1, Math.ceil(f.size / m.partSizeBytes)))
    .sort((a, b) => b - a)
    .slice(0, m.filesInParallel)
    .reduce((s, n) => s + n, 0);
  const slots = Math.min(m.partsInFlight, parts);
  const cap = Math.min(m.side.nic, m.side.hub.aggregate * m.share, m.side.oss.aggregate * m.share);
  const bytesPerSecond = Math.min(slots * rate, cap);
  const rtt = Math.max(m.side.hub.rttSeconds, m.side.oss.rttSeconds);
  const requests = (m.files.length * ROUND_TRIPS_PER_FILE * rtt) / Math.min(m.filesInParallel, m.files.length);
  return bytes / bytesPerSecond + requests;
}

/** The Job's makespan: shards start in index order on `parallelism` pods, each paying the pod start. */
function clusterSeconds(input: EstimateInput): number {
  const shards = planShards(input.files, input.shards);
  const pods = Math.max(1, Math.min(input.parallelism, shards.length));
  const free = Array.from({ length: pods }, () => 0);
  for (const shard of shards) {
    const seconds = machineSeconds({ ...input, files: shard, side: input.cluster, share: 1 / pods });
    const i = free.indexOf(Math.min(...free));
    free[i] += input.podStartSeconds + seconds;
  }
  const verify =
    (input.files.length * input.cluster.runnerOss.rttSeconds) / Math.min(VERIFY_HEADS_IN_PARALLEL, input.files.length);
  return Math.max(...free) + verify;
}

/** The estimated time of each mode for these files, inputs and links. */
export function estimateSync(input: EstimateInput): Estimate {
  return {
    runnerSeconds: machineSeconds({ ...input, side: input.runner, share: 1 }),
    clusterSeconds: clusterSeconds(input)
  };
}
