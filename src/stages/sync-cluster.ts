/**
 * The sync stage with its two modes (input `sync-mode`). `runner`: src/stages/sync.ts as before. `cluster`: the
 * runner lists the repo at the pinned commit, splits the selected files into shards balanced by bytes and runs
 * an Indexed `batch/v1` Job in the user's namespace, one completion per shard; each pod runs the product's own
 * transfer for its shard (`arena-ft-pipeline sync-shard`, src/stages/sync-shard-pod.ts) against the cluster's
 * endpoints (OSS internal endpoint, the hub or its mirror). The runner follows the pods' progress lines, then
 * checks every object (size and hash metadata, as the runner mode's skip check does) and writes the manifest
 * last, exactly as the runner mode does. A failed shard is retried per index by the Job (backoffLimitPerIndex);
 * past that the stage fails with the shard's reason. Cancel (or a failure) deletes the Job, waits until its pods
 * are gone and aborts the unfinished uploads; a `sync-job` cleanup record lets the post step / CLI do the same.
 */
import pLimit from 'p-limit';
import { hfPrefix, ossUri, syncManifestKey } from '../config/layout.js';
import { joinLabels } from '../config/names.js';
import { PipelineError, describeError } from '../errors.js';
import type { HubFile } from '../hf/client.js';
import { buildManifest, manifestCovers, objectHolds, parseManifest } from '../hf/manifest.js';
import { condition, diagnosePod, isTrue } from '../k8s/diagnose.js';
import { followLog, readTail, type LogFollower } from '../k8s/logs.js';
import {
  SYNC_CONTAINER,
  SYNC_LABEL,
  ownedByJob,
  parseIndexes,
  podIndex,
  syncJob,
  syncObjectNames,
  syncPlanConfigMap,
  syncSecret
} from '../k8s/sync-job.js';
import { CONFIGMAP, JOB, POD, SECRET, type KObj, type KubeApi } from '../k8s/types.js';
import { waitFor, type Snapshot, type Timers, type Verdict } from '../k8s/wait.js';
import type { OssStore } from '../oss/client.js';
import { formatBytes } from '../oss/progress.js';
import { formatDuration } from '../util/format.js';
import { decideSyncMode, modeInputs, runnerAfterClusterFailure, type ModeDecision } from './sync-mode.js';
import type { CleanupRecord, Logger, PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import {
  clients,
  cancelled,
  createSyncStage,
  discover,
  doneOutcome,
  total,
  type FileResult,
  type SyncDeps
} from './sync.js';
import {
  PLAN_KEY,
  SHARD_ENV,
  parseProgressLine,
  planShards,
  type ShardPlan,
  type ShardProgress
} from './sync-shards.js';

export interface ClusterSyncDeps extends SyncDeps {
  /** The Kubernetes API of the run's kubeconfig (the composition root builds it). */
  kube(ctx: Pick<StageContext, 'config' | 'env'>): KubeApi;
  /** Timers of the waits (tests may pass the scenario clock's). */
  readonly timers?: Timers;
  /** How long the Job may run before the stage gives up (default 24 h). */
  readonly jobTimeoutMs?: number;
  /** `sync-mode: auto`'s choice (default: the estimate of src/stages/sync-mode.ts; tests may force one). */
  readonly decide?: typeof decideSyncMode;
}

export type SyncJobRecord = Extract<CleanupRecord, { kind: 'sync-job' }>;

const HEADS_IN_PARALLEL = 16;
const GONE_TIMEOUT_MS = 5 * 60_000;

/** The Job's name: the model and the commit, so a re-run of the same commit finds (and replaces) its Job. */
export function syncJobName(modelName: string, commit: string): string {
  // ≤ 52: `<name>-<index>` (index < 100000) and `<name>-plan` stay DNS labels
  return joinLabels([modelName, commit.slice(0, 8), 'sync'], 52);
}

/** The pod's OSS endpoint: `oss-cluster-endpoint` is a host name (the CSI PV's form) or a URL. */
export function podOssEndpoint(clusterEndpoint: string): string {
  return /^https?:\/\//.test(clusterEndpoint) ? clusterEndpoint.replace(/\/+$/, '') : `https://${clusterEndpoint}`;
}

function shardPlan(ctx: StageContext, commit: string, shards: HubFile[][]): ShardPlan {
  const cfg = ctx.config;
  return {
    version: 1,
    repo: cfg.model.repo,
    revision: cfg.model.revision,
    commit,
    modelName: cfg.model.name,
    ossPrefix: cfg.oss.prefix,
    bucket: cfg.oss.bucket,
    region: cfg.oss.region,
    ossEndpoint: podOssEndpoint(cfg.oss.clusterEndpoint),
    hubEndpoint: cfg.sync.hubClusterEndpoint,
    signatureV4: cfg.oss.signatureV4,
    sync: {
      partSizeBytes: cfg.sync.partSizeBytes,
      partsInFlight: cfg.sync.partsInFlight,
      filesInParallel: cfg.sync.filesInParallel,
      retries: cfg.sync.retries
    },
    shards: shards.map((s) => s.map((f) => ({ ...f })))
  };
}

/** Every object at `prefix` holds its file (size and hash metadata); the files that do not. */
async function missingObjects(store: OssStore, prefix: string, files: readonly HubFile[]) {
  const limit = pLimit(HEADS_IN_PARALLEL);
  const heads = await Promise.all(
    files.map((f) => limit(async () => ({ f, head: await store.head(prefix + f.path) })))
  );
  return {
    bad: heads.filter(({ f, head }) => !objectHolds(head, f)).map(({ f }) => f),
    sha256: new Map(heads.map(({ f, head }) => [f.path, f.sha256 ?? head?.meta.sha256 ?? ''])) as Map<string, string>
  };
}

/** Waits until no pod of the sync Job is left (being deleted counts as left: it may still upload). */
async function podsGone(api: KubeApi, namespace: string, name: string, timers?: Timers): Promise<void> {
  await waitFor({
    api,
    sources: { pods: { type: POD, namespace, selector: { labelSelector: `${SYNC_LABEL}=${name}` } } },
    check: (s) => (s.pods.length === 0 ? { done: true } : undefined),
    timeoutMs: GONE_TIMEOUT_MS,
    ...(timers ? { timers } : {})
  });
}

/**
 * Undoes a sync Job: deletes it (its pods with it), waits until the pods are gone, aborts every unfinished upload
 * under the sync's prefix, deletes its Secret and ConfigMap. The stage's cancel and failure paths and the
 * `sync-job` cleanup handler (post step, CLI) all run this.
 */
export async function removeSyncJob(
  api: KubeApi,
  store: Pick<OssStore, 'listUploads' | 'abort'>,
  rec: SyncJobRecord,
  log: Pick<Logger, 'info' | 'warning'>,
  timers?: Timers
): Promise<'deleted' | 'already-gone'> {
  const had = await api.delete(JOB, rec.namespace, rec.name);
  // the Job's pods go with it (Background propagation: the garbage collector deletes them, each gets SIGTERM)
  const pods = await api.list(POD, rec.namespace, { labelSelector: `${SYNC_LABEL}=${rec.name}` });
  await podsGone(api, rec.namespace, rec.name, timers);
  const uploads = await store.listUploads(rec.prefix);
  for (const u of uploads) await store.abort(u.key, u.uploadId);
  if (uploads.length > 0)
    log.info(`aborted ${uploads.length} unfinished upload(s) under oss://${rec.bucket}/${rec.prefix}`);
  const names = syncObjectNames(rec.name);
  await api.delete(SECRET, rec.namespace, names.secret);
  await api.delete(CONFIGMAP, rec.namespace, names.configMap);
  return had || pods.items.length > 0 ? 'deleted' : 'already-gone';
}

/** Live progress of each shard, from the pods' progress lines (the newest pod of an index wins). */
class ShardBoard {
  private readonly last = new Map<number, ShardProgress>();
  /** path → how the file got into OSS (a later pod's word replaces an earlier one's). */
  readonly actions = new Map<string, { action: FileResult['action']; sentBytes: number }>();
  constructor(
    private readonly log: Logger,
    private readonly shards: readonly HubFile[][]
  ) {}

  line(pod: string, text: string): void {
    const p = parseProgressLine(text);
    if (!p) {
      this.log.debug(`  ${pod}: ${text}`);
      return;
    }
    if (p.shard < 0 || p.shard >= this.shards.length) return;
    this.last.set(p.shard, p);
    const pct = p.bytes > 0 ? Math.floor((p.bytesDone / p.bytes) * 100) : 100;
    const head = `shard ${p.shard}: ${p.filesDone}/${p.files} files, ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytes)} (${pct}%)`;
    if (p.event === 'file' && p.file) {
      const action = p.action ?? 'sent';
      this.actions.set(p.file, { action, sentBytes: p.sentBytes ?? 0 });
      this.log.info(`${head}; ${action} ${p.file}`);
    } else if (p.event === 'start')
      this.log.info(`shard ${p.shard}: started in pod ${pod} (${p.files} files, ${formatBytes(p.bytes)})`);
    else if (p.event === 'done') this.log.info(`${head}; done`);
    else if (p.event === 'failed')
      this.log.warning(`shard ${p.shard} (pod ${pod}) failed: ${p.reason ?? 'no reason given'}`);
    else this.log.info(`${head}${p.file ? `; ${p.file}` : ''}`);
  }
}

class ShardFailed extends Error {}

/** Why a shard failed: the reason its last pod printed, else the pod's terminated state and last log lines. */
async function shardFailure(
  api: KubeApi,
  ctx: StageContext,
  name: string,
  shards: readonly HubFile[][],
  job: KObj,
  tails: Map<string, string[]>
): Promise<PipelineError> {
  const ns = ctx.config.cluster.namespace;
  const failed = parseIndexes(job.status?.failedIndexes as string | undefined);
  const pods = (await api.list(POD, ns, { labelSelector: `${SYNC_LABEL}=${name}` })).items;
  const reasons: string[] = [];
  const indexes =
    failed.length > 0
      ? failed
      : [...new Set(pods.filter((p) => p.status?.phase === 'Failed').map((p) => podIndex(p) ?? -1))];
  for (const i of indexes.filter((x) => x >= 0)) {
    const mine = pods
      .filter((p) => podIndex(p) === i && p.status?.phase === 'Failed')
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    const pod = mine[mine.length - 1];
    const files = shards[i] ?? [];
    const what = `shard ${i} of ${shards.length} (${files.length} files, ${formatBytes(total(files))}: ${files
      .slice(0, 3)
      .map((f) => f.path)
      .join(', ')}${files.length > 3 ? ', …' : ''})`;
    if (!pod) {
      reasons.push(`${what}: ${String(condition(job, 'Failed')?.message ?? 'failed')}`);
      continue;
    }
    const term = (
      pod.status?.containerStatuses as
        { state?: { terminated?: { exitCode?: number; reason?: string; message?: string } } }[] | undefined
    )?.[0]?.state?.terminated;
    const tail = tails.get(pod.metadata.name) ?? (await readTail(api, ns, pod.metadata.name, 20, SYNC_CONTAINER));
    const said = [...tail]
      .reverse()
      .map(parseProgressLine)
      .find((p) => p?.event === 'failed')?.reason;
    const lastLines = tail
      .filter((l) => !parseProgressLine(l))
      .slice(-3)
      .join(' | ');
    const state = term
      ? `exit code ${term.exitCode ?? '?'}, ${term.reason ?? 'terminated'}${term.message ? `: ${term.message}` : ''}`
      : `phase ${pod.status?.phase}`;
    reasons.push(
      `${what} failed in pod ${pod.metadata.name} (${state}): ${(said ?? (lastLines || 'no log')).replace(/[.\s]+$/, '')}`
    );
  }
  const retries = ctx.config.sync.shardRetries;
  return new PipelineError(
    'SYNC_SHARD_FAILED',
    `The sync Job ${ns}/${name} failed after ${retries + 1} attempt(s) per shard: ${reasons.join('; ') || String(condition(job, 'Failed')?.message ?? 'no reason recorded')}. Its pods were deleted and unfinished uploads aborted; files already complete in OSS are kept.`,
    'Read the shard’s reason above; fix it (endpoint, credentials, image) and re-run: finished files are skipped.'
  );
}

/** What the steps of one cluster-mode run share: the clients, the version to sync, its shards and its Job. */
interface ClusterRun {
  readonly ctx: StageContext;
  readonly deps: ClusterSyncDeps;
  readonly api: KubeApi;
  readonly store: OssStore;
  readonly commit: string;
  readonly selected: HubFile[];
  readonly prefix: string;
  readonly outputs: { 'hf-commit': string; 'oss-hf-uri': string };
  readonly shards: HubFile[][];
  readonly ns: string;
  readonly name: string;
  readonly record: SyncJobRecord;
  readonly now: () => number;
  readonly started: number;
}

/** The log followers of the Job's pods; once stopped, the last lines of each (a failed shard's reason). */
class PodFollowers {
  private readonly followers = new Map<string, LogFollower>();
  readonly tails = new Map<string, string[]>();
  constructor(
    private readonly run: ClusterRun,
    readonly board: ShardBoard
  ) {}

  /** Starts following a pod once its container exists (once per pod; not one being deleted). */
  follow(pod: KObj): void {
    const { api, ns, deps } = this.run;
    const podName = pod.metadata.name;
    if (this.followers.has(podName) || pod.metadata.deletionTimestamp) return;
    if (pod.status?.phase === 'Pending' && !pod.status?.containerStatuses) return;
    this.followers.set(
      podName,
      followLog(api, ns, podName, SYNC_CONTAINER, {
        onLine: (l) => this.board.line(podName, l),
        keep: 50,
        finished: async () => {
          const p = await api.get(POD, ns, podName);
          return !p || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
        },
        ...(deps.sleep ? { sleep: deps.sleep } : {})
      })
    );
  }

  /** Lets each follower read the lines after the last change (the "done" line), for at most 2 s. */
  async drain(): Promise<void> {
    await Promise.all(
      [...this.followers.values()].map((f) => Promise.race([f.done, new Promise((r) => setTimeout(r, 2000).unref())]))
    );
  }

  /** Stops every follower and keeps its last lines. */
  async stop(): Promise<void> {
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
    for (const [pod, f] of this.followers) this.tails.set(pod, f.tail());
  }
}

/** The skipped outcome when a manifest covers this version and every object still holds its file. */
async function checkedEarlierSync(
  store: OssStore,
  cfg: StageContext['config'],
  commit: string,
  selected: HubFile[],
  prefix: string,
  outputs: ClusterRun['outputs']
): Promise<StageOutcome | undefined> {
  const manifest = parseManifest(await store.getText(syncManifestKey(cfg, commit)));
  if (!manifest || !manifestCovers(manifest, commit, selected)) return undefined;
  const { bad } = await missingObjects(store, prefix, selected);
  if (bad.length > 0) return undefined;
  return {
    status: 'skipped',
    summary: `${manifest.files.length} files (${formatBytes(total(manifest.files))}) already in ${outputs['oss-hf-uri']}, checked`,
    details: { files: manifest.files.length, bytes: total(manifest.files), commit },
    outputs
  };
}

/** The shards and the Job's name and cleanup record, announced in the log. */
function planRun(r: Omit<ClusterRun, 'shards' | 'ns' | 'name' | 'record'>): ClusterRun {
  const cfg = r.ctx.config;
  const ns = cfg.cluster.namespace;
  const shards = planShards(r.selected, cfg.sync.shards);
  const name = syncJobName(cfg.model.name, r.commit);
  const record: SyncJobRecord = { kind: 'sync-job', namespace: ns, name, bucket: cfg.oss.bucket, prefix: r.prefix };
  r.ctx.log.info(
    `sync in the cluster: Job ${ns}/${name}, ${shards.length} shards (${shards.map((s) => formatBytes(total(s))).join(', ')}), ${Math.min(cfg.sync.parallelism, shards.length)} at a time, image ${cfg.sync.image}`
  );
  return { ...r, shards, ns, name, record };
}

/** A Job of this name left by an earlier run (its spec is immutable): replaced; its uploads are continued. */
async function replaceLeftJob({ api, ctx, ns, name, deps }: ClusterRun): Promise<void> {
  if (!(await api.get(JOB, ns, name))) return;
  ctx.log.info(`replacing Job ${ns}/${name} left by an earlier run (finished files and uploaded parts are kept)`);
  await api.delete(JOB, ns, name);
  await podsGone(api, ns, name, deps.timers);
}

/** Applies the plan's ConfigMap, the credentials' Secret and the Indexed Job, which then owns the other two. */
async function createJob(run: ClusterRun): Promise<KObj> {
  const { api, ctx, ns, name, shards } = run;
  const cfg = ctx.config;
  const plan = JSON.stringify(shardPlan(ctx, run.commit, shards));
  const creds = {
    [SHARD_ENV.ossKeyId]: cfg.oss.accessKeyId,
    [SHARD_ENV.ossKeySecret]: cfg.oss.accessKeySecret,
    [SHARD_ENV.ossToken]: cfg.oss.securityToken,
    [SHARD_ENV.hfToken]: cfg.hf.token
  };
  const cm = syncPlanConfigMap(name, ns, PLAN_KEY, plan);
  const secret = syncSecret(name, ns, creds);
  await api.apply(cm, { force: true });
  await api.apply(secret, { force: true });
  const job = await api.apply(
    syncJob({
      name,
      namespace: ns,
      image: cfg.sync.image,
      completions: shards.length,
      parallelism: cfg.sync.parallelism,
      backoffLimitPerIndex: cfg.sync.shardRetries,
      planEnv: SHARD_ENV.plan,
      planKey: PLAN_KEY
    }),
    { force: true }
  );
  // the Secret and the ConfigMap go with the Job (garbage collector), whatever happens to this runner
  await api.apply(ownedByJob(cm, job), { force: true });
  await api.apply(ownedByJob(secret, job), { force: true });
  return job;
}

/** The error when a shard pod cannot pull the sync image (it would wait forever otherwise). */
function imagePullFailure({ ns, name }: ClusterRun, pods: readonly KObj[]): PipelineError | undefined {
  for (const p of pods) {
    const d = diagnosePod(p);
    if (d?.code === 'IMAGE_PULL') {
      return new PipelineError(
        'SYNC_IMAGE_PULL',
        `A sync shard pod of Job ${ns}/${name} cannot start: ${d.message}.`,
        `Set sync-image to an image the cluster can pull (build it with the repository's Dockerfile; from China push it to ACR). ${d.hint}`
      );
    }
  }
  return undefined;
}

/** The wait's verdict on each change: follows new pods; done when complete; fails when failed, deleted or stuck. */
function jobVerdict(run: ClusterRun, job: KObj, followers: PodFollowers) {
  const { ns, name } = run;
  let seen = false;
  return (s: Snapshot<'job' | 'pods'>): Verdict<KObj> => {
    for (const p of s.pods) followers.follow(p);
    const j = s.job.find((x) => x.metadata.uid === job.metadata.uid);
    if (!j && !seen) return undefined; // not in a (lagging) list yet
    if (!j) {
      // deleted by someone else (the post step's cleanup of a run it thinks is over, a person)
      return {
        fail: new PipelineError(
          'SYNC_JOB_DELETED',
          `The sync Job ${ns}/${name} was deleted before it completed; no manifest was written.`,
          'Re-run the sync: files already complete in OSS are kept and skipped.'
        )
      };
    }
    seen = true;
    if (isTrue(j, 'Complete')) return { done: j };
    if (isTrue(j, 'Failed') || isTrue(j, 'FailureTarget')) return { fail: new ShardFailed(j.metadata.name) };
    const pull = imagePullFailure(run, s.pods);
    return pull ? { fail: pull } : undefined;
  };
}

/** Follows the Job and its pods until it completes; a failed shard, cancel or timeout stops the followers. */
async function awaitJob(run: ClusterRun, job: KObj, followers: PodFollowers): Promise<KObj> {
  const { api, ctx, deps, ns, name } = run;
  const selector = { labelSelector: `${SYNC_LABEL}=${name}` };
  try {
    return await waitFor<'job' | 'pods', KObj>({
      api,
      sources: { job: { type: JOB, namespace: ns, selector }, pods: { type: POD, namespace: ns, selector } },
      check: jobVerdict(run, job, followers),
      timeoutMs: deps.jobTimeoutMs ?? 24 * 3600_000,
      signal: ctx.signal,
      ...(deps.timers ? { timers: deps.timers } : {})
    });
  } catch (err) {
    await followers.stop();
    if (ctx.signal.aborted) throw cancelled(ctx.signal.reason);
    if (err instanceof ShardFailed) {
      const j = (await api.get(JOB, ns, name)) ?? job;
      throw await shardFailure(api, ctx, name, run.shards, j, followers.tails);
    }
    throw err;
  }
}

/** Every object holds its file (size and hash metadata), else no manifest; the sha256 of each file. */
async function verifyObjects({ store, prefix, selected, outputs }: ClusterRun): Promise<Map<string, string>> {
  const { bad, sha256 } = await missingObjects(store, prefix, selected);
  if (bad.length > 0) {
    throw new PipelineError(
      'SYNC_VERIFY_FAILED',
      `After the sync Job completed, ${bad.length} object(s) under ${outputs['oss-hf-uri']} do not hold their file (size or hash metadata): ${bad
        .slice(0, 5)
        .map((f) => f.path)
        .join(', ')}. No manifest was written.`,
      'Something else writes to this prefix, or a shard pod ran another version of the image; re-run (finished files are kept).'
    );
  }
  return sha256;
}

/** Writes the manifest, last, with how each file got into OSS as the pods said it. */
async function writeManifest(run: ClusterRun, board: ShardBoard, sha256: Map<string, string>): Promise<FileResult[]> {
  const cfg = run.ctx.config;
  const done: FileResult[] = run.selected.map((file) => {
    const a = board.actions.get(file.path);
    return { file, sha256: sha256.get(file.path) ?? '', action: a?.action ?? 'kept', sentBytes: a?.sentBytes ?? 0 };
  });
  const m = buildManifest(cfg.model.repo, cfg.model.revision, run.commit, done, new Date(run.now()));
  await run.store.putObject(
    syncManifestKey(cfg, run.commit),
    Buffer.from(JSON.stringify(m, null, 2) + '\n'),
    { 'hf-commit': run.commit },
    'application/json'
  );
  return done;
}

/** Done: the Job (its pods with it), and the credentials at once rather than when the garbage collector gets to them. */
async function deleteFinishedJob({ api, ctx, ns, name, record }: ClusterRun): Promise<void> {
  const names = syncObjectNames(name);
  await api.delete(JOB, ns, name);
  await api.delete(SECRET, ns, names.secret);
  await api.delete(CONFIGMAP, ns, names.configMap);
  ctx.cleanup.remove(record);
}

/** After a failure or cancel: the Job, its pods and unfinished uploads removed; else left to the post step. */
async function undoJob({ api, store, ctx, ns, name, record, deps }: ClusterRun): Promise<void> {
  try {
    await removeSyncJob(api, store, record, ctx.log, deps.timers);
    ctx.cleanup.remove(record);
  } catch (cleanupErr) {
    ctx.log.warning(`could not remove sync Job ${ns}/${name} (${describeError(cleanupErr)}); the post step retries`);
  }
}

/** Runs the Job to its end, checks every object and writes the manifest; a failure or cancel undoes the Job. */
async function runJob(run: ClusterRun): Promise<StageOutcome> {
  const { ctx, ns, name } = run;
  const followers = new PodFollowers(run, new ShardBoard(ctx.log, run.shards));
  try {
    const job = await createJob(run);
    const finalJob = await awaitJob(run, job, followers);
    await followers.drain();
    await followers.stop();
    ctx.log.info(
      `Job ${ns}/${name} complete: shards ${String(finalJob.status?.completedIndexes ?? '')} in ${formatDuration(run.now() - run.started)}; checking every object`
    );
    const sha256 = await verifyObjects(run);
    const done = await writeManifest(run, followers.board, sha256);
    await deleteFinishedJob(run);
    const out = doneOutcome(done, run.now() - run.started, run.outputs, run.commit);
    return { ...out, details: { ...out.details, mode: 'cluster', shards: run.shards.length, job: `${ns}/${name}` } };
  } catch (err) {
    await followers.stop();
    await undoJob(run);
    throw err;
  }
}

/** The cluster mode: discover, skip a checked earlier sync, else run the shards' Job and write the manifest last. */
async function runCluster(ctx: StageContext, deps: ClusterSyncDeps): Promise<StageOutcome> {
  const cfg = ctx.config;
  const now = deps.now ?? Date.now;
  const started = now();
  // OSS and hub calls here are short (list, HEADs, the manifest) and must still work while cancelling
  const { hub, store } = clients(ctx, deps, new AbortController().signal);
  const api = deps.kube(ctx);
  const { commit, selected } = await discover({ ctx, cfg, hub });
  const prefix = hfPrefix(cfg, commit);
  const outputs = { 'hf-commit': commit, 'oss-hf-uri': ossUri(cfg, prefix) };
  const earlier = await checkedEarlierSync(store, cfg, commit, selected, prefix, outputs);
  if (earlier) return earlier;
  await hub.checkDownloadAccess(cfg.model.repo, commit, selected[0].path);
  if (ctx.signal.aborted) throw cancelled(ctx.signal.reason);
  const run = planRun({ ctx, deps, api, store, commit, selected, prefix, outputs, now, started });
  await replaceLeftJob(run);
  ctx.cleanup.add(run.record);
  return runJob(run);
}

async function planCluster(ctx: StageContext, deps: ClusterSyncDeps, runner: Stage): Promise<PlanLine> {
  const line = await runner.plan(ctx);
  const cfg = ctx.config;
  if (line.action === 'skip') return line;
  const { hub } = clients(ctx, deps, ctx.signal);
  const { commit, selected } = await discover({ ctx, cfg, hub });
  const shards = planShards(selected, cfg.sync.shards);
  const why = `sync-mode cluster: ${shards.length} pods of ${cfg.sync.image} stream from ${cfg.sync.hubClusterEndpoint} to ${podOssEndpoint(cfg.oss.clusterEndpoint)} next to the bucket; this runner only lists, follows and verifies`;
  return {
    ...line,
    reason: `${line.reason}, in the cluster as Indexed Job ${cfg.cluster.namespace}/${syncJobName(cfg.model.name, commit)}`,
    detail: [
      why,
      ...shards.map((s, i) => `  shard ${i}: ${s.length} files, ${formatBytes(total(s))}`),
      ...(line.detail ?? [])
    ]
  };
}

/**
 * The hub client of one `sync-mode: auto` run answers the revision and the listing from the first call: auto
 * lists to decide, and the chosen mode's own listing must not cost the hub a second one.
 */
function withListingCache(deps: ClusterSyncDeps): ClusterSyncDeps {
  const memo = new Map<string, Promise<unknown>>();
  const cached = new Set<PropertyKey>(['resolveRevision', 'listFiles']);
  const hub: SyncDeps['clients']['hub'] = (opts) =>
    new Proxy(deps.clients.hub(opts), {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (!cached.has(prop)) return value.bind(target);
        return (...args: unknown[]) => {
          const key = `${String(prop)} ${JSON.stringify(args)}`;
          const hit = memo.get(key) ?? (value.apply(target, args) as Promise<unknown>);
          memo.set(key, hit);
          hit.catch(() => memo.delete(key));
          return hit;
        };
      }
    });
  return { ...deps, clients: { ...deps.clients, hub } };
}

/** A context whose info and debug lines are dropped (auto's own listing: the chosen mode logs its own). */
function quiet(ctx: StageContext): StageContext {
  const log: Logger = {
    info: () => undefined,
    debug: () => undefined,
    warning: (m) => ctx.log.warning(m),
    error: (m) => ctx.log.error(m),
    group: (title, fn) => ctx.log.group(title, fn),
    secret: (v) => ctx.log.secret(v)
  };
  return { ...ctx, log };
}

/** Which mode this sync runs in and why (src/stages/sync-mode.ts), from the selected files. */
async function decide(ctx: StageContext, deps: ClusterSyncDeps): Promise<ModeDecision> {
  const { hub } = clients(ctx, deps, ctx.signal);
  const { selected } = await discover({ ctx: quiet(ctx), cfg: ctx.config, hub });
  return (deps.decide ?? decideSyncMode)(modeInputs(ctx.config, ctx.env), selected);
}

function withMode(out: StageOutcome, d: ModeDecision): StageOutcome {
  return {
    ...out,
    summary: `${out.summary} (sync-mode auto: ${d.mode})`,
    details: { ...out.details, mode: d.mode, 'mode reason': d.reason }
  };
}

/**
 * `sync-mode: auto`: decide, then run that mode. A cluster sync that fails in the cluster (an image it cannot
 * pull, no permission for Jobs, a shard past its retries) has already deleted its Job and aborted its uploads: the
 * runner then syncs, keeping every object the pods completed (`runnerAfterClusterFailure`).
 */
async function runAuto(ctx: StageContext, base: ClusterSyncDeps): Promise<StageOutcome> {
  const deps = withListingCache(base);
  const d = await decide(ctx, deps);
  ctx.log.info(`sync-mode auto → ${d.reason}`);
  if (d.mode === 'runner') return withMode(await createSyncStage(deps).run(ctx), d);
  try {
    return withMode(await runCluster(ctx, deps), d);
  } catch (err) {
    if (ctx.signal.aborted || !(err instanceof PipelineError) || !runnerAfterClusterFailure(err.code)) throw err;
    ctx.log.warning(
      `sync-mode auto: the cluster sync failed (${err.code}: ${err.message}); syncing on this runner instead`
    );
    const reason = `runner, after the cluster sync failed (${err.code}); ${d.reason}`;
    return withMode(await createSyncStage(deps).run(ctx), { ...d, mode: 'runner', reason });
  }
}

async function planAuto(ctx: StageContext, base: ClusterSyncDeps): Promise<PlanLine> {
  const deps = withListingCache(base);
  const d = await decide(ctx, deps);
  const runner = createSyncStage(deps);
  const line = d.mode === 'cluster' ? await planCluster(ctx, deps, runner) : await runner.plan(ctx);
  if (line.action === 'skip') return line;
  return {
    ...line,
    reason: d.mode === 'cluster' ? line.reason : `${line.reason}, on this runner`,
    detail: [`sync-mode auto → ${d.reason}`, ...(line.detail ?? [])]
  };
}

/** The sync stage of both modes (the composition root passes the Kubernetes API for the cluster mode). */
export function createModalSyncStage(deps: ClusterSyncDeps): Stage {
  const runner = createSyncStage(deps);
  const run = (ctx: StageContext): Promise<StageOutcome> => {
    if (ctx.config.sync.mode === 'auto') return runAuto(ctx, deps);
    return ctx.config.sync.mode === 'cluster' ? runCluster(ctx, deps) : runner.run(ctx);
  };
  return {
    name: 'sync',
    run,
    plan: async (ctx) => {
      if (ctx.config.sync.mode === 'auto') return planAuto(ctx, deps);
      if (ctx.config.sync.mode === 'cluster') return planCluster(ctx, deps, runner);
      const line = await runner.plan(ctx);
      if (line.action === 'skip' || !line.detail) return line;
      return {
        ...line,
        detail: ['sync-mode runner: this runner streams every byte from the hub to OSS', ...line.detail]
      };
    }
  };
}
