/**
 * canary (opt-in): after smoke passes, shift traffic from the serving version(s) to the new one step by step,
 * and at each step soak, read the new version's Triton metrics and check them against the budgets. A failed
 * check (or a cancel) rolls back at once: the old versions get all traffic again and the new version is deleted
 * (as a failed deploy or smoke test deletes it). Success leaves the new version with all traffic and retires old
 * versions beyond keep-versions, as smoke does without a canary.
 *
 * With Istio (networking.istio.io served) the weights are a VirtualService over one DestinationRule subset per
 * version; without, one Service spans every version and a weight is a replica ratio (see ../canary/plan.ts).
 */
import type { Config } from '../config/types.js';
import { PipelineError } from '../errors.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import type { ClusterDeps } from './deps.js';
import { rolloutComplete } from '../k8s/diagnose.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { MeshApi } from '../k8s/mesh.js';
import { isPodReady, servingSelector, waitForRollout } from '../k8s/serving.js';
import { DEPLOYMENT, POD, type KObj, type KubeApi } from '../k8s/types.js';
import type { Timers } from '../k8s/wait.js';
import { sleepOn } from '../util/retry.js';
import { parsePrometheusText, stepFigures, tritonCounters, type Counters } from '../canary/metrics.js';
import { replicasFor, splitWeights, stepVerdict, type CanaryMode, type VersionWeight } from '../canary/plan.js';
import type { CanaryRecord, CanaryStepRecord } from '../report/canary.js';
import {
  checkServiceName,
  destinationRule,
  servingService,
  virtualService,
  type IstioVersion
} from '../canary/routing.js';
import { rollback } from './serving-version.js';
import { LINEAGE_LABEL } from './lineage.js';
import { retireOldVersions } from './smoke.js';

/** The Istio/Service client of the cluster (src/composition/cluster.ts builds the real one). */
export type MeshFactory = (kc: KubeConfig, deps: ClusterDeps) => MeshApi;

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
};

interface Version {
  readonly version: string;
  readonly deployment: KObj;
  readonly replicas: number;
  readonly lineage?: string;
}

async function servingVersions(api: KubeApi, cfg: Config): Promise<Version[]> {
  const { items } = await api.list(DEPLOYMENT, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name)
  });
  return items
    .filter((d) => d.metadata.labels?.servingName === cfg.serve.name && !d.metadata.deletionTimestamp)
    .map((d) => ({
      version: d.metadata.labels?.servingVersion ?? '',
      deployment: d,
      replicas: Number(d.spec?.replicas ?? 1),
      lineage: d.metadata.labels?.[LINEAGE_LABEL]
    }))
    .sort((a, b) => a.version.localeCompare(b.version));
}

/** Istio when asked for or found; a clear error when asked for and its CRDs are missing. */
export function chooseMode(asked: Config['canary']['mode'], istio: IstioVersion | undefined): CanaryMode {
  if (asked === 'replicas') return 'replicas';
  if (istio) return 'istio';
  if (asked === 'istio')
    throw new PipelineError(
      'CANARY_ISTIO_MISSING',
      'canary-mode is istio but the cluster serves no networking.istio.io API (the VirtualService and DestinationRule CRDs are not installed); nothing was changed',
      'Install Istio (on ACK: enable the service mesh, ASM, for this cluster) or set canary-mode to replicas (weights approximated by replica counts) or auto.'
    );
  return 'replicas';
}

/** The versions the canary shifts traffic from: this lineage's other versions that run pods. */
function oldVersionsOf(all: readonly Version[], cfg: Config): Version[] {
  return all.filter((v) => v.version !== cfg.serve.version && v.lineage === cfg.lineage && v.replicas > 0);
}

const evenly = (old: readonly Version[]): VersionWeight[] => old.map((o) => ({ version: o.version, weight: 1 }));

/**
 * The old versions' weights as the VirtualService has them now (a rollback restores exactly these); versions it
 * does not route to keep getting nothing. Without a VirtualService, the old versions share evenly.
 */
async function currentWeights(
  api: KubeApi,
  cfg: Config,
  istio: IstioVersion,
  old: readonly Version[]
): Promise<VersionWeight[]> {
  const type = {
    apiVersion: `networking.istio.io/${istio}`,
    kind: 'VirtualService',
    plural: 'virtualservices',
    namespaced: true
  };
  const vs = await api.get(type, cfg.cluster.namespace, cfg.serve.name);
  const routes = ((vs?.spec?.http?.[0]?.route ?? []) as { destination?: { subset?: string }; weight?: number }[])
    .map((r) => ({ version: r.destination?.subset ?? '', weight: Number(r.weight ?? 0) }))
    .filter((r) => r.weight > 0 && old.some((o) => o.version === r.version));
  return routes.length ? routes : evenly(old);
}

/** What each step would set, in words (the plan and the log). */
export function describeSteps(cfg: Config, mode: CanaryMode, old: readonly Version[]): string[] {
  const c = cfg.canary;
  const oldWeights = evenly(old);
  const budget = `soak ${c.soakSeconds} s, then check success ≥ ${c.minSuccessRate} %, mean latency ≤ ${c.latencyBudgetMs} ms, ≥ ${c.minRequests} requests`;
  return c.steps.map((w, i) => {
    if (mode === 'istio') {
      const ws = splitWeights(oldWeights, cfg.serve.version, w);
      return `step ${i + 1}: ${w} % → VirtualService weights ${ws.map((x) => `${x.version} ${x.weight}`).join(' · ')}; ${budget}`;
    }
    const r = replicasFor(
      w,
      cfg.serve.replicas,
      old.map((o) => o.replicas)
    );
    const approx = r.effective === w ? '' : ` (≈ ${r.effective} %: weights are approximated by replicas)`;
    return `step ${i + 1}: ${w} %${approx} → ${cfg.serve.version} ${r.newReplicas} replica(s)${old.map((o, j) => ` · ${o.version} ${r.oldReplicas[j]}`).join('')}; ${budget}`;
  });
}

class StepFailed extends Error {}

export function makeCanaryStage(deps: ClusterDeps, meshOf: MeshFactory): Stage {
  return {
    name: 'canary',
    async plan(ctx): Promise<PlanLine> {
      const cfg = ctx.config;
      const { name, version } = cfg.serve;
      checkServiceName(name);
      const steps = cfg.canary.steps.join(', ');
      if (ctx.planAccess && !ctx.planAccess.cluster) {
        return {
          action: 'run',
          reason: `would shift traffic of ${name} to version ${version} in steps ${steps} % (canary-mode ${cfg.canary.mode}: Istio if installed, else replica ratio)`,
          doneUnknown: ctx.planAccess.missing ?? 'no kubeconfig in this run'
        };
      }
      const { api, kc } = deps.kube(ctx);
      const mode = chooseMode(cfg.canary.mode, await meshOf(kc, deps).istioVersion());
      const old = oldVersionsOf(await servingVersions(api, cfg), cfg);
      const how =
        mode === 'istio'
          ? 'a DestinationRule subset per version and a weighted VirtualService'
          : 'one Service over every version, weights approximated by replica counts';
      return {
        action: 'run',
        reason: `would apply Service ${name} and shift traffic from ${old.map((o) => o.version).join(', ') || 'no other version'} to ${version} in steps ${steps} % with ${how}; a failed check rolls back and deletes ${version}`,
        detail: old.length
          ? describeSteps(cfg, mode, old)
          : [`no other version of ${name} serves: ${version} takes all traffic at once`]
      };
    },
    run: (ctx) => runCanary(deps, meshOf, ctx)
  };
}

async function runCanary(deps: ClusterDeps, meshOf: MeshFactory, ctx: StageContext): Promise<StageOutcome> {
  const cfg = ctx.config;
  checkServiceName(cfg.serve.name);
  const { api, kc } = deps.kube(ctx);
  const mesh = meshOf(kc, deps);
  const istio = await mesh.istioVersion();
  const mode = chooseMode(cfg.canary.mode, istio);
  const old = await versionsToShiftFrom(api, cfg);
  const oldWeights = mode === 'istio' && istio ? await currentWeights(api, cfg, istio, old) : evenly(old);
  const record: CanaryRecord = {
    mode,
    name: cfg.serve.name,
    newVersion: cfg.serve.version,
    oldVersions: oldWeights.map((o) => o.version),
    steps: []
  };
  ctx.state.canary = record;
  await mesh.apply(servingService(cfg.serve.name, cfg.cluster.namespace));
  const routing = new Routing(mesh, cfg, istio ?? 'v1', mode, old, oldWeights, deps.timers);
  ctx.log.info(
    `Canary of ${cfg.serve.name} ${record.oldVersions.join(', ') || '(none)'} → ${cfg.serve.version}: ${mode === 'istio' ? `Istio networking.istio.io/${istio}` : 'replica ratio through Service ' + cfg.serve.name}`
  );
  if (old.length === 0) {
    await routing.allNew();
    record.result = 'finished';
    record.reason = 'no other version was serving, so there was nothing to shift from';
    return {
      status: 'done',
      summary: `${cfg.serve.version} takes all traffic of ${cfg.serve.name}: ${record.reason}`,
      details: { mode }
    };
  }
  try {
    await routing.prepare();
    for (const weight of cfg.canary.steps) await canaryStep(deps, api, mesh, routing, ctx, record, weight);
  } catch (err) {
    throw await rolledBack(err, await routing.rollBack(api, ctx, deps), ctx, record);
  }
  return finishCanary(deps, api, routing, ctx, record);
}

/** The serving versions of this lineage other than the new one, which must be up (else nothing to shift to). */
async function versionsToShiftFrom(api: KubeApi, cfg: Config): Promise<Version[]> {
  const all = await servingVersions(api, cfg);
  const fresh = all.find((v) => v.version === cfg.serve.version);
  if (!fresh || !rolloutComplete(fresh.deployment))
    throw new PipelineError(
      'CANARY_NO_NEW_VERSION',
      `serving ${cfg.serve.name} version ${cfg.serve.version} is not available, so there is nothing to shift traffic to`,
      'Run the deploy and smoke stages before the canary (in the same run or an earlier one).'
    );
  return oldVersionsOf(all, cfg);
}

/** One step: set the weight, soak, read the new version's metrics; a failed check throws StepFailed. */
async function canaryStep(
  deps: ClusterDeps,
  api: KubeApi,
  mesh: MeshApi,
  routing: Routing,
  ctx: StageContext,
  record: CanaryRecord,
  weight: number
): Promise<void> {
  const c = ctx.config.canary;
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const set = await routing.step(weight, api, ctx);
  const rec: CanaryStepRecord = { weight, ...set };
  record.steps.push(rec);
  const n = record.steps.length;
  ctx.log.info(`Canary step ${n}: ${weight} % → ${set.how}; soaking ${c.soakSeconds} s`);
  const before = await readCounters(api, mesh, ctx.config);
  await sleepOn(deps.timers ?? realTimers)(c.soakSeconds * 1000, ctx.signal);
  const figures = stepFigures(before, await readCounters(api, mesh, ctx.config));
  const failed = stepVerdict(figures, c);
  record.steps[n - 1] = { ...rec, figures, ...(failed ? { failed } : {}) };
  ctx.log.info(
    `Canary step ${n}: ${figures.requests} request(s), success ${figures.successRate.toFixed(1)} %, mean latency ${Math.round(figures.meanLatencyMs)} ms: ${failed ?? 'passed'}`
  );
  if (failed) throw new StepFailed(`step ${n} (${weight} %): ${failed}`);
}

/** The error of a canary that stopped, after the weights went back (`undo` says what was restored). */
async function rolledBack(err: unknown, undo: string, ctx: StageContext, record: CanaryRecord): Promise<PipelineError> {
  const { name, version } = ctx.config.serve;
  record.result = 'rolled-back';
  const what = err instanceof StepFailed ? err.message : ctx.signal.aborted ? 'cancelled' : (err as Error).message;
  record.reason = `${what}; ${undo}`;
  if (ctx.signal.aborted)
    return new PipelineError('CANCELLED', `cancelled during the canary of ${version}; ${undo}`, 'Run again.', {
      cause: err
    });
  if (err instanceof StepFailed)
    return new PipelineError(
      'CANARY_STEP_FAILED',
      `the canary of ${name} version ${version} failed at ${err.message}; ${undo}`,
      'Read the step table in the summary; fix the new version (or raise canary-success-rate / canary-latency-budget if the budgets were wrong) and run again.'
    );
  if (err instanceof PipelineError)
    return new PipelineError(err.code, `${err.message}; the canary of ${version} stopped: ${undo}`, err.hint, {
      cause: err,
      details: err.details
    });
  return new PipelineError(
    'CANARY_FAILED',
    `the canary of ${name} version ${version} stopped: ${(err as Error).message}; ${undo}`,
    'Read the log above, then run again.',
    { cause: err }
  );
}

/** Every step passed: the old versions retire (as smoke would have) and leave the routing. */
async function finishCanary(
  deps: ClusterDeps,
  api: KubeApi,
  routing: Routing,
  ctx: StageContext,
  record: CanaryRecord
): Promise<StageOutcome> {
  const { name, version } = ctx.config.serve;
  record.result = 'finished';
  const retired = await retireOldVersions(api, deps, ctx);
  if (retired.length) await routing.forget(retired);
  record.reason = retired.length ? `retired ${retired.join(', ')}` : undefined;
  return {
    status: 'done',
    summary: `${version} takes all traffic of ${name} after ${record.steps.length} step(s) (${ctx.config.canary.steps.join(', ')} %, ${record.mode})${retired.length ? `; retired ${retired.join(', ')}` : ''}`,
    details: { mode: record.mode, steps: record.steps.length }
  };
}

/** Reads the new version's ready pods' counters (each through its own port-forward to port 8002). */
async function readCounters(api: KubeApi, mesh: MeshApi, cfg: Config): Promise<Map<string, Counters>> {
  const { items } = await api.list(POD, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name, cfg.serve.version)
  });
  const out = new Map<string, Counters>();
  for (const pod of items.filter(isPodReady)) {
    let text: string;
    try {
      text = await mesh.metrics(cfg.cluster.namespace, pod.metadata.name);
      out.set(pod.metadata.name, tritonCounters(parsePrometheusText(text), cfg.serve.modelName));
    } catch (e) {
      throw new PipelineError(
        'CANARY_METRICS_UNREADABLE',
        `could not read Triton's metrics of pod ${pod.metadata.name} (port 8002 /metrics): ${(e as Error).message}`,
        'The serving must run with --allow-metrics (deploy passes it); check that the kubeconfig user may create pods/portforward.',
        { cause: e }
      );
    }
  }
  return out;
}

/** Sets a step's weights the mode's way, and puts them back. */
class Routing {
  constructor(
    private readonly mesh: MeshApi,
    private readonly cfg: Config,
    private readonly istio: IstioVersion,
    private readonly mode: CanaryMode,
    private readonly old: readonly Version[],
    private readonly oldWeights: readonly VersionWeight[],
    private readonly timers?: Timers
  ) {}

  private get ns(): string {
    return this.cfg.cluster.namespace;
  }

  private subsets(extra: readonly string[] = [this.cfg.serve.version]): string[] {
    return [...this.old.map((o) => o.version), ...extra];
  }

  /** Istio: the subsets first (a VirtualService naming a missing subset sends 503s). */
  async prepare(): Promise<void> {
    if (this.mode !== 'istio') return;
    await this.mesh.apply(destinationRule(this.cfg.serve.name, this.ns, this.subsets(), this.istio));
    await this.mesh.apply(
      virtualService(this.cfg.serve.name, this.ns, splitWeights(this.oldWeights, this.cfg.serve.version, 0), this.istio)
    );
  }

  async allNew(): Promise<void> {
    if (this.mode !== 'istio') return;
    const v = this.cfg.serve.version;
    await this.mesh.apply(destinationRule(this.cfg.serve.name, this.ns, [v], this.istio));
    await this.mesh.apply(virtualService(this.cfg.serve.name, this.ns, [{ version: v, weight: 100 }], this.istio));
  }

  async step(weight: number, api: KubeApi, ctx: StageContext): Promise<{ applied: number; how: string }> {
    const { name, version } = this.cfg.serve;
    if (this.mode === 'istio') {
      const ws = splitWeights(this.oldWeights, version, weight);
      await this.mesh.apply(virtualService(name, this.ns, ws, this.istio));
      return { applied: weight, how: ws.map((w) => `${w.version} ${w.weight}`).join(' · ') };
    }
    const r = replicasFor(
      weight,
      this.cfg.serve.replicas,
      this.old.map((o) => o.replicas)
    );
    // grow the new version first and wait for it, then shrink the old ones: capacity never dips
    await this.scaleAndWait(version, r.newReplicas, api, ctx);
    for (const [i, o] of this.old.entries()) await this.scaleAndWait(o.version, r.oldReplicas[i], api, ctx);
    return {
      applied: r.effective,
      how: [
        `${version} ${r.newReplicas} pod(s)`,
        ...this.old.map((o, i) => `${o.version} ${r.oldReplicas[i]} pod(s)`)
      ].join(' · ')
    };
  }

  private async scaleAndWait(version: string, replicas: number, api: KubeApi, ctx: StageContext): Promise<void> {
    const { items } = await api.list(DEPLOYMENT, this.ns, {
      labelSelector: servingSelector(this.cfg.serve.name, version)
    });
    const dep = items[0];
    if (!dep) throw new Error(`serving ${this.cfg.serve.name} version ${version} has no Deployment any more`);
    const had = Number(dep.spec?.replicas ?? 1);
    if (had === replicas) return;
    await this.mesh.scale(this.ns, dep.metadata.name, replicas);
    if (replicas > had)
      await waitForRollout({
        api,
        namespace: this.ns,
        name: this.cfg.serve.name,
        version,
        timeoutMs: this.cfg.serve.timeoutSeconds * 1000,
        signal: ctx.signal,
        ...(this.timers ? { timers: this.timers } : {})
      });
  }

  /** All traffic back on the old versions, then the new version deleted. Returns what it did, in words. */
  async rollBack(api: KubeApi, ctx: StageContext, deps: ClusterDeps): Promise<string> {
    const { name, version } = this.cfg.serve;
    const done: string[] = [];
    try {
      if (this.mode === 'istio') {
        await this.mesh.apply(virtualService(name, this.ns, splitWeights(this.oldWeights, version, 0), this.istio));
        done.push(
          `VirtualService ${name} sends all traffic to ${this.oldWeights.map((o) => o.version).join(', ')} again`
        );
      } else {
        // a cancelled run must still restore capacity: the wait gets no signal
        const calm = { ...ctx, signal: new AbortController().signal };
        for (const o of this.old) await this.scaleAndWait(o.version, o.replicas, api, calm);
        done.push(`${this.old.map((o) => `${o.version} back to ${o.replicas} replica(s)`).join(', ')}`);
      }
    } catch (e) {
      done.push(`could not restore the old weights (${(e as Error).message}): check them by hand`);
    }
    await rollback(deps, ctx, { kind: 'serving', namespace: this.ns, name, version });
    done.push(`deleted serving version ${version}`);
    if (this.mode === 'istio')
      await this.mesh
        .apply(destinationRule(name, this.ns, this.subsets([]), this.istio))
        .catch((e: unknown) => ctx.log.warning(`Could not drop subset ${version}: ${(e as Error).message}`));
    return done.join('; ');
  }

  /** Retired versions leave the DestinationRule. */
  async forget(retired: readonly string[]): Promise<void> {
    if (this.mode !== 'istio') return;
    const keep = this.subsets().filter((v) => !retired.includes(v));
    await this.mesh.apply(destinationRule(this.cfg.serve.name, this.ns, keep, this.istio));
  }
}
