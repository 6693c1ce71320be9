/**
 * convert: the FasterTransformer conversion as a PyTorchJob, submitted through Arena and watched through the
 * Kubernetes API. A marker in OSS, written only after the output was verified, makes a finished version skip;
 * a job of this version that already exists is attached to (running), verified (succeeded) or reported and,
 * when allowed, resubmitted (failed). Timeout and cancel delete the job this run submitted, never another.
 */
import type { Config } from '../config/types.js';
import { convertMarkerKey, ftCheckpointPrefix, ftPrefix, hfPrefix, ossUri, podPath } from '../config/layout.js';
import { PipelineError } from '../errors.js';
import { checkParallelism, readModelShape } from '../hf/model-config.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import { arenaError } from '../arena/exec.js';
import { converterCommand } from '../arena/converter.js';
import { submitPytorchJobArgs } from '../arena/args.js';
import { commandLine } from '../arena/command-line.js';
import { arenaRetryLog, stageArena, type ClusterDeps, type ObjectStoreLike } from './deps.js';
import { jobPhase } from '../k8s/diagnose.js';
import { JobProblem, JobTimeout, MASTER_CONTAINER, readTail, masterPodName, watchJob } from '../k8s/job.js';
import { MANAGED_BY, PYTORCHJOB, type KObj, type KubeApi } from '../k8s/types.js';
import { waitFor } from '../k8s/wait.js';
import { removeTrainingJob } from './teardown.js';

export interface ConvertMarker {
  readonly version: string;
  readonly jobName: string;
  readonly parameters: { tensorParallel: number; dataType: string; processes: number; image: string; input: string };
  readonly durationSeconds: number;
  readonly fileCount: number;
  readonly files: readonly { key: string; size: number }[];
  readonly finishedAt: string;
}

/** The HF commit whose files are converted: from the sync stage of this run, or a revision that is a sha. */
/** The commit a plan can name: the one sync's plan resolved, or a pinned revision; undefined otherwise. */
function planCommit(ctx: StageContext): string | undefined {
  if (typeof ctx.state.commit === 'string') return ctx.state.commit;
  return /^[0-9a-f]{40}$/.test(ctx.config.model.revision) ? ctx.config.model.revision : undefined;
}

function commitOf(ctx: StageContext): string {
  const c = planCommit(ctx);
  if (!c) {
    throw new PipelineError(
      'CONVERT_COMMIT_UNKNOWN',
      'the HF commit to convert is unknown (the sync stage did not run in this job)',
      'Run the sync stage before convert in the same run, or pass the revision as a full commit sha.'
    );
  }
  return c;
}

/** Why the marker does not (or no longer) describe a usable conversion, or undefined when it does. */
export function markerProblem(
  cfg: Config,
  marker: ConvertMarker | undefined,
  listing: readonly { key: string; size: number }[]
): string | undefined {
  if (!marker) return 'no marker';
  if (marker.parameters?.tensorParallel !== cfg.convert.tensorParallel)
    return `the marker is for tp ${marker.parameters?.tensorParallel}`;
  const have = new Map(listing.map((f) => [f.key, f.size]));
  const missing = (marker.files ?? []).filter((f) => have.get(f.key) !== f.size);
  if (!marker.files?.length) return 'the marker lists no files';
  if (missing.length) return `${missing.length} converted file(s) are missing or changed, e.g. ${missing[0].key}`;
  return undefined;
}

/**
 * The synced config.json must describe Bloom with heads divisible by tensor-parallel and layers divisible by
 * pipeline-parallel: refused here, before a GPU job runs, rather than by the converter or at Triton's load.
 * `required` false (plan mode before the sync ran): a config.json not synced yet is not an error.
 */
async function checkSyncedModel(oss: ObjectStoreLike, cfg: Config, commit: string, required: boolean): Promise<void> {
  const key = `${hfPrefix(cfg, commit)}config.json`;
  const text = await oss.getText(key);
  if (text === undefined) {
    if (!required) return;
    throw new PipelineError(
      'CONVERT_INPUT_MISSING',
      `there is no ${ossUri(cfg, key)}: the checkpoint of ${cfg.model.repo} at ${commit} is not synced`,
      'Run the sync stage for this model and revision first (the converter loads config.json and the weights from there).'
    );
  }
  const sizes = { tp: cfg.convert.tensorParallel, pp: cfg.serve.pipelineParallel };
  checkParallelism(readModelShape(text, ossUri(cfg, key)), sizes, cfg.model.repo);
}

async function readMarker(oss: ObjectStoreLike, cfg: Config): Promise<ConvertMarker | undefined> {
  const text = await oss.getText(convertMarkerKey(cfg));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ConvertMarker;
  } catch {
    return undefined;
  }
}

/** The converter's output: `<tp>-gpu/config.ini` (for this tp) and at least one tensor file. */
export async function verifyOutput(oss: ObjectStoreLike, cfg: Config): Promise<{ key: string; size: number }[]> {
  const prefix = ftCheckpointPrefix(cfg);
  const { keys } = await oss.list(prefix);
  const ini = keys.find((k) => k.key === `${prefix}config.ini`);
  const tensors = keys.filter((k) => k.key.endsWith('.bin'));
  const where = ossUri(cfg, prefix);
  if (!ini)
    throw new PipelineError(
      'CONVERT_OUTPUT_MISSING',
      `the converter wrote no config.ini in ${where}`,
      'Read the converter log; check -o and that the PVC mounts the bucket path you expect.'
    );
  if (tensors.length === 0)
    throw new PipelineError(
      'CONVERT_OUTPUT_MISSING',
      `the converter wrote no tensor files (*.bin) in ${where}`,
      'Read the converter log; the conversion stopped before saving weights.'
    );
  const text = (await oss.getText(ini.key)) ?? '';
  const tp = /^\s*tensor_para_size\s*=\s*(\d+)/m.exec(text)?.[1];
  if (tp !== undefined && Number(tp) !== cfg.convert.tensorParallel) {
    throw new PipelineError(
      'CONVERT_OUTPUT_MISMATCH',
      `${where}config.ini says tensor_para_size=${tp}, expected ${cfg.convert.tensorParallel}`,
      'Delete the output folder and convert again with the tensor-parallel input.'
    );
  }
  return keys;
}

async function deleteJob(deps: ClusterDeps, api: KubeApi, cfg: Config, ctx: StageContext, why: string): Promise<void> {
  ctx.log.info(`Deleting PyTorchJob ${cfg.cluster.namespace}/${cfg.convert.jobName} (${why})`);
  // Arena first (its bookkeeping), then confirmed through the API: `arena delete` may exit 0 and leave the job
  await removeTrainingJob(
    { arena: stageArena(deps, api), api, env: ctx.env, log: ctx.log },
    cfg.cluster.namespace,
    cfg.convert.jobName
  );
}

async function waitGone(api: KubeApi, cfg: Config, ctx: StageContext, deps: ClusterDeps): Promise<void> {
  await waitFor<'job', true>({
    api,
    sources: {
      job: {
        type: PYTORCHJOB,
        namespace: cfg.cluster.namespace,
        selector: { fieldSelector: `metadata.name=${cfg.convert.jobName}` }
      }
    },
    check: ({ job }) => (job.some((j) => j.metadata.name === cfg.convert.jobName) ? undefined : { done: true }),
    timeoutMs: 120_000,
    signal: ctx.signal,
    timers: deps.timers
  });
}

/** The `arena submit pytorchjob` arguments for this config (pure; the command is the last element). */
export function converterArgs(cfg: Config, commit: string): string[] {
  const command = converterCommand({
    inputDir: podPath(cfg, hfPrefix(cfg, commit).replace(/\/$/, '')),
    outputDir: podPath(cfg, ftPrefix(cfg).replace(/\/$/, '')),
    tensorParallel: cfg.convert.tensorParallel,
    dataType: cfg.convert.dataType,
    processes: cfg.convert.processes
  });
  return submitPytorchJobArgs({
    name: cfg.convert.jobName,
    namespace: cfg.cluster.namespace,
    image: cfg.convert.image,
    gpus: cfg.convert.gpus,
    workers: cfg.convert.workers,
    pvc: cfg.cluster.pvcName,
    mountPath: cfg.cluster.mountPath,
    runningTimeoutSeconds: cfg.convert.timeoutSeconds,
    labels: MANAGED_BY,
    command
  });
}

function jobSeconds(job: KObj, fallbackMs: number): number {
  const s = Date.parse(String(job.status?.startTime ?? ''));
  const e = Date.parse(String(job.status?.completionTime ?? ''));
  return Number.isFinite(s) && Number.isFinite(e) && e >= s
    ? Math.round((e - s) / 1000)
    : Math.round(fallbackMs / 1000);
}

export function makeConvertStage(deps: ClusterDeps): Stage {
  return {
    name: 'convert',
    async plan(ctx): Promise<PlanLine> {
      const cfg = ctx.config;
      const commit = planCommit(ctx);
      const detail = [
        commit
          ? commandLine(converterArgs(cfg, commit))
          : `arena submit pytorchjob --name=${cfg.convert.jobName} … (the command names the HF commit; plan the sync stage with it, or pin revision to a commit)`,
        `GPUs: ${cfg.convert.gpus} per worker × ${cfg.convert.workers} worker(s); tensor-parallel ${cfg.convert.tensorParallel}, ${cfg.convert.dataType}; image ${cfg.convert.image}; timeout ${cfg.convert.timeoutSeconds} s`,
        `checkpoint → ${ossUri(cfg, ftCheckpointPrefix(cfg))}`
      ];
      const submit: PlanLine = {
        action: 'run',
        reason: `would submit PyTorchJob ${cfg.convert.jobName} (tp ${cfg.convert.tensorParallel}, ${cfg.convert.dataType}, ${cfg.convert.gpus} GPU × ${cfg.convert.workers}, image ${cfg.convert.image})`,
        detail
      };
      if (ctx.planAccess && (!ctx.planAccess.oss || !ctx.planAccess.cluster)) {
        return { ...submit, doneUnknown: ctx.planAccess.missing ?? 'no OSS credentials or kubeconfig in this run' };
      }
      const oss = deps.oss(ctx);
      if (commit) await checkSyncedModel(oss, cfg, commit, false);
      const marker = await readMarker(oss, cfg);
      if (marker && !markerProblem(cfg, marker, (await oss.list(ftCheckpointPrefix(cfg))).keys)) {
        return { action: 'skip', reason: `already converted (${ossUri(cfg, convertMarkerKey(cfg))})`, detail };
      }
      const job = await deps.kube(ctx).api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName);
      if (job)
        return {
          action: 'run',
          reason: `PyTorchJob ${cfg.convert.jobName} exists (${jobPhase(job)}): would attach, verify or resubmit`,
          detail
        };
      return submit;
    },
    async run(ctx): Promise<StageOutcome> {
      const cfg = ctx.config;
      const ns = cfg.cluster.namespace;
      const name = cfg.convert.jobName;
      const oss = deps.oss(ctx);
      const marker = await readMarker(oss, cfg);
      if (marker) {
        const why = markerProblem(cfg, marker, (await oss.list(ftCheckpointPrefix(cfg))).keys);
        if (!why) {
          return {
            status: 'skipped',
            summary: `already converted by ${marker.jobName} (${marker.fileCount} files)`,
            details: { job: marker.jobName, files: marker.fileCount },
            outputs: { 'convert-job': marker.jobName, 'checkpoint-uri': ossUri(cfg, ftCheckpointPrefix(cfg)) }
          };
        }
        ctx.log.warning(`The conversion marker is stale (${why}); converting again.`);
      }
      const commit = commitOf(ctx);
      await checkSyncedModel(oss, cfg, commit, true);
      const { api } = deps.kube(ctx);
      const started = Date.now();
      let existing = await api.get(PYTORCHJOB, ns, name);
      let submitted = false;
      const record = { kind: 'pytorchjob', namespace: ns, name } as const;

      const differs = existing ? jobDiffers(existing, converterArgs(cfg, commit), cfg) : undefined;
      if (existing && differs) {
        const phase = jobPhase(existing);
        if (phase !== 'Succeeded' && phase !== 'Failed') {
          throw new PipelineError(
            'CONVERT_JOB_CONFLICT',
            `PyTorchJob ${ns}/${name} is ${phase} with other parameters (${differs})`,
            'Wait for it to finish or delete it (arena delete), or give this conversion its own version input.'
          );
        }
        ctx.log.warning(`PyTorchJob ${name} (${phase}) was built with other parameters (${differs}); replacing it.`);
        await deleteJob(deps, api, cfg, ctx, 'parameters changed');
        await waitGone(api, cfg, ctx, deps);
        existing = undefined;
      }

      if (existing && jobPhase(existing) === 'Failed') {
        const tail = await readTail(api, ns, masterPodName(name), 20, MASTER_CONTAINER);
        const c = (
          existing.status?.conditions as { type: string; reason?: string; message?: string }[] | undefined
        )?.find((x) => x.type === 'Failed');
        if (!cfg.convert.resubmitFailed) {
          throw new PipelineError(
            'CONVERT_JOB_FAILED',
            `PyTorchJob ${ns}/${name} of this version already failed${c?.reason ? ` (${c.reason})` : ''}${c?.message ? `: ${c.message}` : ''}`,
            'Fix the cause (log below), then run again with resubmit-failed: true to delete and resubmit it.',
            { details: tail }
          );
        }
        ctx.log.warning(`PyTorchJob ${name} failed earlier (${c?.reason ?? 'Failed'}); deleting and resubmitting it.`);
        await deleteJob(deps, api, cfg, ctx, 'resubmitting a failed job');
        await waitGone(api, cfg, ctx, deps);
        existing = undefined;
      }
      let job: KObj | undefined;
      // Arena's `--retry` cannot restart a one-worker job (its Master is `restartPolicy: Never`, which the
      // operator never counts against backoffLimit), so a transient failure is retried here: delete, resubmit.
      for (let retry = 0; job === undefined; retry++) {
        if (!existing) {
          const args = converterArgs(cfg, commit);
          ctx.log.info(`arena ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
          const res = await stageArena(deps, api, arenaRetryLog(ctx))(args, { env: ctx.env });
          if (
            res.exitCode !== 0 &&
            /already exist/i.test(res.stderr + res.stdout) /* real Arena: "the job X is already exist" */
          ) {
            ctx.log.info(`PyTorchJob ${name} was submitted meanwhile by someone else; attaching to it.`);
          } else {
            if (res.exitCode !== 0) throw arenaError(args, res, 'submit the conversion');
            submitted = true;
            ctx.cleanup.add(record);
            ctx.log.info(`Submitted PyTorchJob ${ns}/${name} through arena`);
          }
        } else {
          ctx.log.info(`PyTorchJob ${ns}/${name} exists (${jobPhase(existing)}); attaching to it`);
        }

        try {
          const res = await ctx.log.group(`Converter log (${name})`, () =>
            watchJob({
              api,
              namespace: ns,
              name,
              timeoutMs: cfg.convert.timeoutSeconds * 1000,
              signal: ctx.signal,
              timers: deps.timers,
              onPhase: (phase, j) => {
                if (phase === 'Restarting') {
                  const c = (j.status?.conditions as { type: string; message?: string }[]).find(
                    (x) => x.type === 'Restarting'
                  );
                  ctx.log.warning(`PyTorchJob ${name} is restarting: ${c?.message ?? ''}`);
                } else ctx.log.info(`PyTorchJob ${name}: ${phase}`);
              },
              onLogLine: (line) => ctx.log.info(line),
              onReconnect: (why) => ctx.log.debug(`convert watch: ${why}`)
            })
          );
          deps.onNoticed?.('job', res.job, res.noticedAt);
          job = res.job;
        } catch (err) {
          if (ctx.signal.aborted) {
            if (submitted) {
              await deleteJob(deps, api, cfg, ctx, 'the run was cancelled').catch((e) =>
                ctx.log.warning(`Could not delete the job: ${(e as Error).message}`)
              );
              ctx.cleanup.remove(record);
            }
            throw new PipelineError(
              'CANCELLED',
              `cancelled while converting${submitted ? `; deleted PyTorchJob ${name}` : `; PyTorchJob ${name} (not submitted by this run) was left running`}`,
              'Run again to convert.',
              { cause: err }
            );
          }
          if (err instanceof JobTimeout) {
            await deleteJob(deps, api, cfg, ctx, 'timeout').catch((e) =>
              ctx.log.warning(`Could not delete the job: ${(e as Error).message}`)
            );
            ctx.cleanup.remove(record);
            const tail = await readTail(api, ns, masterPodName(name), 20, MASTER_CONTAINER);
            throw new PipelineError(
              'CONVERT_TIMEOUT',
              `PyTorchJob ${ns}/${name} did not finish within ${cfg.convert.timeoutSeconds} s (it was ${err.lastPhase}); deleted it`,
              'Raise convert-timeout, or look at the log below for where it stalled.',
              { details: tail }
            );
          }
          if (err instanceof JobProblem && /\(DeadlineExceeded\)/.test(err.diagnosis.message)) {
            // arena's --running-timeout (the job's activeDeadlineSeconds) fired before the stage's own timer
            if (submitted) {
              await deleteJob(deps, api, cfg, ctx, 'timeout').catch((e) =>
                ctx.log.warning(`Could not delete the job: ${(e as Error).message}`)
              );
            }
            ctx.cleanup.remove(record);
            throw new PipelineError(
              'CONVERT_TIMEOUT',
              `PyTorchJob ${ns}/${name} did not finish within ${cfg.convert.timeoutSeconds} s (the job's deadline passed)${submitted ? '; deleted it' : ''}`,
              'Raise convert-timeout, or look at the log below for where it stalled.',
              { details: err.diagnosis.details }
            );
          }
          if (err instanceof JobProblem && err.diagnosis.retryable && retry < cfg.convert.retries) {
            ctx.log.warning(
              `${err.diagnosis.message}. This may not repeat: deleting and resubmitting PyTorchJob ${name} (retry ${retry + 1} of ${cfg.convert.retries}, convert-retries).`
            );
            await deleteJob(deps, api, cfg, ctx, 'retrying after a transient failure');
            await waitGone(api, cfg, ctx, deps);
            existing = undefined;
            continue;
          }
          if (err instanceof JobProblem) {
            const d = err.diagnosis;
            // a job that cannot run (unschedulable, image, mount) is deleted; a Failed one stays to be inspected
            const now = await api.get(PYTORCHJOB, ns, name).catch(() => undefined);
            if (submitted && now && jobPhase(now) !== 'Failed') {
              await deleteJob(deps, api, cfg, ctx, d.code).catch((e) =>
                ctx.log.warning(`Could not delete the job: ${(e as Error).message}`)
              );
            }
            ctx.cleanup.remove(record);
            const hint = d.retryable
              ? 'The pod was killed or lost, which need not happen again: run again with resubmit-failed: true, or raise the convert-retries input so that such a failure is resubmitted by itself.'
              : d.hint;
            throw new PipelineError(`CONVERT_${d.code}`, d.message, hint, { details: d.details });
          }
          throw err;
        }
      }
      ctx.cleanup.remove(record);

      const files = await verifyOutput(oss, cfg);
      const durationSeconds = jobSeconds(job!, Date.now() - started);
      const newMarker: ConvertMarker = {
        version: cfg.model.version,
        jobName: name,
        parameters: {
          tensorParallel: cfg.convert.tensorParallel,
          dataType: cfg.convert.dataType,
          processes: cfg.convert.processes,
          image: cfg.convert.image,
          input: hfPrefix(cfg, commit)
        },
        durationSeconds,
        fileCount: files.length,
        files,
        finishedAt: new Date().toISOString()
      };
      await oss.putObject(convertMarkerKey(cfg), Buffer.from(JSON.stringify(newMarker, null, 2)));
      const summary = `${submitted ? 'converted' : 'attached to and verified'} PyTorchJob ${name}: ${files.length} files in ${durationSeconds} s`;
      ctx.log.info(summary);
      return {
        status: 'done',
        summary,
        details: { job: name, files: files.length, 'duration-s': durationSeconds },
        outputs: { 'convert-job': name, 'checkpoint-uri': ossUri(cfg, ftCheckpointPrefix(cfg)) }
      };
    }
  };
}

/**
 * Why an existing job of this version's name is not the one this config would submit (another image or
 * converter command, e.g. a changed tensor-parallel size under a pinned version), or undefined.
 */
function jobDiffers(job: KObj, args: readonly string[], cfg: Config): string | undefined {
  const command = args[args.length - 1];
  const spec = JSON.stringify(job.spec ?? {});
  if (!spec.includes(JSON.stringify(cfg.convert.image))) return `image is not ${cfg.convert.image}`;
  if (!spec.includes(JSON.stringify(command).slice(1, -1))) return 'the converter command differs';
  return undefined;
}
