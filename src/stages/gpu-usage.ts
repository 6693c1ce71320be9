/**
 * GPU-hours per stage: a stage's own pods (the conversion job's; the serving version's) are tracked while it runs
 * and their GPU time inside the stage's window is recorded in the run state (`gpuHours`, by stage), whether the
 * stage succeeded, failed or was cancelled; src/report turns it into the summary lines and outputs. Measuring is
 * best effort: an API failure here is logged and never fails the stage.
 */
import type { Config, StageName } from '../config/types.js';
import type { RunState, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import type { ClusterDeps } from './deps.js';
import { gpuHours } from '../k8s/gpu-usage.js';
import { trackPods, type PodTracker } from '../k8s/pod-tracker.js';

/** The label selector of the pods a stage runs on GPUs, or undefined when it runs none. */
export function stagePodSelector(stage: StageName, cfg: Config): string | undefined {
  if (stage === 'convert' && cfg.convert.jobName) return `release=${cfg.convert.jobName},app=pytorchjob`;
  if ((stage === 'deploy' || stage === 'smoke') && cfg.serve.name)
    return `servingName=${cfg.serve.name},servingVersion=${cfg.serve.version}`;
  return undefined;
}

/** The per-stage GPU-hours recorded in the run state so far. */
export function recordedGpuHours(state: RunState): Record<string, number> {
  return (state.gpuHours as Record<string, number> | undefined) ?? {};
}

export function withGpuUsage(stage: Stage, deps: Pick<ClusterDeps, 'kube'>, now = Date.now): Stage {
  const start = async (ctx: StageContext): Promise<PodTracker | undefined> => {
    const selector = stagePodSelector(stage.name, ctx.config);
    if (!selector) return undefined;
    try {
      return await trackPods(deps.kube(ctx).api, ctx.config.cluster.namespace, selector, now);
    } catch (e) {
      ctx.log.debug(`GPU usage of ${stage.name} not measured: ${(e as Error).message}`);
      return undefined;
    }
  };
  const finish = async (ctx: StageContext, tracker: PodTracker | undefined, from: number) => {
    if (!tracker) return undefined;
    const hours = gpuHours(await tracker.stop(), from, now());
    ctx.state.gpuHours = { ...recordedGpuHours(ctx.state), [stage.name]: hours };
    return hours;
  };
  return {
    name: stage.name,
    plan: (ctx) => stage.plan(ctx),
    async run(ctx): Promise<StageOutcome> {
      const from = now();
      const tracker = await start(ctx);
      let outcome: StageOutcome;
      try {
        outcome = await stage.run(ctx);
      } catch (e) {
        await finish(ctx, tracker, from).catch(() => undefined);
        throw e;
      }
      const hours = await finish(ctx, tracker, from).catch(() => undefined);
      if (hours === undefined) return outcome;
      return { ...outcome, details: { ...outcome.details, 'gpu-hours': Number(hours.toPrecision(3)) } };
    }
  };
}
