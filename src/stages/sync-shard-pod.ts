/**
 * What a cluster-mode shard pod runs (`arena-ft-pipeline sync-shard`): its shard of the plan (ConfigMap, through
 * env), the credentials (the Secret, through envFrom), then the runner mode's own transfer for those files
 * (streaming, sha256/CRC64 checks, resume of unfinished uploads, skip of files already there) against the
 * endpoints the plan names for the cluster. Progress goes to stdout as JSON lines the runner parses
 * (src/stages/sync-shards.ts). On SIGTERM (the pod deleted: cancel, or the Job replacing it) the transfer stops
 * and its unfinished uploads are kept, so the replacement pod continues them; the runner aborts them on cancel.
 */
import { hfPrefix } from '../config/layout.js';
import type { Config } from '../config/types.js';
import { describeError, isPipelineError } from '../errors.js';
import type { HubFile } from '../hf/client.js';
import type { CleanupRecord, Logger, StageContext } from '../pipeline/types.js';
import { syncFileSet, total, type SyncDeps } from './sync.js';
import { formatProgressLine, parseShardPlan, SHARD_ENV, shardIndex, type ShardPlan } from './sync-shards.js';

export interface ShardRunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly deps: SyncDeps;
  /** stdout and stderr, a line at a time. */
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly signal: AbortSignal;
  /** Minimum time between two progress lines of this shard (default 2 s). */
  readonly progressIntervalMs?: number;
}

/** Exit codes: 0 done, 1 the shard failed, 2 the pod is misconfigured (plan or credentials), 143 SIGTERM. */
export const SHARD_EXIT = { ok: 0, failed: 1, config: 2, terminated: 143 } as const;

/** The sync sections of a Config as the pod rebuilds them from the plan and its env (the rest is unused). */
function shardConfig(plan: ShardPlan, env: NodeJS.ProcessEnv): Config {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set: the pod gets it from the sync Secret through envFrom`);
    return v;
  };
  const token = env[SHARD_ENV.ossToken];
  const partial: Pick<Config, 'model' | 'hf' | 'oss' | 'sync'> = {
    model: { repo: plan.repo, revision: plan.revision, name: plan.modelName, version: '' },
    hf: {
      endpoint: plan.hubEndpoint,
      ...(env[SHARD_ENV.hfToken] ? { token: env[SHARD_ENV.hfToken] } : {}),
      include: [],
      exclude: []
    },
    oss: {
      endpoint: plan.ossEndpoint,
      region: plan.region,
      bucket: plan.bucket,
      prefix: plan.ossPrefix,
      accessKeyId: need(SHARD_ENV.ossKeyId),
      accessKeySecret: need(SHARD_ENV.ossKeySecret),
      ...(token ? { securityToken: token } : {}),
      signatureV4: plan.signatureV4,
      clusterEndpoint: plan.ossEndpoint
    },
    sync: {
      ...plan.sync,
      mode: 'runner',
      runnerLocation: 'in-region',
      shards: plan.shards.length,
      parallelism: 1,
      shardRetries: 0,
      image: '',
      hubClusterEndpoint: plan.hubEndpoint
    }
  };
  // The transfer reads only these sections (hfPrefix, the clients, part sizes): the rest stays unset on purpose.
  return partial as Config;
}

/** A logger on stdout/stderr that masks the credentials it was told about. */
function podLogger(out: (l: string) => void, err: (l: string) => void): Logger {
  const secrets: string[] = [];
  const mask = (s: string) => secrets.reduce((t, v) => t.split(v).join('***'), s);
  return {
    info: (m) => out(mask(m)),
    debug: () => undefined,
    warning: (m) => err(mask(`warning: ${m}`)),
    error: (m) => err(mask(`error: ${m}`)),
    group: (_t, fn) => fn(),
    secret: (v) => {
      if (v) secrets.push(v);
    }
  };
}

/** A registry the pod keeps to itself: its unfinished uploads stay for the replacement pod (or the runner). */
class KeptRecords {
  private readonly records: CleanupRecord[] = [];
  add(r: CleanupRecord) {
    this.records.push(r);
  }
  remove(r: CleanupRecord) {
    const i = this.records.findIndex((x) => JSON.stringify(x) === JSON.stringify(r));
    if (i >= 0) this.records.splice(i, 1);
  }
  list() {
    return [...this.records];
  }
}

/** The pod's shard: the plan, its index in it and the Config the transfer reads. */
interface PodShard {
  readonly plan: ShardPlan;
  readonly index: number;
  readonly config: Config;
}

/** Reads the plan, the index and the credentials from the env; throws when the pod is misconfigured. */
function readShard(env: NodeJS.ProcessEnv): PodShard {
  const plan = parseShardPlan(env[SHARD_ENV.plan]);
  const index = shardIndex(env[SHARD_ENV.index], plan);
  return { plan, index, config: shardConfig(plan, env) };
}

/** A misconfigured pod says why on stderr and as a `failed` line of no shard (the runner shows the reason). */
function misconfigured(o: ShardRunOptions, err: unknown): number {
  o.err(`sync-shard: ${describeError(err)}`);
  o.out(
    formatProgressLine({
      shard: -1,
      event: 'failed',
      files: 0,
      filesDone: 0,
      bytes: 0,
      bytesDone: 0,
      reason: describeError(err)
    })
  );
  return SHARD_EXIT.config;
}

/** The shard's progress lines: bytes and files done so far, a `progress` line at most once per interval. */
class ShardReport {
  private readonly positions = new Map<string, number>();
  readonly done = new Set<string>();
  readonly bytes: number;
  private last = -Infinity;
  constructor(
    private readonly log: Logger,
    private readonly index: number,
    readonly files: readonly HubFile[],
    private readonly now: () => number,
    private readonly interval: number
  ) {
    this.bytes = total(files);
  }

  report(event: 'start' | 'progress' | 'file' | 'done', file?: string, extra: object = {}): void {
    let bytesDone = 0;
    for (const f of this.files) bytesDone += this.done.has(f.path) ? f.size : (this.positions.get(f.path) ?? 0);
    this.log.info(
      formatProgressLine({
        shard: this.index,
        event,
        files: this.files.length,
        filesDone: this.done.size,
        bytes: this.bytes,
        bytesDone,
        ...(file ? { file } : {}),
        ...extra
      })
    );
  }

  /** The transfer's hooks: each position moves the bytes done, each finished file gets its line. */
  hooks(): Pick<SyncDeps, 'onPosition' | 'onFileDone'> {
    return {
      onPosition: (file, p) => {
        this.positions.set(file.path, p);
        const t = this.now();
        if (t - this.last < this.interval) return;
        this.last = t;
        this.report('progress', file.path);
      },
      onFileDone: (r) => {
        this.done.add(r.file.path);
        this.report('file', r.file.path, { action: r.action, sentBytes: r.sentBytes });
      }
    };
  }
}

/** The context the runner mode's transfer runs in; its cleanup records stay in the pod. */
function shardContext(o: ShardRunOptions, { plan, config }: PodShard, log: Logger): StageContext {
  return {
    config,
    log,
    signal: o.signal,
    state: { commit: plan.commit },
    cleanup: new KeptRecords(),
    env: o.env
  };
}

/** SIGTERM: stopped, uploads kept for the next pod; else the reason on stderr and as a `failed` line. */
function transferFailed(o: ShardRunOptions, log: Logger, progress: ShardReport, index: number, err: unknown): number {
  const reason = describeError(err);
  if (o.signal.aborted) {
    log.info(
      `shard ${index}: stopped (${describeError(o.signal.reason)}); unfinished uploads are kept for the next pod`
    );
    return SHARD_EXIT.terminated;
  }
  o.err(`sync-shard ${index}: ${reason}`);
  if (isPipelineError(err) && err.hint) o.err(`hint: ${err.hint}`);
  log.info(
    formatProgressLine({
      shard: index,
      event: 'failed',
      files: progress.files.length,
      filesDone: progress.done.size,
      bytes: progress.bytes,
      bytesDone: 0,
      reason
    })
  );
  return SHARD_EXIT.failed;
}

/** The pod's run: read its shard, transfer those files as the runner mode does, report; the exit code. */
export async function runShard(o: ShardRunOptions): Promise<number> {
  const log = podLogger(o.out, o.err);
  let shard: PodShard;
  try {
    shard = readShard(o.env);
  } catch (err) {
    return misconfigured(o, err);
  }
  const { plan, index, config } = shard;
  for (const s of [config.oss.accessKeySecret, config.oss.securityToken, config.hf.token]) if (s) log.secret(s);
  const files: HubFile[] = [...plan.shards[index]];
  const progress = new ShardReport(log, index, files, o.deps.now ?? Date.now, o.progressIntervalMs ?? 2000);
  log.info(
    `shard ${index} of ${plan.shards.length}: ${files.length} files of ${plan.repo}@${plan.commit} into oss://${plan.bucket}/${hfPrefix(config, plan.commit)}`
  );
  progress.report('start');
  try {
    await syncFileSet(
      shardContext(o, shard, log),
      { ...o.deps, ...progress.hooks(), keepUploadsOnCancel: true },
      plan.commit,
      files
    );
  } catch (err) {
    return transferFailed(o, log, progress, index, err);
  }
  progress.report('done');
  return SHARD_EXIT.ok;
}
