/**
 * deploy: write this version's Triton model repository to OSS (config.pbtxt pointing at the converted
 * checkpoint, and the version folder), serve it with `arena serve triton`, and wait for the rollout through the
 * API. A version already available with the same spec is left alone. On failure the new version is deleted;
 * other versions of the serving name keep serving.
 */
import type { Config } from '../config/types.js';
import {
  ftCheckpointPrefix,
  modelRepositoryLayout,
  modelRepositoryPodPath,
  ossUri,
  tritonConfigKey,
  tritonRepoPrefix
} from '../config/layout.js';
import { PipelineError } from '../errors.js';
import { checkParallelism } from '../hf/model-config.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import { arenaError } from '../arena/exec.js';
import { serveTritonArgs } from '../arena/args.js';
import { commandLine } from '../arena/command-line.js';
import { arenaRetryLog, stageArena, type ClusterDeps, type ObjectStoreLike } from './deps.js';
import { rolloutComplete } from '../k8s/diagnose.js';
import { RolloutProblem, servingSelector, servingSpecDiff, waitForRollout, type ServingSpec } from '../k8s/serving.js';
import { DEPLOYMENT, MANAGED_BY, type KObj, type KubeApi } from '../k8s/types.js';
import { deleteLeftovers, describeObject, servingConfigMapName, servingObjects } from '../k8s/arena-objects.js';
import { removeServingVersion, type TeardownDeps } from './teardown.js';
import { modelRepositoryObjects } from '../triton/model-config.js';
import { LINEAGE_LABEL, replaceConflict } from './lineage.js';

export function servingSpec(cfg: Config): ServingSpec {
  return {
    image: cfg.serve.image,
    gpus: cfg.serve.gpus,
    replicas: cfg.serve.replicas,
    modelRepository: modelRepositoryPodPath(cfg)
  };
}

async function findServing(api: KubeApi, cfg: Config): Promise<KObj | undefined> {
  const { items } = await api.list(DEPLOYMENT, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name, cfg.serve.version)
  });
  return items[0];
}

/** Writes config.pbtxt and the version folder; returns how many objects changed. */
async function writeModelRepository(oss: ObjectStoreLike, cfg: Config): Promise<number> {
  let changed = 0;
  for (const o of modelRepositoryObjects(cfg, modelRepositoryLayout(cfg))) {
    const same = o.body === '' ? (await oss.head(o.key)) !== undefined : (await oss.getText(o.key)) === o.body;
    if (same) continue;
    await oss.putObject(o.key, Buffer.from(o.body));
    changed++;
  }
  return changed;
}

/** The converted checkpoint is there and its config.ini (what FT reads at load) fits pipeline-parallel. */
async function checkConverted(oss: ObjectStoreLike, cfg: Config, required = true): Promise<void> {
  const ini = `${ftCheckpointPrefix(cfg)}config.ini`;
  const text = await oss.getText(ini);
  if (text === undefined) {
    if (!required) return;
    throw new PipelineError(
      'DEPLOY_NOT_CONVERTED',
      `there is no converted checkpoint at ${ossUri(cfg, ftCheckpointPrefix(cfg))} (no config.ini)`,
      'Run the convert stage for this version first.'
    );
  }
  const num = (key: string) => Number(new RegExp(`^\\s*${key}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const shape = { modelType: 'bloom', layers: num('num_layer'), heads: num('head_num') };
  if (!Number.isInteger(shape.layers) || !Number.isInteger(shape.heads)) return; // FT reports a broken config.ini
  checkParallelism(shape, { tp: cfg.convert.tensorParallel, pp: cfg.serve.pipelineParallel }, cfg.model.repo, {
    heads: `${ossUri(cfg, ini)} head_num`,
    layers: `${ossUri(cfg, ini)} num_layer`
  });
}

/** The `arena serve triton` arguments for this config (pure). */
export function serveArgs(cfg: Config): string[] {
  return serveTritonArgs({
    name: cfg.serve.name,
    version: cfg.serve.version,
    namespace: cfg.cluster.namespace,
    image: cfg.serve.image,
    gpus: cfg.serve.gpus,
    replicas: cfg.serve.replicas,
    pvc: cfg.cluster.pvcName,
    mountPath: cfg.cluster.mountPath,
    modelRepository: servingSpec(cfg).modelRepository,
    labels: { ...MANAGED_BY, [LINEAGE_LABEL]: cfg.lineage }
  });
}

/** What deploy would do, in full: the command, the GPUs and the generated config.pbtxt (no credential in any). */
function deployDetail(cfg: Config): string[] {
  const pbtxt =
    modelRepositoryObjects(cfg, modelRepositoryLayout(cfg)).find((o) => o.key === tritonConfigKey(cfg))?.body ?? '';
  return [
    commandLine(serveArgs(cfg)),
    `GPUs: ${cfg.serve.gpus} per replica × ${cfg.serve.replicas} replica(s) (tensor-parallel ${cfg.convert.tensorParallel} × pipeline-parallel ${cfg.serve.pipelineParallel})`,
    `${ossUri(cfg, tritonConfigKey(cfg))}:`,
    ...pbtxt
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
  ];
}

/** Refuses to touch a serving version of another lineage (a preview whose version is a release's). */
export async function checkLineage(api: KubeApi, cfg: Config): Promise<void> {
  const existing = await findServing(api, cfg);
  const why = existing && replaceConflict(existing, cfg.lineage);
  if (why) {
    throw new PipelineError(
      'DEPLOY_LINEAGE_CONFLICT',
      `serving ${cfg.serve.name} version ${cfg.serve.version} already exists and ${why}; it was left alone`,
      'Give this run its own version (previews: a version suffix such as -pr42) or deploy it from the lineage that made it.'
    );
  }
}

export function makeDeployStage(deps: ClusterDeps): Stage {
  return {
    name: 'deploy',
    async plan(ctx): Promise<PlanLine> {
      const cfg = ctx.config;
      const detail = deployDetail(cfg);
      const run: PlanLine = {
        action: 'run',
        reason: `would write ${ossUri(cfg, tritonConfigKey(cfg))} and run arena serve triton ${cfg.serve.name} version ${cfg.serve.version} (${cfg.serve.gpus} GPU × ${cfg.serve.replicas}, lineage ${cfg.lineage})`,
        detail
      };
      if (ctx.planAccess && !ctx.planAccess.cluster) {
        return { ...run, doneUnknown: ctx.planAccess.missing ?? 'no kubeconfig in this run' };
      }
      await checkConverted(deps.oss(ctx), cfg, false);
      const existing = await findServing(deps.kube(ctx).api, cfg);
      if (existing && rolloutComplete(existing) && servingSpecDiff(existing, servingSpec(cfg)).length === 0) {
        return {
          action: 'skip',
          reason: `serving ${cfg.serve.name} version ${cfg.serve.version} is available with the same spec`,
          detail
        };
      }
      return run;
    },
    async run(ctx): Promise<StageOutcome> {
      const cfg = ctx.config;
      const ns = cfg.cluster.namespace;
      const { name, version } = cfg.serve;
      const oss = deps.oss(ctx);
      const { api } = deps.kube(ctx);
      await checkConverted(oss, cfg);
      await checkLineage(api, cfg);
      const changed = await writeModelRepository(oss, cfg);
      ctx.log.info(
        `Model repository ${ossUri(cfg, tritonRepoPrefix(cfg))}: ${changed === 0 ? 'unchanged' : `${changed} object(s) written`}`
      );
      const outputs = {
        'serving-name': name,
        'serving-version': version,
        'model-repository': ossUri(cfg, tritonRepoPrefix(cfg))
      };
      ctx.state.serving = { namespace: ns, name, version };

      const want = servingSpec(cfg);
      let existing = await findServing(api, cfg);
      if (existing) {
        const diff = servingSpecDiff(existing, want);
        if (diff.length === 0 && rolloutComplete(existing) && changed === 0) {
          return {
            status: 'skipped',
            summary: `serving ${name} version ${version} is already available with the same spec`,
            details: { serving: name, version },
            outputs
          };
        }
        if (diff.length > 0 || changed > 0) {
          ctx.log.info(
            `Serving ${name} version ${version} exists but differs (${[...diff, ...(changed ? ['model repository changed'] : [])].join('; ')}); replacing it`
          );
          await removeServingVersion(teardownDeps(deps, api, ctx), ns, name, version);
          existing = undefined;
        } else ctx.log.info(`Serving ${name} version ${version} exists and is rolling out; waiting for it`);
      }
      const record = { kind: 'serving', namespace: ns, name, version } as const;
      const started = Date.now();
      if (!existing) {
        const args = serveArgs(cfg);
        ctx.log.info(commandLine(args));
        let res = await stageArena(deps, api, arenaRetryLog(ctx))(args, { env: ctx.env });
        if (res.exitCode !== 0 && (await removeStrandedRelease(api, ctx, res.stderr + res.stdout))) {
          res = await stageArena(deps, api, arenaRetryLog(ctx))(args, { env: ctx.env });
        }
        if (res.exitCode !== 0) throw arenaError(args, res, `serve ${name} version ${version}`);
        ctx.cleanup.add(record);
        ctx.log.info(`arena serve triton ${name} version ${version} submitted`);
      }
      try {
        const res = await ctx.log.group(`Triton log (${name} ${version})`, () =>
          waitForRollout({
            api,
            namespace: ns,
            name,
            version,
            timeoutMs: cfg.serve.timeoutSeconds * 1000,
            signal: ctx.signal,
            timers: deps.timers,
            onLogLine: (l) => ctx.log.info(l),
            onReconnect: (why) => ctx.log.debug(`rollout watch: ${why}`)
          })
        );
        deps.onNoticed?.('rollout', res.deployment, res.noticedAt);
      } catch (err) {
        await rollback(deps, ctx, record);
        if (ctx.signal.aborted)
          throw new PipelineError(
            'CANCELLED',
            `cancelled while serving ${name} version ${version}; deleted it`,
            'Run again to deploy.',
            { cause: err }
          );
        if (err instanceof RolloutProblem) {
          const d = err.diagnosis;
          throw new PipelineError(`DEPLOY_${d.code}`, `${d.message}; deleted serving version ${version}`, d.hint, {
            details: d.details
          });
        }
        throw err;
      }
      // The smoke stage decides whether this version stays; without it in this run, it stays now.
      if (!cfg.stages.includes('smoke')) ctx.cleanup.remove(record);
      const readyMs = Date.now() - started;
      ctx.state.serveReadyMs = readyMs;
      const summary = `serving ${name} version ${version} available in ${(readyMs / 1000).toFixed(1)} s`;
      ctx.log.info(summary);
      return {
        status: 'done',
        summary,
        details: { serving: name, version, 'ready-s': Number((readyMs / 1000).toFixed(1)) },
        outputs
      };
    }
  };
}

export function teardownDeps(deps: ClusterDeps, api: KubeApi, ctx: StageContext): TeardownDeps {
  return { arena: stageArena(deps, api), api, env: ctx.env, log: ctx.log };
}

/**
 * A serving Deployment deleted by hand leaves Arena's ConfigMap `<name>-<version>-triton-serving` (and the
 * Service) behind, and Arena v0.15.2 then refuses this version for good: "the job configmap … is already exist,
 * please delete it first". When that is what Arena said, about this version's ConfigMap, and no Deployment of
 * the version exists, the leftovers are this pipeline's own stranded release: delete them. True when it did.
 */
async function removeStrandedRelease(api: KubeApi, ctx: StageContext, output: string): Promise<boolean> {
  const { name, version } = ctx.config.serve;
  const ns = ctx.config.cluster.namespace;
  const cm = /the job configmap (\S+) is already exist/.exec(output)?.[1];
  if (cm !== servingConfigMapName(name, version) || (await findServing(api, ctx.config))) return false;
  const { deleted } = await deleteLeftovers(api, ns, servingObjects(name, version));
  ctx.log.warning(
    `Serving ${name} version ${version} has no Deployment but Arena's ${deleted.map(describeObject).join(', ')} remained (the Deployment was deleted by hand?); deleted them and serving again`
  );
  return deleted.length > 0;
}

/** Deletes the serving version this run is deploying (the previous versions keep serving). */
export async function rollback(
  deps: ClusterDeps,
  ctx: StageContext,
  record: { kind: 'serving'; namespace: string; name: string; version: string }
): Promise<void> {
  try {
    await removeServingVersion(
      teardownDeps(deps, deps.kube(ctx).api, ctx),
      record.namespace,
      record.name,
      record.version
    );
    ctx.log.warning(`Rolled back: deleted serving ${record.name} version ${record.version}`);
    ctx.cleanup.remove(record);
  } catch (e) {
    ctx.log.warning(`Could not delete serving ${record.name} version ${record.version}: ${(e as Error).message}`);
  }
}
