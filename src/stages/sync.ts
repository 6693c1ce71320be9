/**
 * sync: the HF repo at a pinned commit, streamed into OSS under `hfPrefix(cfg, commit)`, verified, resumable,
 * with no runner disk. Resolve the revision → list and select files → skip if a valid manifest's objects are all
 * there → for each file: keep (same size and hash), copy server-side from an earlier commit, or stream it (hashes
 * checked before the upload completes) → write the manifest last.
 */
import pLimit from 'p-limit';
import type { Config } from '../config/types.js';
import { hfModelPrefix, hfPrefix, manifestKeyIn, ossUri, syncManifestKey } from '../config/layout.js';
import { PipelineError, describeError } from '../errors.js';
import type { CleanupRecord, PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import type { HubClient, HubClientOptions, HubFile } from '../hf/client.js';
import { isRetryableHubError } from '../hf/errors.js';
import {
  buildManifest,
  findEarlierCopy,
  manifestCovers,
  objectHolds,
  objectMeta,
  parseManifest,
  type SyncManifest
} from '../hf/manifest.js';
import { checkParallelism, readModelShape, SUPPORTED_MODELS } from '../hf/model-config.js';
import { selectFiles } from '../hf/select.js';
import type { OssConnection, OssStore, OssStoreOptions } from '../oss/client.js';
import type { Digests } from '../oss/digest.js';
import { FileProgress, formatBytes, formatRate } from '../oss/progress.js';
import { formatDuration } from '../util/format.js';
import { checkPartCount, PartPool, Uploader, type UploadEvents, type UploadSpec } from '../oss/upload.js';

/** The clients the sync stage uses (src/composition/sync.ts builds the real ones). */
export interface SyncClients {
  hub(opts: HubClientOptions): HubClient;
  oss(conn: OssConnection, opts: OssStoreOptions): OssStore;
}

export interface SyncDeps {
  readonly clients: SyncClients;
  /** Backoff sleep of every retry (tests inject one that does not wait). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Minimum time between two progress lines of one file. */
  readonly progressIntervalMs?: number;
  /** A hub request that receives nothing for this long is retried. */
  readonly stallMs?: number;
  /** Bytes of a file read so far (cluster mode: a shard pod reports them to the runner). */
  readonly onPosition?: (file: HubFile, position: number) => void;
  /** A file is in OSS (sent, kept or copied). */
  readonly onFileDone?: (result: FileResult) => void;
  /**
   * On cancel, leave unfinished multipart uploads open (a shard pod on SIGTERM: its replacement continues them, and
   * the runner aborts them if the whole sync is cancelled). Otherwise a cancelled upload is aborted at once.
   */
  readonly keepUploadsOnCancel?: boolean;
}

export type FileResult = { file: HubFile; sha256: string; action: 'kept' | 'copied' | 'sent'; sentBytes: number };

interface Run {
  readonly ctx: StageContext;
  readonly cfg: Config;
  readonly hub: HubClient;
  readonly store: OssStore;
  readonly deps: Required<Pick<SyncDeps, 'now' | 'progressIntervalMs'>> & SyncDeps;
  readonly signal: AbortSignal;
}

const HEADS_IN_PARALLEL = 16;
const COPY_LIMIT = 1024 ** 3; // CopyObject's limit; larger files are streamed again

export function clients(ctx: StageContext, deps: SyncDeps, signal: AbortSignal) {
  const cfg = ctx.config;
  const attempts = Math.max(1, cfg.sync.retries);
  const onRetry = (what: string, err: unknown, attempt: number, delay: number) =>
    ctx.log.info(
      `  retrying ${what} in ${formatDuration(delay)} (attempt ${attempt + 1} of ${attempts}): ${describeError(err)}`
    );
  if (cfg.hf.token) ctx.log.secret(cfg.hf.token);
  const hub = deps.clients.hub({
    endpoint: cfg.hf.endpoint,
    token: cfg.hf.token,
    attempts,
    stallMs: deps.stallMs,
    signal,
    sleep: deps.sleep,
    random: deps.random,
    now: deps.now,
    onRetry
  });
  // Built on first use: a plan without OSS credentials lists the hub and never touches OSS.
  let store: OssStore | undefined;
  return {
    hub,
    get store(): OssStore {
      store ??= deps.clients.oss(cfg.oss, { attempts, signal, sleep: deps.sleep, random: deps.random, onRetry });
      return store;
    }
  };
}

/** Resolve, list, select: what this version of the model consists of. */
export async function discover(
  r: Pick<Run, 'ctx' | 'cfg' | 'hub'>
): Promise<{ commit: string; files: HubFile[]; selected: HubFile[]; gated: boolean }> {
  const { cfg, hub, ctx } = r;
  const info = await hub.resolveRevision(cfg.model.repo, cfg.model.revision);
  ctx.state.commit = info.commit;
  const files = await hub.listFiles(cfg.model.repo, info.commit);
  const { selected, left } = selectFiles(files, cfg.hf.include, cfg.hf.exclude);
  ctx.log.info(
    `${cfg.model.repo}@${cfg.model.revision} is commit ${info.commit}: ${files.length} files, ${selected.length} selected (${formatBytes(total(selected))})`
  );
  for (const l of left) ctx.log.debug(`  not synced: ${l.path} (${l.why})`);
  if (selected.length === 0) {
    throw new PipelineError(
      'SYNC_NOTHING_SELECTED',
      `No file of ${cfg.model.repo} at ${info.commit} matches the include/exclude patterns.`,
      'Check the hf-include and hf-exclude inputs (minimatch globs; a pattern without "/" matches file names in any folder).'
    );
  }
  return { commit: info.commit, files, selected, gated: info.gated !== false };
}

export const total = (files: readonly { size: number }[]) => files.reduce((s, f) => s + f.size, 0);

/** Every object of a manifest is there with the recorded size and hash (parallel HEADs). */
async function manifestStillValid(r: Run, manifest: SyncManifest, prefix: string): Promise<boolean> {
  const limit = pLimit(HEADS_IN_PARALLEL);
  const checks = manifest.files.map((f) =>
    limit(async () => {
      const head = await r.store.head(prefix + f.path);
      if (head === undefined || head.size !== f.size) return false;
      return f.lfs ? head.meta.sha256 === f.sha256 : head.meta['git-oid'] === f.gitOid;
    })
  );
  return (await Promise.all(checks)).every(Boolean);
}

/** Manifests of other synced commits of this model: sources for server-side copies of unchanged files. */
async function earlierManifests(r: Run, commit: string): Promise<{ prefix: string; manifest: SyncManifest }[]> {
  const { prefixes } = await r.store.list(hfModelPrefix(r.cfg), '/');
  const others = prefixes.filter((p) => p !== hfPrefix(r.cfg, commit)).slice(-20);
  const found = await Promise.all(
    others.map(async (prefix) => ({
      prefix,
      manifest: parseManifest(await r.store.getText(manifestKeyIn(prefix)))
    }))
  );
  return found.filter((f): f is { prefix: string; manifest: SyncManifest } => f.manifest !== undefined);
}

function hashMismatch(file: HubFile, d: Digests): PipelineError | undefined {
  const [kind, want, got] =
    file.sha256 !== undefined ? ['sha256', file.sha256, d.sha256] : ['git blob sha1', file.gitOid, d.gitSha1];
  if (want === got && d.size === file.size) return undefined;
  return new PipelineError(
    'SYNC_HASH_MISMATCH',
    `${file.path}: the bytes downloaded do not match the hub's listing (${kind} ${got}, expected ${want}; ${d.size} bytes, expected ${file.size}). The upload was aborted; nothing was written.`,
    'The download was corrupted in transit twice, or the mirror serves other content than it lists; re-run, or use hf-endpoint https://huggingface.co.'
  );
}

async function syncFile(
  r: Run,
  uploader: Uploader,
  file: HubFile,
  commit: string,
  prefix: string,
  resumeId: string | undefined,
  earlier: { prefix: string; manifest: SyncManifest }[]
): Promise<FileResult> {
  const key = prefix + file.path;
  const head = await r.store.head(key);
  if (objectHolds(head, file)) {
    r.ctx.log.info(`skipped ${file.path} (${formatBytes(file.size)}): already in OSS with the same hash`);
    return { file, sha256: head!.meta.sha256, action: 'kept', sentBytes: 0 };
  }
  return (
    (await copyFromEarlierCommit(r, file, commit, key, earlier)) ??
    (await streamFile(r, uploader, file, commit, key, resumeId))
  );
}

/** A server-side copy of the same file from an earlier synced commit, when there is one (else undefined). */
async function copyFromEarlierCommit(
  r: Run,
  file: HubFile,
  commit: string,
  key: string,
  earlier: { prefix: string; manifest: SyncManifest }[]
): Promise<FileResult | undefined> {
  const source = findEarlierCopy(earlier, file);
  if (!source || file.size > COPY_LIMIT || !objectHolds(await r.store.head(source.key), file)) return undefined;
  try {
    await r.store.copy(source.key, key, objectMeta(file, source.sha256, commit));
    r.ctx.log.info(
      `copied ${file.path} (${formatBytes(file.size)}) in OSS from ${source.key}: unchanged since that commit`
    );
    return { file, sha256: source.sha256, action: 'copied', sentBytes: 0 };
  } catch (err) {
    r.ctx.log.debug(`server-side copy of ${file.path} failed (${describeError(err)}); streaming it instead`);
    return undefined;
  }
}

/** What the uploader writes for this file: its bytes from the hub, checked against the hub's listing. */
function uploadSpec(
  r: Run,
  file: HubFile,
  commit: string,
  key: string,
  resumeUploadId: string | undefined,
  verified: (sha256: string | undefined) => void
): UploadSpec {
  return {
    key,
    size: file.size,
    meta: (d) => objectMeta(file, file.sha256 ?? d?.sha256 ?? '', commit),
    gitBlob: file.sha256 === undefined,
    resumeUploadId,
    source: { open: (start, end) => r.hub.open(r.cfg.model.repo, commit, file.path, start, end) },
    verify: (d) => {
      const bad = hashMismatch(file, d);
      if (bad) throw bad;
      verified(d.sha256);
    }
  };
}

/** Progress lines, and each multipart upload recorded for cleanup while it is open. */
function uploadEvents(r: Run, file: HubFile, key: string, progress: FileProgress): UploadEvents {
  const record = (uploadId: string): CleanupRecord => ({
    kind: 'multipart-upload',
    bucket: r.cfg.oss.bucket,
    key,
    uploadId
  });
  return {
    position: (p) => {
      progress.update(p);
      r.deps.onPosition?.(file, p);
    },
    uploadStarted: (id) => r.ctx.cleanup.add(record(id)),
    uploadEnded: (id) => r.ctx.cleanup.remove(record(id)),
    resumed: (offset, part, err) =>
      r.ctx.log.info(`  ${file.path}: ${describeError(err)}; resuming at byte ${offset} (part ${part})`)
  };
}

/** Streams the file from the hub into OSS, verified; bytes that do not match the listing are fetched once more. */
async function streamFile(
  r: Run,
  uploader: Uploader,
  file: HubFile,
  commit: string,
  key: string,
  resumeId: string | undefined
): Promise<FileResult> {
  const { ctx } = r;
  const started = r.deps.now();
  ctx.log.info(`start ${file.path} (${formatBytes(file.size)})${resumeId ? ', continuing an unfinished upload' : ''}`);
  const progress = new FileProgress(
    file.path,
    file.size,
    (l) => ctx.log.info(l),
    r.deps.now,
    r.deps.progressIntervalMs
  );
  let lastError: PipelineError | undefined;
  for (let round = 1; round <= 2; round++) {
    let expected: string | undefined;
    try {
      const spec = uploadSpec(r, file, commit, key, round === 1 ? resumeId : undefined, (d) => (expected = d));
      const result = await uploader.upload(spec, uploadEvents(r, file, key, progress));
      const ms = r.deps.now() - started;
      const kept = result.keptParts > 0 ? `, ${result.keptParts} parts kept from an earlier run` : '';
      ctx.log.info(
        `done ${file.path} (${formatBytes(file.size)}) in ${formatDuration(ms)}, ${formatRate(file.size, ms)}${kept}`
      );
      return { file, sha256: result.digests.sha256 ?? expected, action: 'sent', sentBytes: result.sentBytes };
    } catch (err) {
      if (err instanceof PipelineError && err.code === 'SYNC_HASH_MISMATCH' && round === 1) {
        ctx.log.warning(`${file.path}: ${err.message} Trying once more.`);
        lastError = err;
        continue;
      }
      throw fileFailed(file, err);
    }
  }
  throw lastError!;
}

/** A download that failed without progress until the retries ran out: name the file and the cause. */
function fileFailed(file: HubFile, err: unknown): unknown {
  if (err instanceof PipelineError) return err;
  if (isRetryableHubError(err)) {
    return new PipelineError(
      'SYNC_FILE_FAILED',
      `Downloading ${file.path} kept failing without progress: ${describeError(err)}.`,
      'The hub or its CDN is unstable from this runner; re-run the job (finished files and parts already in OSS are kept).',
      { cause: err }
    );
  }
  return err;
}

/** Every selected file into OSS, `filesInParallel` at a time; the first failure stops the others. */
async function transferAll(r: Run, stop: AbortController, commit: string, selected: HubFile[]): Promise<FileResult[]> {
  const { cfg, ctx, store } = r;
  checkPartCount(selected, cfg.sync.partSizeBytes);
  const prefix = hfPrefix(cfg, commit);
  const before = await store.listUploads(prefix);
  const unfinished = new Map(before.map((u) => [u.key, u.uploadId]));
  const earlier = await earlierManifests(r, commit);
  const uploader = new Uploader(store, new PartPool(cfg.sync.partSizeBytes, cfg.sync.partsInFlight), {
    earlierUploads: new Set(before.map((u) => u.uploadId)),
    onStrayUpload: (key, uploadId, err) => {
      if (!err) return ctx.log.info(`  aborted upload ${uploadId} of ${key}: started by a retry whose answer was lost`);
      ctx.log.warning(`Could not abort upload ${uploadId} of ${key} (${describeError(err)}); the post step retries`);
      if (uploadId !== '(unlisted)')
        ctx.cleanup.add({ kind: 'multipart-upload', bucket: cfg.oss.bucket, key, uploadId });
    },
    attempts: Math.max(1, cfg.sync.retries),
    isRetryableSourceError: isRetryableHubError,
    signal: stop.signal,
    keepOnCancel: r.deps.keepUploadsOnCancel,
    sleep: r.deps.sleep,
    random: r.deps.random,
    onRetry: (what, err, attempt, delay) =>
      ctx.log.info(`  retrying ${what} in ${formatDuration(delay)} (attempt ${attempt + 1}): ${describeError(err)}`)
  });
  const limit = pLimit(cfg.sync.filesInParallel);
  let firstError: { err: unknown } | undefined;
  const results = await Promise.all(
    selected.map((f) =>
      limit(async () => {
        if (stop.signal.aborted) return undefined;
        try {
          const done = await syncFile(r, uploader, f, commit, prefix, unfinished.get(prefix + f.path), earlier);
          r.deps.onFileDone?.(done);
          return done;
        } catch (err) {
          firstError ??= { err };
          stop.abort(err);
          return undefined;
        }
      })
    )
  );
  if (ctx.signal.aborted) throw cancelled(ctx.signal.reason);
  if (firstError) throw firstError.err;
  return results as FileResult[];
}

/**
 * The runner mode's transfer of `files` at `commit` (keep, copy or stream each; resume unfinished uploads), with no
 * manifest: a cluster-mode shard pod runs this for its shard (src/stages/sync-shard-pod.ts).
 */
export async function syncFileSet(
  ctx: StageContext,
  deps: SyncDeps,
  commit: string,
  files: HubFile[]
): Promise<FileResult[]> {
  const stop = new AbortController();
  const onCancel = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  if (ctx.signal.aborted) onCancel();
  try {
    const { hub, store } = clients(ctx, deps, stop.signal);
    const now = deps.now ?? Date.now;
    const r: Run = {
      ctx,
      cfg: ctx.config,
      hub,
      store,
      signal: stop.signal,
      deps: { ...deps, now, progressIntervalMs: deps.progressIntervalMs ?? 5000 }
    };
    return await transferAll(r, stop, commit, files);
  } finally {
    ctx.signal.removeEventListener('abort', onCancel);
  }
}

export function doneOutcome(
  done: FileResult[],
  ms: number,
  outputs: Record<string, string>,
  commit: string
): StageOutcome {
  const count = (a: FileResult['action']) => done.filter((d) => d.action === a).length;
  const sentBytes = done.reduce((s, d) => s + d.sentBytes, 0);
  const copied = count('copied') > 0 ? `, ${count('copied')} copied in OSS from an earlier commit` : '';
  return {
    status: 'done',
    summary: `${count('sent')} files sent (${formatBytes(sentBytes)}), ${count('kept')} already there${copied}, to ${outputs['oss-hf-uri']} in ${formatDuration(ms)} (${formatRate(sentBytes, ms)})`,
    details: {
      commit,
      files: done.length,
      'files synced': count('sent'),
      'files skipped': count('kept'),
      'files copied': count('copied'),
      bytes: sentBytes,
      'throughput MB/s': Math.round((sentBytes / 1e6 / Math.max(ms, 1)) * 1000 * 10) / 10
    },
    outputs
  };
}

async function run(ctx: StageContext, deps: SyncDeps): Promise<StageOutcome> {
  const cfg = ctx.config;
  const stop = new AbortController();
  const onCancel = () => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onCancel, { once: true });
  if (ctx.signal.aborted) onCancel();
  const { hub, store } = clients(ctx, deps, stop.signal);
  const now = deps.now ?? Date.now;
  const r: Run = {
    ctx,
    cfg,
    hub,
    store,
    signal: stop.signal,
    deps: { ...deps, now, progressIntervalMs: deps.progressIntervalMs ?? 5000 }
  };
  const started = now();
  try {
    const { commit, selected } = await discover(r);
    const prefix = hfPrefix(cfg, commit);
    const outputs = { 'hf-commit': commit, 'oss-hf-uri': ossUri(cfg, prefix) };
    const manifest = parseManifest(await store.getText(syncManifestKey(cfg, commit)));
    if (manifest && manifestCovers(manifest, commit, selected) && (await manifestStillValid(r, manifest, prefix))) {
      return {
        status: 'skipped',
        summary: `${manifest.files.length} files (${formatBytes(total(manifest.files))}) already in ${outputs['oss-hf-uri']}, checked`,
        details: { files: manifest.files.length, bytes: total(manifest.files), commit },
        outputs
      };
    }
    // Gated or private: fail before the first byte goes anywhere.
    await hub.checkDownloadAccess(cfg.model.repo, commit, selected[0].path);
    const done = await transferAll(r, stop, commit, selected);
    const m = buildManifest(cfg.model.repo, cfg.model.revision, commit, done, new Date(now()));
    await store.putObject(
      syncManifestKey(cfg, commit),
      Buffer.from(JSON.stringify(m, null, 2) + '\n'),
      { 'hf-commit': commit },
      'application/json'
    );
    return doneOutcome(done, now() - started, outputs, commit);
  } catch (err) {
    if (ctx.signal.aborted && !(err instanceof PipelineError && err.code === 'SYNC_CANCELLED'))
      throw cancelled(ctx.signal.reason);
    throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onCancel);
  }
}

export function cancelled(reason: unknown): PipelineError {
  return new PipelineError(
    'SYNC_CANCELLED',
    `The sync was cancelled (${describeError(reason ?? 'signal')}); unfinished uploads were aborted.`,
    'Re-run the job: files already complete in OSS are kept and skipped.'
  );
}

/**
 * Plan time: the model's config.json, read from the hub, must be Bloom and fit tensor-parallel and
 * pipeline-parallel, so a model that could only fail at conversion or at rollout is refused before anything runs.
 */
async function checkModel(r: Pick<Run, 'cfg' | 'hub'>, commit: string, files: readonly HubFile[]): Promise<void> {
  const { cfg, hub } = r;
  if (!files.some((f) => f.path === 'config.json')) {
    throw new PipelineError(
      'MODEL_NOT_SUPPORTED',
      `${cfg.model.repo} at ${commit} has no config.json, so it is not a transformers checkpoint this pipeline can convert (it supports ${SUPPORTED_MODELS})`,
      'Choose a Bloom checkpoint in the model input, and a revision that has its config.json.'
    );
  }
  const text = await hub.readText(cfg.model.repo, commit, 'config.json');
  const shape = readModelShape(text, `config.json of ${cfg.model.repo} at ${commit.slice(0, 12)}`);
  checkParallelism(shape, { tp: cfg.convert.tensorParallel, pp: cfg.serve.pipelineParallel }, cfg.model.repo);
}

async function plan(ctx: StageContext, deps: SyncDeps): Promise<PlanLine> {
  const c = clients(ctx, deps, ctx.signal);
  const r = { ctx, cfg: ctx.config, hub: c.hub };
  // The hub needs no OSS credential: commit, files and bytes are always planned.
  const { commit, files, selected } = await discover(r);
  // config.json is read from the hub: the model is checked without any OSS credential
  await checkModel(r, commit, files);
  const target = ossUri(ctx.config, hfPrefix(ctx.config, commit));
  const detail = [
    `${ctx.config.model.repo}@${ctx.config.model.revision} → commit ${commit}`,
    `${selected.length} files, ${formatBytes(total(selected))} → ${target}`,
    ...selected.map((f) => `  ${f.path} (${formatBytes(f.size)})`)
  ];
  if (ctx.planAccess && !ctx.planAccess.oss) {
    return {
      action: 'run',
      reason: `stream ${selected.length} files (${formatBytes(total(selected))}) of ${ctx.config.model.repo}@${commit} to ${target}`,
      doneUnknown: ctx.planAccess.missing ?? 'no OSS credentials in this run',
      detail
    };
  }
  const manifest = parseManifest(await c.store.getText(syncManifestKey(ctx.config, commit)));
  if (manifest && manifestCovers(manifest, commit, selected)) {
    return {
      action: 'skip',
      reason: `commit ${commit} already synced to ${ossUri(ctx.config, hfPrefix(ctx.config, commit))} (manifest present)`
    };
  }
  return {
    action: 'run',
    reason: `stream ${selected.length} files (${formatBytes(total(selected))}) of ${ctx.config.model.repo}@${commit} to ${target}`,
    detail
  };
}

export function createSyncStage(deps: SyncDeps): Stage {
  return { name: 'sync', run: (ctx) => run(ctx, deps), plan: (ctx) => plan(ctx, deps) };
}
