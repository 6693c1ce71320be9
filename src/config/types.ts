/**
 * The one immutable, validated configuration object every stage reads.
 * Built once by `loadConfig` (src/config/load.ts) from the action inputs (or the CLI) and an optional model spec
 * YAML; every name that reaches Kubernetes, OSS or a command line is derived here, once, and is already valid.
 */

export const STAGE_NAMES = ['setup', 'sync', 'storage', 'convert', 'deploy', 'smoke', 'canary', 'gc'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
/**
 * Stages that `stages: all` leaves out: they run only when named (or turned on by their own input): `canary`
 * shifts live traffic, `gc` removes old versions.
 */
export const OPT_IN_STAGES: readonly StageName[] = ['canary', 'gc'];
/** What `stages: all` runs: every stage but the opt-in ones. */
export const DEFAULT_STAGES: readonly StageName[] = STAGE_NAMES.filter((s) => !OPT_IN_STAGES.includes(s));

/** The stages that talk to the cluster (they need a kubeconfig): the loader and the plan's access check. */
export const CLUSTER_STAGES: readonly StageName[] = ['storage', 'convert', 'deploy', 'smoke', 'canary', 'gc'];

export type DataType = 'fp16' | 'fp32';

export type SyncMode = 'runner' | 'cluster' | 'auto';
/** Where the runner is, for `sync-mode: auto`'s estimate (`auto`: from RUNNER_ENVIRONMENT at run time). */
export type RunnerLocation = 'auto' | 'overseas' | 'china' | 'in-region';

export interface ToolSpec {
  /** Pinned version without a leading "v" (e.g. "1.34.5", "0.15.2"). */
  readonly version: string;
  /** URL template; `{version}` and `{arch}` are replaced (arch is amd64 | arm64). */
  readonly urlTemplate: string;
  /** Expected sha256 (hex). For kubectl, when empty, the official `.sha256` file next to the binary is used. */
  readonly sha256?: string;
}

export interface SmokePrompt {
  readonly text: string;
  /** A regular expression the completion must match; when absent: non-empty text without U+FFFD. */
  readonly expect?: string;
}

export interface Config {
  readonly stages: readonly StageName[];
  /** Dry run: validate, resolve, compute names and what each stage would do; change nothing. */
  readonly plan: boolean;

  readonly model: {
    /** HuggingFace repo id, `org/name`. */
    readonly repo: string;
    /** Branch, tag or commit sha as given by the user. */
    readonly revision: string;
    /** DNS-1123 label derived from the repo name (e.g. `bloom-7b1`). */
    readonly name: string;
    /** DNS-1123 label naming this model version (user-given or derived). */
    readonly version: string;
  };

  readonly hf: {
    readonly endpoint: string;
    readonly token?: string;
    readonly include: readonly string[];
    readonly exclude: readonly string[];
  };

  readonly oss: {
    /** Endpoint the runner talks to, e.g. `https://oss-cn-beijing.aliyuncs.com` (or the sandbox URL). */
    readonly endpoint: string;
    /** Region id as ali-oss takes it, e.g. `oss-cn-beijing`. */
    readonly region: string;
    readonly bucket: string;
    /** Object key prefix without leading or trailing slash (may be empty). */
    readonly prefix: string;
    readonly accessKeyId: string;
    readonly accessKeySecret: string;
    readonly securityToken?: string;
    /** Use signature V4 (`authorizationV4`). */
    readonly signatureV4: boolean;
    /** Endpoint the CSI plugin uses inside the cluster (PV `volumeAttributes.url`). */
    readonly clusterEndpoint: string;
  };

  readonly sync: {
    readonly partSizeBytes: number;
    readonly partsInFlight: number;
    readonly filesInParallel: number;
    readonly retries: number;
    /** Where the sync runs: on this runner, or as an Indexed Job of shard pods in the cluster. */
    readonly mode: SyncMode;
    /** `sync-mode: auto`: where this runner is relative to the bucket (the estimate's links). */
    readonly runnerLocation: RunnerLocation;
    /** Cluster mode: shards (Job completions). */
    readonly shards: number;
    /** Cluster mode: shard pods at once. */
    readonly parallelism: number;
    /** Cluster mode: the Job's backoffLimitPerIndex. */
    readonly shardRetries: number;
    /** Cluster mode: the image running the bundled CLI. */
    readonly image: string;
    /** Cluster mode: the hub (or mirror) endpoint the pods use. */
    readonly hubClusterEndpoint: string;
  };

  readonly cluster: {
    /** Kubeconfig content (decoded YAML) when given as an input; absent → use an exported KUBECONFIG. */
    readonly kubeconfig?: string;
    readonly context?: string;
    readonly namespace: string;
    readonly secretName: string;
    readonly pvName: string;
    readonly pvcName: string;
    /** Where the PVC is mounted in every pod (`--data <pvc>:<mountPath>`). */
    readonly mountPath: string;
    /** The bucket sub-directory the PV mounts (`volumeAttributes.path`), starting with `/`. */
    readonly pvPath: string;
  };

  readonly tools: {
    readonly kubectl: ToolSpec;
    readonly arena: ToolSpec;
  };

  readonly convert: {
    readonly image: string;
    readonly gpus: number;
    readonly workers: number;
    readonly tensorParallel: number;
    readonly dataType: DataType;
    readonly processes: number;
    readonly timeoutSeconds: number;
    /** Delete and resubmit an existing failed job of this version. */
    readonly resubmitFailed: boolean;
    /** Pod restarts the operator makes before the job fails (Arena `--retry`, the job's backoffLimit). */
    readonly retries: number;
    /** DNS-1123 name of the PyTorchJob. */
    readonly jobName: string;
    /** Arena `--ttl-after-finished`: the operator deletes the finished job (and its pods) this long after it ends. */
    readonly ttlSeconds?: number;
  };

  readonly serve: {
    readonly image: string;
    readonly gpus: number;
    readonly replicas: number;
    readonly pipelineParallel: number;
    /** Arena serving name (DNS-1123), shared by all versions of this model. */
    readonly name: string;
    /** Arena serving version (DNS-1123 label) for this model version. */
    readonly version: string;
    /** Triton model name inside the model repository. */
    readonly modelName: string;
    readonly maxBatchSize: number;
    readonly timeoutSeconds: number;
  };

  readonly smoke: {
    readonly prompts: readonly SmokePrompt[];
    readonly outputLength: number;
    readonly requests: number;
    readonly latencyBudgetMs: number;
    readonly timeoutSeconds: number;
  };

  /** The canary rollout after smoke (src/stages/canary.ts): used when the canary stage runs. */
  readonly canary: CanaryConfig;

  /** Serving versions of this serving name kept after a successful smoke (the newest ones). */
  readonly keepVersions: number;

  /** Lineage label of what this run deploys (`release`, `pr-42`): retirement and replacement stay inside it. */
  readonly lineage: string;

  /** Release tag recorded on the serving version after its smoke test ('' when none). */
  readonly releaseTag: string;

  /** Price of one GPU-hour for the summary's cost line (absent: no cost), and its currency ('' when not given). */
  readonly gpuPrice?: { readonly perHour: number; readonly currency: string };

  /** The gc stage: remove what this action created that is older than `retentionSeconds` and idle. */
  readonly gc?: {
    readonly retentionSeconds: number;
    /** How long a serving version's request counter is watched for traffic. */
    readonly idleWindowSeconds: number;
  };
}

/** How the canary shifts traffic and what it checks at each step. */
export interface CanaryConfig {
  /** The new version's share of the traffic at each step, in percent, increasing, ending at 100. */
  readonly steps: readonly number[];
  /** How long each step runs before its metrics are read. */
  readonly soakSeconds: number;
  /** `istio`: weighted VirtualService; `replicas`: replica ratio through one Service; `auto`: Istio when installed. */
  readonly mode: 'auto' | 'istio' | 'replicas';
  /** Lowest acceptable share of successful requests of the new version in a step, in percent. */
  readonly minSuccessRate: number;
  /** Largest acceptable mean request latency of the new version in a step, in milliseconds. */
  readonly latencyBudgetMs: number;
  /** Fewest requests the new version must have served in a step for its figures to count. */
  readonly minRequests: number;
}
