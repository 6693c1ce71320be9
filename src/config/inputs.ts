/**
 * The action's inputs: one table that action.yml, the README tables and the config loader agree on
 * (test/unit/config-inputs.test.ts checks action.yml against it). Values arrive as strings; `schema` is the JSON
 * schema (ajv, with type coercion) each value must satisfy, `form` says the allowed form in words for errors.
 */
import type { StageName } from './types.js';
import { OFFICIAL_URL_TEMPLATE } from '../util/tool-urls.js';

export interface InputDef {
  readonly name: string;
  readonly description: string;
  /** The default action.yml declares ('' when none). */
  readonly default: string;
  /** A credential: masked the moment it is read, never echoed in errors. */
  readonly secret?: boolean;
  /** The allowed form, in words (used in error messages). */
  readonly form: string;
  readonly schema: Record<string, unknown>;
  /** Stages that cannot run without a non-empty value. */
  readonly requiredBy?: readonly StageName[];
}

const str = (pattern: string, maxLength = 256): Record<string, unknown> => ({ type: 'string', pattern, maxLength });
const int = (minimum: number, maximum: number): Record<string, unknown> => ({ type: 'integer', minimum, maximum });
const bool: Record<string, unknown> = { type: 'boolean' };
const ANY_TEXT = { type: 'string', maxLength: 65536 };
/** A duration: `90`, `90s`, `45m`, `2h`, `1h30m`. */
const DURATION = str('^(\\d+|(\\d+h)?(\\d+m)?(\\d+s)?)$', 16);
/** http(s) URL without spaces or quotes (checked further by the URL parser). */
const URL_RE = '^https?://[^\\s"\'`<>\\\\]+$';
/** Image reference: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_RE =
  '^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$';
const SHA256_OR_EMPTY = str('^([a-fA-F0-9]{64})?$', 64);
const VERSION_RE = '^v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$';
/** Globs for repo paths: no spaces at the ends, no `..` segments, no leading `-` or `/`. */
const GLOBS = { type: 'string', maxLength: 4096 };

// canary and gc work on serving versions and jobs already there: they need neither the model's files nor OSS
const MODEL_STAGES: readonly StageName[] = ['sync', 'storage', 'convert', 'deploy', 'smoke'];
const OSS_STAGES: readonly StageName[] = ['sync', 'storage', 'convert', 'deploy', 'smoke'];

export const INPUTS: readonly InputDef[] = [
  // pipeline
  {
    name: 'stages',
    description:
      'Stages to run, in pipeline order: `all`, `none`, or a list (comma, space or newline separated) of setup, sync, storage, convert, deploy, smoke, canary, gc. `all` leaves out the opt-in `canary` and `gc` (removing old versions is asked for by name).',
    default: 'all',
    form: '"all", "none" or a list of setup, sync, storage, convert, deploy, smoke, canary, gc',
    schema: str('^[a-z, \\n\\r\\t]*$', 200)
  },
  {
    name: 'plan',
    description: 'Dry run: validate, resolve names and print what each stage would do, changing nothing.',
    default: 'false',
    form: 'true or false',
    schema: bool
  },
  // model
  {
    name: 'model',
    description:
      'HuggingFace repository id of a Bloom checkpoint, `org/name` (e.g. `bigscience/bloom-7b1`): its `config.json` must say model_type "bloom" (the converter and the Triton config are Bloom’s). May come from `model-spec`.',
    default: '',
    form: 'a HuggingFace repo id "org/name" (letters, digits, ".", "_", "-"; at most 96 characters)',
    schema: str('^([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)?$', 96),
    requiredBy: MODEL_STAGES
  },
  {
    name: 'revision',
    description: 'Branch, tag or commit sha of the model repository. Pin a commit sha for reproducible versions.',
    default: 'main',
    form: 'a git branch, tag or commit sha (letters, digits, ".", "_", "-", "/"; no "..")',
    schema: str('^[A-Za-z0-9][A-Za-z0-9._/-]*$', 128)
  },
  {
    name: 'version',
    description:
      'Model version name (DNS-1123 label, e.g. `v3` or `pr-42`). Everything the run writes is keyed by it. Default: derived from revision and conversion/serving parameters.',
    default: '',
    form: 'a DNS-1123 label (lower-case letters, digits, "-"; at most 20 characters; alphanumeric at both ends)',
    schema: str('^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', 20)
  },
  {
    name: 'model-spec',
    description:
      'Path (in the workspace) to a model spec YAML with model, hf, convert, serve and smoke settings, or the spec itself as inline JSON (`{...}`, as the models workflow passes it). Inputs set to a non-default value win over the spec.',
    default: '',
    form: 'a relative path to a .yaml or .yml file inside the workspace, or a JSON object',
    schema: { anyOf: [str('^([A-Za-z0-9_.][A-Za-z0-9_./-]*\\.ya?ml)?$', 256), str('^\\s*\\{[\\s\\S]*\\}\\s*$', 65536)] }
  },
  // HF
  {
    name: 'hf-token',
    description: 'HuggingFace access token (needed for gated or private models).',
    default: '',
    secret: true,
    form: 'a HuggingFace token (printable characters, no spaces)',
    schema: str('^[!-~]*$', 512)
  },
  {
    name: 'hf-endpoint',
    description: 'HuggingFace Hub endpoint (a mirror such as https://hf-mirror.com works).',
    default: 'https://huggingface.co',
    form: 'an http(s) URL',
    schema: str(URL_RE, 512)
  },
  {
    name: 'hf-include',
    description:
      'Globs of repository files to sync (comma or newline separated). Default: configs, tokenizer files and one weight format with its index.',
    default: '',
    form: 'globs of repo paths, comma or newline separated',
    schema: GLOBS
  },
  {
    name: 'hf-exclude',
    description: 'Globs of repository files to leave out (comma or newline separated), applied after `hf-include`.',
    default: '',
    form: 'globs of repo paths, comma or newline separated',
    schema: GLOBS
  },
  // OSS
  {
    name: 'oss-region',
    description: 'OSS region id, e.g. `oss-cn-beijing` (`cn-beijing` is accepted).',
    default: 'oss-cn-beijing',
    form: 'an OSS region id like "oss-cn-beijing"',
    schema: str('^(oss-)?[a-z0-9]+(-[a-z0-9]+)*$', 64)
  },
  {
    name: 'oss-endpoint',
    description: 'OSS endpoint the runner uploads to. Default: `https://<region>.aliyuncs.com`.',
    default: '',
    form: 'an http(s) URL',
    schema: str(`(${URL_RE})|^$`, 512)
  },
  {
    name: 'oss-cluster-endpoint',
    description:
      'OSS endpoint the cluster mounts the bucket from (PV `url`). Default: `<region>-internal.aliyuncs.com` (in-region, no traffic fees).',
    default: '',
    form: 'a host name or http(s) URL',
    schema: str('^(https?://)?([A-Za-z0-9.-]+(:[0-9]+)?)?$', 256)
  },
  {
    name: 'oss-bucket',
    description: 'OSS bucket holding synced files, converted checkpoints and Triton model repositories.',
    default: '',
    form: 'an OSS bucket name (3-63 lower-case letters, digits, "-"; alphanumeric at both ends)',
    schema: str('^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])?$', 63),
    requiredBy: OSS_STAGES
  },
  {
    name: 'oss-prefix',
    description: 'Key prefix inside the bucket for everything this action writes.',
    default: 'models',
    form: 'path segments of letters, digits, ".", "_", "-" separated by "/" (no "..")',
    schema: str('^/?([A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*)?/?$', 200)
  },
  {
    name: 'oss-access-key-id',
    description: 'AccessKey id for OSS (the runner, and the Secret the PV mounts with).',
    default: '',
    secret: true,
    form: 'an AccessKey id (letters, digits, ".", "_", "-")',
    schema: str('^[A-Za-z0-9._-]*$', 128),
    requiredBy: OSS_STAGES
  },
  {
    name: 'oss-access-key-secret',
    description: 'AccessKey secret for OSS.',
    default: '',
    secret: true,
    form: 'an AccessKey secret (printable characters, no spaces)',
    schema: str('^[!-~]*$', 256),
    requiredBy: OSS_STAGES
  },
  {
    name: 'oss-security-token',
    description: 'STS security token, when the AccessKey is temporary.',
    default: '',
    secret: true,
    form: 'an STS token (printable characters, no spaces)',
    schema: str('^[!-~]*$', 4096)
  },
  {
    name: 'oss-signature-v4',
    description: 'Sign OSS requests with signature V4 (false: V1).',
    default: 'true',
    form: 'true or false',
    schema: bool
  },
  // sync
  {
    name: 'sync-part-size',
    description:
      'Multipart upload part size in MiB (memory ≈ sync-parts-in-flight × this). A file needs at most 10000 parts (OSS): 8 MiB parts take files up to 80 GiB.',
    default: '8',
    form: 'an integer number of MiB from 1 to 5120',
    schema: int(1, 5120)
  },
  {
    name: 'sync-parts-in-flight',
    description: 'Part uploads in flight across all files (memory ≈ this × part size).',
    default: '4',
    form: 'an integer from 1 to 32',
    schema: int(1, 32)
  },
  {
    name: 'sync-files-in-parallel',
    description: 'Files synced at once.',
    default: '2',
    form: 'an integer from 1 to 16',
    schema: int(1, 16)
  },
  {
    name: 'sync-retries',
    description: 'Attempts per download range or uploaded part before the sync fails.',
    default: '5',
    form: 'an integer from 1 to 20',
    schema: int(1, 20)
  },
  {
    name: 'sync-mode',
    description:
      'Where the sync runs: `runner` (this job streams hub → OSS), `cluster` (an Indexed Job of `sync-shards` pods in `namespace` streams it, next to OSS; needs a kubeconfig and the sync image) or `auto` (the cluster when a kubeconfig is there, its pods can reach the hub, and the estimate says it is at least 1.5× faster and saves 2 min; else the runner; the plan says which and why). In `auto`, a cluster sync that fails (e.g. an image the cluster cannot pull, no permission for Jobs) is followed by the runner sync, with a warning.',
    default: 'auto',
    form: '"runner", "cluster" or "auto"',
    schema: { type: 'string', enum: ['runner', 'cluster', 'auto'] }
  },
  {
    name: 'sync-runner-location',
    description:
      'For `sync-mode: auto`, where this runner is relative to the bucket: `overseas` (outside mainland China: one TCP stream to OSS gets a few MB/s), `china` (mainland, another region) or `in-region`. `auto`: `overseas` on a GitHub-hosted runner (Azure, US/EU), else `in-region` (the assumption least in favour of the cluster).',
    default: 'auto',
    form: '"auto", "overseas", "china" or "in-region"',
    schema: { type: 'string', enum: ['auto', 'overseas', 'china', 'in-region'] }
  },
  {
    name: 'sync-shards',
    description: 'Cluster mode: shards (Job completions) the files are split into, balanced by bytes.',
    default: '4',
    form: 'an integer from 1 to 64',
    schema: int(1, 64)
  },
  {
    name: 'sync-parallelism',
    description: 'Cluster mode: shard pods running at once (0: all shards at once).',
    default: '0',
    form: 'an integer from 0 to 64',
    schema: int(0, 64)
  },
  {
    name: 'sync-shard-retries',
    description: 'Cluster mode: replacement pods per shard after a failure (the Job’s `backoffLimitPerIndex`).',
    default: '3',
    form: 'an integer from 0 to 10',
    schema: int(0, 10)
  },
  {
    name: 'sync-image',
    description:
      'Cluster mode: the image running the bundled CLI (built by the repository’s Dockerfile). From China, push it to Container Registry (ACR) and set e.g. `registry.cn-beijing.aliyuncs.com/<namespace>/arena-ft-pipeline-sync:0.1.0`.',
    default: 'ghcr.io/arena-ft-pipeline/arena-ft-pipeline-sync:0.1.0',
    form: 'an image reference like registry/path:tag',
    schema: str(IMAGE_RE, 512)
  },
  {
    name: 'hf-cluster-endpoint',
    description:
      'Cluster mode: the HuggingFace endpoint the sync pods download from (e.g. `https://hf-mirror.com` for a cluster in China). Default: `hf-endpoint`.',
    default: '',
    form: 'an http(s) URL',
    schema: str(`(${URL_RE})|^$`, 512)
  },
  // cluster
  {
    name: 'kubeconfig',
    description:
      'Kubeconfig (raw YAML or base64) for the ACK cluster. Empty: use an exported `KUBECONFIG` (e.g. from aliyun/ack-set-context).',
    default: '',
    secret: true,
    form: 'a kubeconfig as YAML or base64',
    schema: ANY_TEXT
  },
  {
    name: 'kube-context',
    description: 'Kubeconfig context to use. Default: the kubeconfig’s current-context.',
    default: '',
    form: 'a context name from the kubeconfig (letters, digits, "_", ".", "@", ":", "/", "-"; not starting with "-" or ".")',
    schema: str('^([A-Za-z0-9_][A-Za-z0-9_.@:/-]*)?$', 253)
  },
  {
    name: 'namespace',
    description: 'Namespace for the Secret, PVC, conversion job and serving.',
    default: 'default',
    form: 'a DNS-1123 label (lower-case letters, digits, "-"; at most 63 characters)',
    schema: str('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 63)
  },
  {
    name: 'pvc-name',
    description: 'PersistentVolumeClaim mounting the bucket; the PV and Secret names derive from it.',
    default: 'ft-models',
    form: 'a DNS-1123 label (lower-case letters, digits, "-"; at most 40 characters)',
    schema: str('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 40)
  },
  {
    name: 'mount-path',
    description: 'Where pods mount the PVC.',
    default: '/mnt',
    form: 'an absolute path of letters, digits, ".", "_", "-" segments (no "..")',
    schema: str('^(/[A-Za-z0-9_][A-Za-z0-9._-]*)+$', 128)
  },
  {
    name: 'pv-path',
    description: 'Bucket sub-directory the PV mounts (must contain `oss-prefix`). Default: `/` + `oss-prefix`.',
    default: '',
    form: 'an absolute path of letters, digits, ".", "_", "-" segments (no "..")',
    schema: str('^((/[A-Za-z0-9_][A-Za-z0-9._-]*)+|/)?$', 200)
  },
  // tools
  {
    name: 'kubectl-version',
    description: 'kubectl version to install (pinned).',
    default: '1.34.5',
    form: 'a version "major.minor.patch", e.g. 1.34.5',
    schema: str(VERSION_RE, 64)
  },
  {
    name: 'kubectl-url',
    description:
      'kubectl download URL template (`{version}`, `{arch}`) or a mirror base URL in the official layout (`<base>/release/v<version>/bin/linux/<arch>/kubectl`).',
    default: OFFICIAL_URL_TEMPLATE.kubectl,
    form: 'an http(s) URL, optionally with {version} and {arch}',
    schema: str(URL_RE, 512)
  },
  {
    name: 'kubectl-sha256',
    description: 'Expected sha256 of kubectl. Default: the `.sha256` file published next to the binary.',
    default: '',
    form: '64 hex characters',
    schema: SHA256_OR_EMPTY
  },
  {
    name: 'arena-version',
    description: 'Arena version to install (pinned).',
    default: '0.15.2',
    form: 'a version "major.minor.patch", e.g. 0.15.2',
    schema: str(VERSION_RE, 64)
  },
  {
    name: 'arena-url',
    description:
      'Arena installer URL template (`{version}`, `{arch}`) or a mirror base URL holding `arena-installer-<version>-linux-<arch>.tar.gz` (e.g. the Alibaba OSS mirror).',
    default: OFFICIAL_URL_TEMPLATE.arena,
    form: 'an http(s) URL, optionally with {version} and {arch}',
    schema: str(URL_RE, 512)
  },
  {
    name: 'arena-sha256',
    description:
      "Expected sha256 of the Arena installer tarball. Arena's releases publish no checksum, so without this input (or a digest shipped with the action for that version; none yet) the download is NOT verified, which the log and the summary say.",
    default: '',
    form: '64 hex characters',
    schema: SHA256_OR_EMPTY
  },
  // convert
  {
    name: 'convert-image',
    description: 'FasterTransformer converter image.',
    default: 'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1',
    form: 'a container image reference (registry/path:tag or @sha256:digest)',
    schema: str(IMAGE_RE, 255)
  },
  {
    name: 'convert-gpus',
    description: 'GPUs per converter worker.',
    default: '1',
    form: 'an integer from 0 to 64',
    schema: int(0, 64)
  },
  {
    name: 'convert-workers',
    description: 'Converter pods (the master included).',
    default: '1',
    form: 'an integer from 1 to 16',
    schema: int(1, 16)
  },
  {
    name: 'tensor-parallel',
    description:
      'Tensor-parallel size the checkpoint is converted for (the serving GPUs follow from it); must divide the model’s attention heads (`config.json` n_head).',
    default: '1',
    form: 'one of 1, 2, 4, 8',
    schema: { type: 'integer', enum: [1, 2, 4, 8] }
  },
  {
    name: 'data-type',
    description: 'Weight data type of the converted checkpoint.',
    default: 'fp16',
    form: '"fp16" or "fp32"',
    schema: { type: 'string', enum: ['fp16', 'fp32'] }
  },
  {
    name: 'convert-processes',
    description: 'Converter processes (`-p`).',
    default: '4',
    form: 'an integer from 1 to 128',
    schema: int(1, 128)
  },
  {
    name: 'convert-timeout',
    description: 'Longest the conversion job may run (e.g. `90m`, `2h`).',
    default: '2h',
    form: 'a duration like 3600, 90s, 45m, 2h or 1h30m (1 minute to 48 hours)',
    schema: DURATION
  },
  {
    name: 'convert-ttl',
    description:
      'How long a finished conversion job stays before the training operator deletes it and its pods (Arena `--ttl-after-finished`; the job also runs with `--clean-task-policy=Running`, so pods still running when it ends are deleted at once). A failed job stays this long to be inspected.',
    default: '24h',
    form: 'a duration like 600, 45m, 24h, 7d or 1d12h (10 minutes to 720 hours)',
    schema: str('^(\\d+|(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?)$', 16)
  },
  {
    name: 'resubmit-failed',
    description: 'Delete and resubmit a failed conversion job of this version (false: fail and show its logs).',
    default: 'false',
    form: 'true or false',
    schema: bool
  },
  {
    name: 'convert-retries',
    description:
      "Times the action deletes and resubmits a conversion job that failed for a reason that need not repeat (its pod was killed by a signal, evicted or lost its node); a converter error (traceback, exit 1) or OOMKilled is never retried. 0 fails at the first failure. (Arena `--retry` cannot do this: the one-worker job's Master runs with restartPolicy Never, which the operator does not restart.)",
    default: '0',
    form: 'an integer from 0 to 10',
    schema: int(0, 10)
  },
  // serve
  {
    name: 'serve-image',
    description: 'Triton image with the FasterTransformer backend.',
    default: 'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers',
    form: 'a container image reference (registry/path:tag or @sha256:digest)',
    schema: str(IMAGE_RE, 255)
  },
  {
    name: 'serve-gpus',
    description: 'GPUs per serving replica. Default: tensor-parallel × pipeline-parallel (which FT requires).',
    default: '',
    form: 'an integer from 1 to 64, equal to tensor-parallel × pipeline-parallel',
    schema: str('^([1-9][0-9]?)?$', 2)
  },
  {
    name: 'pipeline-parallel',
    description:
      'Pipeline-parallel size in the Triton model config; must divide the model’s layers (`config.json` n_layer; bloom-7b1 has 30), checked at plan time.',
    default: '1',
    form: 'an integer from 1 to 8',
    schema: int(1, 8)
  },
  {
    name: 'serve-replicas',
    description: 'Serving replicas.',
    default: '1',
    form: 'an integer from 1 to 16',
    schema: int(1, 16)
  },
  {
    name: 'serving-name',
    description: 'Arena serving name shared by all versions of the model. Default: derived from the model name.',
    default: '',
    form: 'a DNS-1123 label starting with a letter (at most 20 characters)',
    schema: str('^([a-z]([-a-z0-9]*[a-z0-9])?)?$', 20)
  },
  {
    name: 'triton-model-name',
    description: 'Model name inside the Triton model repository (the name requests use).',
    default: 'fastertransformer',
    form: 'letters, digits, "_", "-" (at most 64 characters, starting with a letter)',
    schema: str('^[A-Za-z][A-Za-z0-9_-]*$', 64)
  },
  {
    name: 'max-batch-size',
    description: 'Triton `max_batch_size` of the model.',
    default: '8',
    form: 'an integer from 1 to 1024',
    schema: int(1, 1024)
  },
  {
    name: 'serve-timeout',
    description: 'Longest wait for the serving rollout (large models take 25+ minutes to load).',
    default: '45m',
    form: 'a duration like 600, 90s, 45m, 2h (1 minute to 48 hours)',
    schema: DURATION
  },
  // smoke
  {
    name: 'smoke-prompts',
    description: 'Prompts for the smoke test, one per line.',
    default: 'Hello, my name is',
    form: 'text, one prompt per line (at most 16 prompts of 2000 characters)',
    schema: { type: 'string', maxLength: 32768 }
  },
  {
    name: 'smoke-expect',
    description: 'Regular expression each completion must match. Default: non-empty text without U+FFFD.',
    default: '',
    form: 'a JavaScript regular expression',
    schema: { type: 'string', maxLength: 1024 }
  },
  {
    name: 'smoke-output-length',
    description: 'Tokens to generate per smoke request.',
    default: '32',
    form: 'an integer from 1 to 2048',
    schema: int(1, 2048)
  },
  {
    name: 'smoke-requests',
    description:
      'Inference requests sent per prompt (each prompt is sent this many times); the latency budget is checked against the p95 of all of them.',
    default: '3',
    form: 'an integer from 1 to 100',
    schema: int(1, 100)
  },
  {
    name: 'smoke-latency-budget',
    description:
      'Largest acceptable p95 (95th percentile, nearest rank) latency of the smoke requests, in milliseconds.',
    default: '30000',
    form: 'an integer number of milliseconds from 1 to 3600000',
    schema: int(1, 3_600_000)
  },
  {
    name: 'smoke-timeout',
    description: 'Longest the smoke test may take in all (e.g. `5m`).',
    default: '10m',
    form: 'a duration like 300, 90s, 10m (1 minute to 48 hours)',
    schema: DURATION
  },
  // canary (opt-in: the canary stage runs after smoke only when turned on)
  {
    name: 'canary',
    description:
      'Run the canary stage after smoke: shift traffic from the serving version(s) to the new one in `canary-steps`, checking the new version’s Triton metrics at each step and rolling back automatically when a check fails. Same as naming `canary` in `stages` (which `all` leaves out).',
    default: 'false',
    form: 'true or false',
    schema: bool
  },
  {
    name: 'canary-steps',
    description:
      'The new version’s share of the traffic at each canary step, in percent (comma or space separated, increasing, ending at 100), e.g. `10,50,100`.',
    default: '10,50,100',
    form: 'increasing integers from 1 to 100 ending at 100, at most 10 (e.g. 10,50,100)',
    schema: str('^[0-9, ]*$', 64)
  },
  {
    name: 'canary-soak',
    description: 'How long each canary step runs before the new version’s metrics are checked (e.g. `5m`).',
    default: '5m',
    form: 'a duration like 300, 90s, 5m (1 second to 24 hours)',
    schema: DURATION
  },
  {
    name: 'canary-mode',
    description:
      '`istio`: a DestinationRule with one subset per serving version and a weighted VirtualService (needs Istio, e.g. ACK service mesh); `replicas`: one Service over every version, weights approximated by replica counts; `auto`: Istio when its CRDs are installed, else replicas.',
    default: 'auto',
    form: 'auto, istio or replicas',
    schema: { type: 'string', enum: ['auto', 'istio', 'replicas'] }
  },
  {
    name: 'canary-success-rate',
    description:
      'Lowest acceptable share of successful inference requests of the new version in a canary step, in percent (Triton’s nv_inference_request_success and _failure).',
    default: '99',
    form: 'a number from 0 to 100 (e.g. 99 or 99.5)',
    schema: str('^(100(\\.0+)?|[0-9]{1,2}(\\.[0-9]+)?)$', 12)
  },
  {
    name: 'canary-latency-budget',
    description:
      'Largest acceptable mean request latency of the new version in a canary step, in milliseconds (Triton 22.03 exports only cumulative counters, so the mean, not a percentile). Empty: smoke-latency-budget.',
    default: '',
    form: 'empty or an integer number of milliseconds from 1 to 3600000',
    schema: str('^([1-9][0-9]{0,6})?$', 7)
  },
  {
    name: 'canary-min-requests',
    description:
      'Fewest requests the new version must serve in a canary step for its figures to count; fewer fails the step (no traffic reached it).',
    default: '20',
    form: 'an integer from 1 to 1000000',
    schema: int(1, 1_000_000)
  },
  // models file (the models workflow's plan job)
  {
    name: 'models-file',
    description:
      'Plan a models file instead of running the pipeline: a YAML file in the workspace with `models:`, a list of model specs. Outputs `models-matrix` (JSON) and `models-count`.',
    default: '',
    form: 'a relative path to a .yaml or .yml file inside the workspace',
    schema: str('^([A-Za-z0-9_.][A-Za-z0-9_./-]*\\.ya?ml)?$', 256)
  },
  {
    name: 'models-select',
    description: 'With `models-file`: `changed` (against `models-base-ref`), `all`, or one model id.',
    default: 'changed',
    form: '"changed", "all" or a HuggingFace repo id "org/name"',
    schema: str('^[A-Za-z0-9._/-]*$', 200)
  },
  {
    name: 'models-base-ref',
    description:
      "With `models-file`: the commit to compare against (a pull request's base sha). Empty: every entry is new.",
    default: '',
    form: 'a git commit sha or ref name',
    schema: str('^([A-Za-z0-9][A-Za-z0-9._/-]*)?$', 200)
  },
  {
    name: 'models-version-suffix',
    description:
      'With `models-file`: appended to every planned version (e.g. `-pr42`, `-v1.4.0`), folded into a DNS-1123 label.',
    default: '',
    form: 'letters, digits, ".", "_" and "-"',
    schema: str('^[A-Za-z0-9._-]*$', 40)
  },
  {
    name: 'keep-versions',
    description:
      'Serving versions of this model and lineage kept after a successful smoke test (the newest); older ones of the same lineage are deleted, never another lineage’s. 0 keeps all.',
    default: '2',
    form: 'an integer from 0 to 100',
    schema: int(0, 100)
  },
  {
    name: 'lineage',
    description:
      'The line of versions this run belongs to: `release` (default) or one per pull request (e.g. `pr-42`). Deploy labels what it creates with it; retirement and replacement only ever touch versions of the same lineage, so a preview cannot retire or replace a release.',
    default: 'release',
    form: 'a DNS-1123 label of at most 40 characters (e.g. release, pr-42)',
    schema: str('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 40)
  },
  {
    name: 'gpu-price-per-hour',
    description:
      'Price of one GPU-hour: with it the summary adds the cost of the GPU-hours each stage used and the `gpu-cost` output is set. Empty: no cost.',
    default: '',
    form: 'a number such as 2.5 (0 to 1000000)',
    schema: str('^([0-9]{1,7}(\\.[0-9]{1,6})?)?$', 16)
  },
  {
    name: 'gpu-currency',
    description:
      'Currency of `gpu-price-per-hour`, shown beside the cost (e.g. `CNY`, `USD`). Empty: “in your currency”.',
    default: '',
    form: 'up to 8 letters',
    schema: str('^[A-Za-z]{0,8}$', 8)
  },
  {
    name: 'gc-retention',
    description:
      'The `gc` stage removes serving versions and conversion jobs this action created that are older than this and receive no traffic (e.g. `7d`, `36h`).',
    default: '7d',
    form: 'a duration like 7d, 36h or 1d12h (1 hour to 365 days)',
    schema: str('^(\\d+|(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?)$', 16)
  },
  {
    name: 'gc-idle-window',
    description:
      "How long the `gc` stage watches each old serving version's Triton request counter (`nv_inference_request_success`); a version whose counter moves is kept.",
    default: '60s',
    form: 'a duration like 30s, 60s or 5m (10 seconds to 1 hour)',
    schema: str('^(\\d+|(\\d+h)?(\\d+m)?(\\d+s)?)$', 16)
  },
  {
    name: 'release-tag',
    description:
      'The release tag this run deploys for (e.g. `v1.4.0`): recorded as an annotation on the serving version after its smoke test, not part of any name, so a release that changes nothing about a model re-uses its converted, deployed version.',
    default: '',
    form: 'letters, digits, ".", "_", "+", "/" and "-" (at most 128)',
    schema: str('^[A-Za-z0-9._+/-]*$', 128)
  }
];

/**
 * The longest duration a `*-timeout` input accepts, in seconds (the loader's range check). The reusable
 * workflow's convert job must outlive it: test/workflows checks its `timeout-minutes` against this.
 */
export const MAX_TIMEOUT_SECONDS = 48 * 3600;

export const INPUT_NAMES = INPUTS.map((i) => i.name);
export const SECRET_INPUTS = INPUTS.filter((i) => i.secret).map((i) => i.name);

export function inputDef(name: string): InputDef {
  const def = INPUTS.find((i) => i.name === name);
  if (!def) throw new Error(`unknown input ${name}`);
  return def;
}
