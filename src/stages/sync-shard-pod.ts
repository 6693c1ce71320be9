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

export async function runShard(o: ShardRunOptions): Promise<number> {
  const log = podLogger(o.out, o.err);
  let plan: ShardPlan;
  let index: number;
  let config: Config;
  try {
    plan = parseShardPlan(o.env[SHARD_ENV.plan]);
    index = shardIndex(o.env[SHARD_ENV.index], plan);
    config = shardConfig(plan, o.env);
  } catch (err) {
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
  for (const s of [config.oss.accessKeySecret, config.oss.securityToken, config.hf.token]) if (s) log.secret(s);
  const files: HubFile[] = [...plan.shards[index]];
  const bytes = total(files);
  const positions = new Map<string, number>();
  const done = new Set<string>();
  const now = o.deps.now ?? Date.now;
  const interval = o.progressIntervalMs ?? 2000;
  let last = -Infinity;
  const report = (event: 'start' | 'progress' | 'file' | 'done', file?: string, extra: object = {}) => {
    let bytesDone = 0;
    for (const f of files) bytesDone += done.has(f.path) ? f.size : (positions.get(f.path) ?? 0);
    log.info(
      formatProgressLine({
        shard: index,
        event,
        files: files.length,
        filesDone: done.size,
        bytes,
        bytesDone,
        ...(file ? { file } : {}),
        ...extra
      })
    );
  };
  log.info(
    `shard ${index} of ${plan.shards.length}: ${files.length} files of ${plan.repo}@${plan.commit} into oss://${plan.bucket}/${hfPrefix(config, plan.commit)}`
  );
  report('start');
  const ctx: StageContext = {
    config,
    log,
    signal: o.signal,
    state: { commit: plan.commit },
    cleanup: new KeptRecords(),
    env: o.env
  };
  try {
    await syncFileSet(
      ctx,
      {
        ...o.deps,
        onPosition: (file, p) => {
          positions.set(file.path, p);
          const t = now();
          if (t - last < interval) return;
          last = t;
          report('progress', file.path);
        },
        onFileDone: (r) => {
          done.add(r.file.path);
          report('file', r.file.path, { action: r.action, sentBytes: r.sentBytes });
        }
      },
      plan.commit,
      files
    );
  } catch (err) {
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
        files: files.length,
        filesDone: done.size,
        bytes,
        bytesDone: 0,
        reason
      })
    );
    return SHARD_EXIT.failed;
  }
  report('done');
  return SHARD_EXIT.ok;
}
