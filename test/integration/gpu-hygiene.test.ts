/**
 * GPU hygiene against the sandbox (issue 18): after a run succeeds, fails or is cancelled, listing the pods that
 * request `nvidia.com/gpu` through the API finds none of this run's still holding GPUs (only the serving version a
 * successful run deploys); a finished conversion job goes after its TTL with its pods; each stage's GPU-hours are
 * measured from its pods.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config/types.js';
import type { PipelineError } from '../../src/errors.js';
import { podFinished, podGpus } from '../../src/k8s/gpu-usage.js';
import { CONFIGMAP, POD, PYTORCHJOB, type KObj } from '../../src/k8s/types.js';
import type { Stage } from '../../src/pipeline/types.js';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage } from '../../src/stages/deploy.js';
import { withGpuUsage } from '../../src/stages/gpu-usage.js';
import { makeSmokeStage } from '../../src/stages/smoke.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { cleanupHandlers } from '../../src/composition/cleanup.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
beforeAll(async () => {
  cl = await startCluster({ speed: 200 });
  const cfg = cl.cfg();
  await makeStorageStage(cl.deps).run(cl.context(cfg).ctx);
  await cl.seedModel(cfg);
  // a converted version the deploy cases serve (each test stands on its own)
  await makeConvertStage(cl.deps).run(cl.context(version('base')).ctx);
});
afterAll(async () => {
  await cl.stop();
});

/** A model version of its own: job `ft-bloom-tiny-<v>`, serving version `<v>`. */
const version = (v: string, over: Parameters<Cluster['cfg']>[0] = {}) =>
  cl.cfg({
    ...over,
    model: { repo: 'bigscience-sandbox/bloom-tiny', revision: 'main', name: 'bloom-tiny', version: v },
    convert: { jobName: `ft-bloom-tiny-${v}`, ttlSeconds: 86_400, ...over.convert },
    serve: { version: v, ...over.serve },
    smoke: { requests: 2, ...over.smoke }
  });

const metered = (s: Stage) => withGpuUsage(s, cl.deps);

/**
 * Slows a conversion pod's image pull to over a second of real time (6 scenario s × factor ÷ speed 200): its
 * startTime (set when scheduled) and finishedAt, whole seconds as the API server writes them, then differ.
 */
const SLOW_PULL = 40;

/** This run's pods that request GPUs and still hold them (not finished, not being deleted). */
async function gpuPodsOfRun(cfg: Config): Promise<string[]> {
  const { items } = await cl.api(cfg).list(POD, cfg.cluster.namespace);
  const ours = (p: KObj) => {
    const l = p.metadata.labels ?? {};
    return (
      l.release === cfg.convert.jobName || (l.servingName === cfg.serve.name && l.servingVersion === cfg.serve.version)
    );
  };
  return items
    .filter((p) => ours(p) && podGpus(p) > 0 && !podFinished(p) && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name);
}

/** The pods as the API lists them once the deletions just made have been carried out (bounded). */
async function settledGpuPods(cfg: Config, want: (pods: string[]) => boolean): Promise<string[]> {
  let pods = await gpuPodsOfRun(cfg);
  for (let i = 0; i < 100 && !want(pods); i++) {
    await cl.sb.clock.sleep(1);
    pods = await gpuPodsOfRun(cfg);
  }
  return pods;
}

async function fails(stage: Stage, ctx: ReturnType<Cluster['context']>['ctx']): Promise<PipelineError> {
  const err = (await stage.run(ctx).then(
    () => undefined,
    (e: unknown) => e
  )) as PipelineError | undefined;
  expect(err).toBeDefined();
  return err!;
}

describe('no GPU pod of the run is left', () => {
  it('after success only the serving version it deployed holds GPUs; every stage’s GPU-hours are measured', async () => {
    const cfg = version('ok');
    const t = cl.context(cfg);
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-ok', outcome: 'slow', factor: SLOW_PULL });
    for (const s of [makeConvertStage(cl.deps), makeDeployStage(cl.deps), makeSmokeStage(cl.deps)]) {
      const out = await metered(s).run(t.ctx);
      expect(out.status).toBe('done');
      expect(Number(out.details?.['gpu-hours'])).toBeGreaterThan(0);
    }
    cl.sb.operator!.clearScenarios();
    const hours = t.ctx.state.gpuHours as Record<string, number>;
    expect(Object.keys(hours)).toEqual(['convert', 'deploy', 'smoke']);
    for (const h of Object.values(hours)) expect(h).toBeGreaterThan(0);

    const job = await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName);
    expect(job?.spec.runPolicy).toMatchObject({ cleanPodPolicy: 'Running', ttlSecondsAfterFinished: 86_400 });
    const pods = await settledGpuPods(cfg, (p) => p.every((n) => n.includes('tritoninferenceserver')));
    expect(pods).toHaveLength(cfg.serve.replicas);
    expect(pods.every((n) => n.startsWith('bloom-tiny-ok-tritoninferenceserver-'))).toBe(true);
  });

  it('after a failed conversion: its pod ended (log and diagnosis read), no GPU held; GPU-hours still recorded', async () => {
    const cfg = version('bad');
    // a slow image pull makes the pod span over a second: pod times have second precision, as the API writes them
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-bad', outcome: 'slow', factor: SLOW_PULL });
    cl.sb.operator!.setScenario({
      match: 'ft-bloom-tiny-bad',
      outcome: 'fail-at',
      afterLines: 3,
      message: 'RuntimeError: boom'
    });
    const t = cl.context(cfg);
    const err = await fails(metered(makeConvertStage(cl.deps)), t.ctx);
    cl.sb.operator!.clearScenarios();
    expect(err.code).toBe('CONVERT_JOB_FAILED');
    expect(err.details.join('\n')).toMatch(/RuntimeError: boom/); // read from the pod the Running policy kept
    expect(await settledGpuPods(cfg, (p) => p.length === 0)).toEqual([]);
    expect((t.ctx.state.gpuHours as Record<string, number>).convert).toBeGreaterThan(0);
  });

  it('after a failed deploy: the new version is deleted with its pods', async () => {
    const base = version('base');
    const cfg = { ...base, serve: { ...base.serve, version: 'crashy' } };
    cl.sb.operator!.setScenario({ match: 'bloom-tiny-crashy', outcome: 'crash-loop', afterSeconds: 1 });
    const t = cl.context(cfg);
    const err = await fails(metered(makeDeployStage(cl.deps)), t.ctx);
    cl.sb.operator!.clearScenarios();
    expect(err.code).toMatch(/^DEPLOY_/);
    expect(await settledGpuPods(cfg, (p) => p.length === 0)).toEqual([]);
  });

  it('after a failed smoke test: the version it deployed is deleted with its pods', async () => {
    const base = version('base');
    const cfg = {
      ...base,
      serve: { ...base.serve, version: 'slowpoke' },
      smoke: { ...base.smoke, latencyBudgetMs: 0 }
    };
    const t = cl.context(cfg);
    await metered(makeDeployStage(cl.deps)).run(t.ctx);
    expect(await gpuPodsOfRun(cfg)).toHaveLength(1);
    const err = await fails(metered(makeSmokeStage(cl.deps)), t.ctx);
    expect(err.code).toBe('SMOKE_LATENCY_OVER_BUDGET');
    expect(await settledGpuPods(cfg, (p) => p.length === 0)).toEqual([]);
    expect(Object.keys(t.ctx.state.gpuHours as object)).toEqual(['deploy', 'smoke']);
  });

  it('after a cancelled conversion and a cancelled deploy', async () => {
    const cfg = version('stop');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-stop', outcome: 'slow', factor: 100 });
    const ctl = new AbortController();
    const t = cl.context(cfg, { signal: ctl.signal });
    const p = fails(metered(makeConvertStage(cl.deps)), t.ctx);
    // cancelled once its pod is bound to a node (startTime set) and pulling its image (slowed down)
    const master = `${cfg.convert.jobName}-master-0`;
    const started = async () => (await cl.api(cfg).get(POD, cfg.cluster.namespace, master))?.status?.startTime;
    for (let i = 0; i < 300 && !(await started()); i++) await cl.sb.clock.sleep(1);
    expect(await gpuPodsOfRun(cfg)).toEqual([master]);
    ctl.abort(new Error('SIGTERM'));
    expect((await p).code).toBe('CANCELLED');
    cl.sb.operator!.clearScenarios();
    expect(await settledGpuPods(cfg, (x) => x.length === 0)).toEqual([]);
    // the pod was deleted before the stage ended: its GPU time until then still counts
    expect((t.ctx.state.gpuHours as Record<string, number>).convert).toBeGreaterThan(0);

    const base = version('base');
    const dcfg = { ...base, serve: { ...base.serve, version: 'stopped' } };
    cl.sb.operator!.setScenario({ match: 'bloom-tiny-stopped', outcome: 'slow', factor: 1000 });
    const dctl = new AbortController();
    const dt = cl.context(dcfg, { signal: dctl.signal });
    const dp = fails(metered(makeDeployStage(cl.deps)), dt.ctx);
    for (let i = 0; i < 300 && dt.cleanup.records.length === 0; i++) await cl.sb.clock.sleep(1);
    dctl.abort(new Error('SIGTERM'));
    expect((await dp).code).toBe('CANCELLED');
    cl.sb.operator!.clearScenarios();
    expect(await settledGpuPods(dcfg, (x) => x.length === 0)).toEqual([]);
  });

  it('after a run killed before it could clean up: the post step’s handlers remove its job and its GPU pods', async () => {
    const cfg = version('killed');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-killed', outcome: 'slow', factor: 1000 });
    const ctl = new AbortController();
    const t = cl.context(cfg, { signal: ctl.signal });
    // the process dies: the stage never gets to its own cancel path, only the post step runs
    const run = metered(makeConvertStage(cl.deps))
      .run(t.ctx)
      .catch(() => undefined);
    for (let i = 0; i < 300 && ((await gpuPodsOfRun(cfg)).length === 0 || t.cleanup.records.length === 0); i++)
      await cl.sb.clock.sleep(1);
    expect(t.cleanup.records).toEqual([
      { kind: 'pytorchjob', namespace: cfg.cluster.namespace, name: cfg.convert.jobName }
    ]);
    const handlers = cleanupHandlers(cfg);
    const post = { log: cl.context(cfg).log, env: cl.env, signal: new AbortController().signal };
    expect(
      await handlers.pytorchjob!(t.cleanup.records[0] as { kind: 'pytorchjob'; namespace: string; name: string }, post)
    ).toBe('deleted');
    expect(await settledGpuPods(cfg, (x) => x.length === 0)).toEqual([]);
    ctl.abort(new Error('SIGTERM'));
    await run;
    cl.sb.operator!.clearScenarios();
  });
});

describe('the conversion job’s TTL', () => {
  it('the operator deletes the finished job, its pods and Arena’s ConfigMap once the TTL has passed', async () => {
    const cfg = version('ttl', { convert: { ttlSeconds: 600 } });
    const out = await makeConvertStage(cl.deps).run(cl.context(cfg).ctx);
    expect(out.status).toBe('done'); // the log was followed and the output verified before the TTL
    const api = cl.api(cfg);
    const ns = cfg.cluster.namespace;
    let job = await api.get(PYTORCHJOB, ns, cfg.convert.jobName);
    for (let i = 0; i < 200 && job; i++) {
      await cl.sb.clock.sleep(30);
      job = await api.get(PYTORCHJOB, ns, cfg.convert.jobName);
    }
    expect(job).toBeUndefined();
    expect(await api.get(CONFIGMAP, ns, `${cfg.convert.jobName}-pytorchjob`)).toBeUndefined();
    const { items } = await api.list(POD, ns, { labelSelector: `release=${cfg.convert.jobName}` });
    expect(items).toEqual([]);
    // the marker in OSS makes the next run skip, without the job
    expect((await makeConvertStage(cl.deps).run(cl.context(cfg).ctx)).status).toBe('skipped');
  });
});
