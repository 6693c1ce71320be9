/**
 * Which mode a sync runs in, and why (input `sync-mode`; issue 17 point 1): `runner` and `cluster` as set;
 * `auto` picks the cluster only when it can work (a kubeconfig in this run, a hub its pods can reach) and the
 * estimate (src/stages/sync-estimate.ts) says it is clearly faster; otherwise the runner, as before. Pure: the
 * stage passes the files and the environment. The README's estimate table comes from `estimateTable`.
 */
import type { Config, RunnerLocation, SyncMode } from '../config/types.js';
import { inputDef } from '../config/inputs.js';
import { formatDuration } from '../util/format.js';
import {
  CLUSTER_SIDE,
  GITHUB_JOB_LIMIT_SECONDS,
  HUB_DIRECT_PER_CONNECTION,
  HUB_MIRROR_PER_CONNECTION,
  OSS_PUBLIC_PER_CONNECTION,
  OSS_PUBLIC_UPLOAD_CAP,
  OSS_UPLOAD_CAP,
  POD_START_SECONDS,
  RTT_CROSS_BORDER,
  RTT_DOMESTIC,
  RUNNER_SIDES,
  estimateSync,
  type Link,
  type RunnerPlace,
  type Side
} from './sync-estimate.js';

/** The cluster must take at most 1/CLEAR_SPEEDUP of the runner's time… */
export const CLEAR_SPEEDUP = 1.5;
/** …and save at least this much: a pod's start and the Job are not worth a few seconds. */
export const CLEAR_SAVING_SECONDS = 120;

/** What the choice reads: the sync inputs and two facts of the run. */
export interface ModeInputs {
  readonly mode: SyncMode;
  readonly runnerLocation: RunnerLocation;
  /** OSS region id, e.g. `oss-cn-beijing`. */
  readonly region: string;
  readonly hubEndpoint: string;
  readonly hubClusterEndpoint: string;
  readonly partSizeBytes: number;
  readonly partsInFlight: number;
  readonly filesInParallel: number;
  readonly shards: number;
  readonly parallelism: number;
  /** A kubeconfig is in this run (input or KUBECONFIG). */
  readonly kubeconfig: boolean;
  /** `RUNNER_ENVIRONMENT` (GitHub sets `github-hosted` or `self-hosted`). */
  readonly runnerEnvironment?: string;
}

export interface ModeDecision {
  readonly mode: 'runner' | 'cluster';
  /** One line: which mode, why, and both estimates. */
  readonly reason: string;
  readonly runnerSeconds: number;
  readonly clusterSeconds: number;
}

export function modeInputs(cfg: Config, env: NodeJS.ProcessEnv): ModeInputs {
  return {
    mode: cfg.sync.mode,
    runnerLocation: cfg.sync.runnerLocation,
    region: cfg.oss.region,
    hubEndpoint: cfg.hf.endpoint,
    hubClusterEndpoint: cfg.sync.hubClusterEndpoint,
    partSizeBytes: cfg.sync.partSizeBytes,
    partsInFlight: cfg.sync.partsInFlight,
    filesInParallel: cfg.sync.filesInParallel,
    shards: cfg.sync.shards,
    parallelism: cfg.sync.parallelism,
    kubeconfig: Boolean(cfg.cluster.kubeconfig || env.KUBECONFIG),
    runnerEnvironment: env.RUNNER_ENVIRONMENT
  };
}

/** Buckets in mainland China (Hong Kong is outside the mainland's network border). */
export const inMainland = (region: string): boolean => /^(oss-)?cn-(?!hongkong)/.test(region);
const OFFICIAL_HUB = /^https?:\/\/(www\.)?huggingface\.co(:443)?\/?$/i;

/** Where the runner is: the input, or on `auto` what GITHUB says about it. */
export function runnerPlace(m: Pick<ModeInputs, 'runnerLocation' | 'runnerEnvironment'>): {
  place: RunnerPlace;
  why: string;
} {
  if (m.runnerLocation !== 'auto') return { place: m.runnerLocation, why: `sync-runner-location ${m.runnerLocation}` };
  if (m.runnerEnvironment === 'github-hosted') return { place: 'overseas', why: 'GitHub-hosted, so overseas' };
  return { place: 'in-region', why: 'not GitHub-hosted, taken as in-region' };
}

/**
 * The hub from a machine. huggingface.co is not reached from mainland China (reference/hf-hub.md, "Mirrors"):
 * pods there need a mirror. The runner's `hf-endpoint` is the user's choice for this very machine, so it is taken
 * as reachable (at a mirror's rate from the mainland: a proxy, or the runner is not where it was taken to be).
 */
function hubLink(endpoint: string, fromMainland: boolean, chosenForThisMachine: boolean): Link {
  if (OFFICIAL_HUB.test(endpoint) && !fromMainland) {
    return { perConnection: HUB_DIRECT_PER_CONNECTION, aggregate: Infinity, rttSeconds: RTT_DOMESTIC };
  }
  if (OFFICIAL_HUB.test(endpoint) && !chosenForThisMachine) {
    return { perConnection: 0, aggregate: 0, rttSeconds: RTT_DOMESTIC };
  }
  return {
    perConnection: HUB_MIRROR_PER_CONNECTION,
    aggregate: Infinity,
    rttSeconds: fromMainland ? RTT_DOMESTIC : RTT_CROSS_BORDER
  };
}

/** Both sides' links for this bucket and these endpoints. */
export function sides(m: ModeInputs, place: RunnerPlace): { runner: Side; cluster: Side } {
  const cn = inMainland(m.region);
  const runnerInMainland = place === 'china' || (place === 'in-region' && cn);
  const base = RUNNER_SIDES[place];
  // overseas and a bucket outside the mainland: no border to cross
  const oss =
    place === 'overseas' && !cn
      ? { perConnection: OSS_PUBLIC_PER_CONNECTION, aggregate: OSS_PUBLIC_UPLOAD_CAP, rttSeconds: RTT_DOMESTIC }
      : base.oss;
  return {
    runner: { ...base, oss, hub: hubLink(m.hubEndpoint, runnerInMainland, true) },
    cluster: { ...CLUSTER_SIDE, hub: hubLink(m.hubClusterEndpoint, cn, false) }
  };
}

const fmt = (s: number): string => (Number.isFinite(s) ? formatDuration(s * 1000) : 'never (unreachable)');

/** Why the cluster cannot run this sync at all, if it cannot. */
function clusterBlocked(m: ModeInputs, cluster: Side): string | undefined {
  if (!m.kubeconfig) return 'no kubeconfig in this run';
  if (cluster.hub.perConnection === 0) {
    return `pods in ${m.region} cannot reach ${m.hubClusterEndpoint} (from mainland China only through a mirror: set hf-cluster-endpoint)`;
  }
  return undefined;
}

/** The mode, the reason in one line, and both estimates. */
export function decideSyncMode(m: ModeInputs, files: readonly { path: string; size: number }[]): ModeDecision {
  const { place, why } = runnerPlace(m);
  const s = sides(m, place);
  const est = estimateSync({
    ...m,
    files,
    runner: s.runner,
    cluster: { ...s.cluster, runnerOss: s.runner.oss },
    podStartSeconds: POD_START_SECONDS
  });
  const pods = Math.min(m.parallelism, m.shards, files.length);
  const both = `est. ${fmt(est.runnerSeconds)} on this runner (${why}), ${fmt(est.clusterSeconds)} in the cluster (${pods} pods)`;
  const late =
    est.runnerSeconds > GITHUB_JOB_LIMIT_SECONDS && place === 'overseas'
      ? '; the runner would pass the 6 h job limit'
      : '';
  const out = (mode: 'runner' | 'cluster', because: string): ModeDecision => ({
    mode,
    reason: `${mode}: ${because}; ${both}${late}`,
    runnerSeconds: est.runnerSeconds,
    clusterSeconds: est.clusterSeconds
  });
  if (m.mode !== 'auto') return out(m.mode, `set by sync-mode`);
  const blocked = clusterBlocked(m, s.cluster);
  if (blocked) return out('runner', `sync-mode auto, ${blocked}`);
  const clear =
    Number.isFinite(est.clusterSeconds) &&
    est.clusterSeconds * CLEAR_SPEEDUP <= est.runnerSeconds &&
    est.runnerSeconds - est.clusterSeconds >= CLEAR_SAVING_SECONDS;
  if (clear) {
    const x = Number.isFinite(est.runnerSeconds)
      ? `${(est.runnerSeconds / est.clusterSeconds).toFixed(1)}× faster`
      : 'the runner cannot reach the hub';
    return out('cluster', `sync-mode auto, the cluster is clearly faster (${x})`);
  }
  return out(
    'runner',
    `sync-mode auto, the cluster is not clearly faster (it must be ≥ ${CLEAR_SPEEDUP}× faster and save ≥ ${CLEAR_SAVING_SECONDS / 60} min)`
  );
}

/**
 * In `auto`, whether a failed cluster sync is followed by the runner's: yes for what failed in the cluster (the
 * Job, its pods, the image, the permissions: `SYNC_*`, `K8S_*`, `KUBE_*`), no for a cancel and for what the runner
 * would meet as well (the hub's answers `HF_*`, OSS's `OSS_*`, the config).
 */
export function runnerAfterClusterFailure(code: string): boolean {
  return /^(SYNC_|K8S_|KUBE_)/.test(code) && code !== 'SYNC_CANCELLED';
}

// ---------------------------------------------------------------------------------------------------------------
// The README's table (test/unit/sync-estimate.test.ts keeps the README block equal to this).
// ---------------------------------------------------------------------------------------------------------------

const GB = 1e9;
/**
 * The two models of issue 17. bloom-7b1: the default selection keeps its safetensors weights, one
 * `model.safetensors` of 7,069,016,064 parameters × 2 bytes (fp16; the count from the model card), plus its
 * config and tokenizer (~14.5 MB). Bloom-176B: issue 17's "~360 GB in ~70 files", as 70 equal files.
 */
export const TABLE_MODELS = [
  {
    name: 'bigscience/bloom-7b1',
    files: [
      { path: 'model.safetensors', size: 7_069_016_064 * 2 },
      { path: 'tokenizer.json', size: 14_500_000 },
      { path: 'config.json', size: 1_000 }
    ]
  },
  {
    name: 'bigscience/bloom (176B)',
    files: Array.from({ length: 70 }, (_, i) => ({ path: `model-${i}.safetensors`, size: (360 * GB) / 70 }))
  }
];

/** The action's defaults, a GitHub-hosted runner in the US, a bucket and cluster in cn-beijing, hf-mirror.com. */
export function tableInputs(): ModeInputs {
  const num = (n: string) => Number(inputDef(n).default);
  const shards = num('sync-shards');
  return {
    mode: 'auto',
    runnerLocation: 'auto',
    runnerEnvironment: 'github-hosted',
    region: 'oss-cn-beijing',
    hubEndpoint: inputDef('hf-endpoint').default,
    hubClusterEndpoint: 'https://hf-mirror.com',
    partSizeBytes: num('sync-part-size') * 1024 * 1024,
    partsInFlight: num('sync-parts-in-flight'),
    filesInParallel: num('sync-files-in-parallel'),
    shards,
    parallelism: num('sync-parallelism') || shards,
    kubeconfig: true
  };
}

const rate = (bytesPerSecond: number): string =>
  bytesPerSecond >= 1e9 / 8 ? `${(bytesPerSecond / (1e9 / 8)).toFixed(0)} Gbit/s` : `${bytesPerSecond / 1e6} MB/s`;

/** The figures the table assumes, from the constants of src/stages/sync-estimate.ts (their comments cite them). */
export function assumptionsTable(): string {
  const us = RUNNER_SIDES.overseas;
  return [
    '| link | per connection | cap | source |',
    '| --- | --- | --- | --- |',
    `| runner (US) → huggingface.co | ${rate(HUB_DIRECT_PER_CONNECTION)} | the runner's card, ${rate(us.nic)} | one-stream downloads users report (hiyouga/LlamaFactory #6750); hosted runners' cache downloads (actions/cache #928) |`,
    `| runner (US) → OSS cn-beijing, public endpoint | ${rate(us.oss.perConnection)} | ${rate(OSS_PUBLIC_UPLOAD_CAP)} public upload per account | issue 17: "a few MB/s to tens of MB/s" for one stream across the Pacific (the low end); OSS limits |`,
    `| pod (cn-beijing) → hf-mirror.com | ${rate(HUB_MIRROR_PER_CONNECTION)} | the pod's share of its node, ${rate(CLUSTER_SIDE.nic)} (assumed) | padeoe/hf-mirror-site #48 (10 MB/s on a 300 Mbit/s line) |`,
    `| pod → OSS internal endpoint | ${rate(CLUSTER_SIDE.oss.perConnection)} (assumed) | ${rate(OSS_UPLOAD_CAP)} upload per account in cn-beijing | OSS limits (Bandwidth table) |`,
    `| pod start: schedule, pull the sync image, start Node | | ${POD_START_SECONDS} s (assumed) | |`,
    `| a part streams into its upload as it downloads: a slot moves | min(down, up) | | bench row "ranged sync … share of 8c" (README, Benchmarks) |`
  ].join('\n');
}

/** The estimate table as Markdown (the README block between its markers). */
export function estimateTable(): string {
  const m = tableInputs();
  const inputs = `Inputs: \`sync-part-size\` ${m.partSizeBytes / 1024 / 1024} MiB, \`sync-parts-in-flight\` ${m.partsInFlight}, \`sync-files-in-parallel\` ${m.filesInParallel}, \`sync-shards\` ${m.shards}, ${m.parallelism} pods at once (the action's defaults).`;
  return [assumptionsTable(), '', inputs, '', resultsTable()].join('\n');
}

function resultsTable(): string {
  const m = tableInputs();
  const rows = TABLE_MODELS.map(({ name, files }) => {
    const bytes = files.reduce((s, f) => s + f.size, 0);
    const d = decideSyncMode(m, files);
    return `| ${name} | ${files.length} files, ${(bytes / GB).toFixed(1)} GB | ${fmt(d.runnerSeconds)} | ${fmt(d.clusterSeconds)} | **${d.mode}** |`;
  });
  return [
    `| model | selected files | runner in the US (GitHub-hosted) | cluster in cn-beijing (${m.shards} pods) | \`sync-mode: auto\` picks |`,
    '| --- | --- | --- | --- | --- |',
    ...rows
  ].join('\n');
}
