/**
 * gc (opt-in, `stages: gc`): removes the serving versions and conversion jobs this action created that are older
 * than `gc-retention` and that no traffic reaches, through Arena and confirmed through the API (teardown.ts).
 *
 * "No traffic" for a serving version: it is not the newest version of its serving name in the release lineage (or
 * the run's own lineage; a preview's newest is not spared), and Triton's
 * `nv_inference_request_success` counter on every ready pod of it did not move during `gc-idle-window` (a version
 * without a ready pod serves nothing). The counter is what the server itself answered, whatever routed the
 * requests (a Service, a VirtualService, a port-forward). A version whose metrics cannot be read is kept. A job
 * has no traffic: it is removed once finished and older than the retention. Plan mode runs the same checks
 * (reads only) and lists what it would remove.
 */
import { PipelineError } from '../errors.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import { stageArena, type ClusterDeps } from './deps.js';
import { isPodReady, servingSelector } from '../k8s/serving.js';
import { DEPLOYMENT, POD, PYTORCHJOB, type KubeApi } from '../k8s/types.js';
import { cell } from '../report/summary.js';
import { formatAge, gcDecisions, OWNED_SELECTOR, requestSuccessTotal, type GcDecision } from './gc-select.js';
import { DEFAULT_LINEAGE } from './lineage.js';
import { removeServingVersion, removeTrainingJob, type TeardownDeps } from './teardown.js';

/** Triton's metrics port (`arena serve triton --metric-port`, default 8002). */
export const METRICS_PORT = 8002;

export interface GcDeps extends ClusterDeps {
  /** Waits the idle window (tests pass one that makes or withholds traffic instead of waiting). */
  readonly idleWait?: (seconds: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

function wait(deps: GcDeps, seconds: number, signal: AbortSignal): Promise<void> {
  if (deps.idleWait) return deps.idleWait(seconds, signal);
  const t = deps.timers ?? { setTimeout, clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  return new Promise((resolve) => {
    const h = t.setTimeout(resolve, seconds * 1000);
    signal.addEventListener('abort', () => (t.clearTimeout(h), resolve()), { once: true });
  });
}

/** Each ready pod's request counter of a serving version; undefined when one could not be read. */
async function readCounters(
  deps: GcDeps,
  ctx: StageContext,
  api: KubeApi,
  d: GcDecision
): Promise<Map<string, number> | undefined> {
  const ns = ctx.config.cluster.namespace;
  const { items } = await api.list(POD, ns, { labelSelector: servingSelector(d.name, d.version) });
  const out = new Map<string, number>();
  for (const pod of items.filter(isPodReady)) {
    const fwd = await deps.forwardPort(deps.kube(ctx).kc, ns, pod.metadata.name, METRICS_PORT).catch(() => undefined);
    if (!fwd) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${fwd.port}/metrics`, { signal: AbortSignal.timeout(30_000) });
      const total = res.ok ? requestSuccessTotal(await res.text()) : undefined;
      if (total === undefined) return undefined;
      out.set(pod.metadata.name, total);
    } catch {
      return undefined;
    } finally {
      await fwd.close();
    }
  }
  return out;
}

/** The decisions with the traffic check applied to the serving candidates. */
async function decide(deps: GcDeps, ctx: StageContext): Promise<GcDecision[]> {
  const cfg = ctx.config;
  const ns = cfg.cluster.namespace;
  const { api } = deps.kube(ctx);
  const gc = cfg.gc ?? { retentionSeconds: 7 * 86400, idleWindowSeconds: 60 };
  const [deployments, jobs] = await Promise.all([
    api.list(DEPLOYMENT, ns, { labelSelector: `${OWNED_SELECTOR},servingType=triton-serving` }),
    api.list(PYTORCHJOB, ns, { labelSelector: OWNED_SELECTOR })
  ]);
  const decisions = gcDecisions(deployments.items, jobs.items, {
    nowMs: (deps.now ?? Date.now)(),
    retentionSeconds: gc.retentionSeconds,
    keepNewestOf: [DEFAULT_LINEAGE, cfg.lineage]
  });
  const candidates = decisions.filter((d) => d.remove && d.kind === 'serving');
  if (candidates.length === 0) return decisions;
  const before = new Map<GcDecision, Map<string, number> | undefined>();
  for (const d of candidates) before.set(d, await readCounters(deps, ctx, api, d));
  ctx.log.info(
    `Watching the request counters of ${candidates.length} old serving version(s) for ${gc.idleWindowSeconds} s (gc-idle-window)`
  );
  await wait(deps, gc.idleWindowSeconds, ctx.signal);
  const verdict = new Map<GcDecision, GcDecision>();
  for (const d of candidates) {
    const a = before.get(d);
    const b = a && (await readCounters(deps, ctx, api, d));
    if (!a || !b) {
      verdict.set(d, { ...d, remove: false, reason: `${d.reason}; its Triton metrics could not be read, kept` });
      continue;
    }
    const moved = [...b].filter(([pod, n]) => n !== (a.get(pod) ?? n));
    const grew = moved.reduce((s, [pod, n]) => s + n - a.get(pod)!, 0);
    verdict.set(
      d,
      moved.length > 0
        ? { ...d, remove: false, reason: `${d.reason}; received ${grew} request(s) in ${gc.idleWindowSeconds} s` }
        : {
            ...d,
            reason: `${d.reason}; ${b.size === 0 ? 'no ready pod' : `no request in ${gc.idleWindowSeconds} s`}`
          }
    );
  }
  return decisions.map((d) => verdict.get(d) ?? d);
}

function label(d: GcDecision): string {
  return d.kind === 'serving' ? `serving ${d.name} version ${d.version}` : `PyTorchJob ${d.name}`;
}

function table(decisions: readonly GcDecision[], verb: string): string {
  if (decisions.length === 0) return '';
  return [
    `### gc: ${verb}`,
    '',
    '| object | age | decision | why |',
    '| --- | --- | --- | --- |',
    ...decisions.map(
      (d) => `| ${cell(label(d))} | ${formatAge(d.ageSeconds)} | ${d.remove ? verb : 'kept'} | ${cell(d.reason)} |`
    )
  ].join('\n');
}

function removedOutput(decisions: readonly GcDecision[]): string {
  return JSON.stringify(
    decisions
      .filter((d) => d.remove)
      .map((d) =>
        d.kind === 'serving' ? { kind: d.kind, name: d.name, version: d.version } : { kind: d.kind, name: d.name }
      )
  );
}

export function makeGcStage(deps: GcDeps): Stage {
  return {
    name: 'gc',
    async plan(ctx): Promise<PlanLine> {
      const reason = `would remove serving versions and conversion jobs of this action older than the retention that no traffic reaches in namespace ${ctx.config.cluster.namespace}`;
      if (ctx.planAccess && !ctx.planAccess.cluster) {
        return { action: 'run', reason, doneUnknown: ctx.planAccess.missing ?? 'no kubeconfig in this run' };
      }
      const decisions = await decide(deps, ctx);
      const gone = decisions.filter((d) => d.remove);
      const detail = decisions.map((d) => `${d.remove ? 'remove' : 'keep  '} ${label(d)}: ${d.reason}`);
      if (gone.length === 0) return { action: 'skip', reason: 'nothing of this action is old and idle', detail };
      return { action: 'run', reason: `would remove ${gone.map(label).join(', ')}`, detail };
    },
    async run(ctx): Promise<StageOutcome> {
      const ns = ctx.config.cluster.namespace;
      const decisions = await decide(deps, ctx);
      const { api } = deps.kube(ctx);
      const td: TeardownDeps = { arena: stageArena(deps, api), api, env: ctx.env, log: ctx.log };
      const removed: GcDecision[] = [];
      for (const d of decisions.filter((x) => x.remove)) {
        if (ctx.signal.aborted) break;
        ctx.log.info(`Removing ${label(d)} (${d.reason})`);
        if (d.kind === 'serving') await removeServingVersion(td, ns, d.name, d.version!);
        else await removeTrainingJob(td, ns, d.name);
        removed.push(d);
      }
      if (ctx.signal.aborted) {
        throw new PipelineError(
          'CANCELLED',
          `gc was cancelled${removed.length ? ` after removing ${removed.map(label).join(', ')}` : ' before removing anything'}`,
          'Run gc again: it finds what is still old and idle.'
        );
      }
      const kept = decisions.length - removed.length;
      const summary = removed.length
        ? `removed ${removed.map(label).join(', ')}; kept ${kept}`
        : `nothing old and idle to remove (${kept} object(s) of this action kept)`;
      return {
        status: removed.length ? 'done' : 'skipped',
        summary,
        details: { removed: removed.length, kept },
        outputs: { 'gc-removed': removedOutput(removed) },
        ...(decisions.length ? { markdown: table(decisions, 'removed') } : {})
      };
    }
  };
}
