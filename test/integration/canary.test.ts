/**
 * The canary stage through the sandbox with the real clients: Istio's kinds in the API server, the mesh router
 * sending simulated users' requests by the VirtualService weights (or the Service's endpoints), Triton's
 * metrics read through port-forwards, and Arena deleting the version on rollback. Soak times run on the scenario
 * clock (the stage's injected timers), never a real sleep of their length.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage } from '../../src/stages/deploy.js';
import { makeSmokeStage } from '../../src/stages/smoke.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { canaryMesh } from '../../src/composition/cluster.js';
import { makeCanaryStage, type MeshFactory } from '../../src/stages/canary.js';
import { clientNodeMesh } from '../../src/k8s/mesh.js';
import { canaryMarkdown, type CanaryRecord } from '../../src/report/canary.js';
import { servingSelector } from '../../src/k8s/serving.js';
import { DEPLOYMENT, SERVICE, type KObj } from '../../src/k8s/types.js';
import type { Config } from '../../src/config/types.js';
import type { Timers } from '../../src/k8s/wait.js';
import type { PipelineError } from '../../src/errors.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
const NS = () => cl.sb.info.kube!.namespace;
const VS = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  plural: 'virtualservices',
  namespaced: true
};
const DR = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  plural: 'destinationrules',
  namespaced: true
};

/** The stage's timers on the scenario clock: a 20 s soak takes 20 scenario seconds. */
const scenarioTimers = (): Timers => ({
  setTimeout: (fn, ms) => setTimeout(fn, cl.sb.clock.realMs(ms / 1000)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
});
const deps = () => ({ ...cl.deps, timers: scenarioTimers() });

function config(name: string, version: string, canary: Partial<Config['canary']> = {}, keepVersions = 3): Config {
  const base = cl.cfg();
  return {
    ...base,
    stages: [...base.stages, 'canary'],
    serve: { ...base.serve, name, version },
    canary: {
      ...base.canary,
      steps: [20, 50, 100],
      soakSeconds: 20,
      minRequests: 3,
      minSuccessRate: 95,
      latencyBudgetMs: 30_000,
      ...canary
    },
    keepVersions
  };
}

async function deployAndSmoke(cfg: Config): Promise<void> {
  const t = cl.context(cfg);
  await makeDeployStage(cl.deps).run(t.ctx);
  await makeSmokeStage(cl.deps).run(t.ctx);
}

async function runCanary(cfg: Config) {
  const t = cl.context(cfg);
  const out = await makeCanaryStage(deps(), canaryMesh)
    .run(t.ctx)
    .catch((e: unknown) => e as PipelineError);
  return { out, record: t.ctx.state.canary as CanaryRecord, ...t };
}

const versions = async (cfg: Config) =>
  (await cl.api(cfg).list(DEPLOYMENT, NS(), { labelSelector: servingSelector(cfg.serve.name) })).items
    .map((d) => `${d.metadata.labels!.servingVersion}:${d.spec.replicas}`)
    .sort();

/** Users' requests for `seconds` scenario seconds; returns what each version answered. */
async function usersFor(name: string, cfg: Config, seconds: number) {
  const traffic = cl.sb.traffic!({ namespace: NS(), host: name, model: cfg.serve.modelName, rate: 5 });
  await cl.sb.clock.sleep(seconds);
  await traffic.stop();
  return traffic.counts();
}

const weightsOf = (vs: KObj | undefined) =>
  ((vs?.spec.http[0].route ?? []) as { destination: { subset: string }; weight: number }[]).map(
    (r) => `${r.destination.subset}:${r.weight}`
  );

beforeAll(async () => {
  cl = await startCluster({ speed: 200, istio: true });
  const cfg = cl.cfg();
  await makeStorageStage(cl.deps).run(cl.context(cfg).ctx);
  await cl.seedModel(cfg);
  await makeConvertStage(cl.deps).run(cl.context(cfg).ctx);
});
afterAll(async () => {
  await cl?.stop();
});

describe('canary with Istio (VirtualService weights)', () => {
  it('shifts traffic 20 → 50 → 100 % while users call the Service, checking Triton metrics at each step', async () => {
    await deployAndSmoke(config('bloom-tiny', 'c1'));
    const cfg = config('bloom-tiny', 'c2');
    await deployAndSmoke(cfg);
    // the plan says what it would do, step by step, and changes nothing
    const plan = await makeCanaryStage(deps(), canaryMesh).plan(cl.context(cfg).ctx);
    expect(plan.reason).toMatch(
      /from c1 to c2 in steps 20, 50, 100 % with a DestinationRule subset per version and a weighted VirtualService/
    );
    expect(plan.detail![0]).toBe(
      'step 1: 20 % → VirtualService weights c1 80 · c2 20; soak 20 s, then check success ≥ 95 %, mean latency ≤ 30000 ms, ≥ 3 requests'
    );
    expect(await cl.api(cfg).get(VS, NS(), 'bloom-tiny')).toBeUndefined();
    const traffic = cl.sb.traffic!({ namespace: NS(), host: 'bloom-tiny', model: cfg.serve.modelName, rate: 5 });
    const { out, record } = await runCanary(cfg);
    await traffic.stop();
    if (out instanceof Error) throw out;
    expect(out.status).toBe('done');
    expect(record.mode).toBe('istio');
    expect(record.result).toBe('finished');
    expect(record.steps.map((s) => s.weight)).toEqual([20, 50, 100]);
    for (const s of record.steps) {
      expect(s.failed).toBeUndefined();
      expect(s.figures!.requests).toBeGreaterThanOrEqual(3);
      expect(s.figures!.successRate).toBe(100);
    }
    // the VirtualService's weights at each step (the router's split by them is exact: test/sandbox/kube-istio)
    expect(record.steps.map((s) => s.how)).toEqual(['c1 80 · c2 20', 'c1 50 · c2 50', 'c2 100']);
    const counts = traffic.counts();
    expect(counts.c1.ok).toBeGreaterThan(0);
    expect(counts.c2.ok).toBeGreaterThan(0);
    const api = cl.api(cfg);
    expect(weightsOf(await api.get(VS, NS(), 'bloom-tiny'))).toEqual(['c2:100']);
    const dr = await api.get(DR, NS(), 'bloom-tiny');
    expect(dr!.spec.subsets).toEqual([
      { name: 'c1', labels: { servingVersion: 'c1' } },
      { name: 'c2', labels: { servingVersion: 'c2' } }
    ]);
    const svc = await api.get(SERVICE, NS(), 'bloom-tiny');
    expect(svc!.spec.selector).toEqual({ servingName: 'bloom-tiny', servingType: 'triton-serving' });
    expect(svc!.metadata.managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: 'arena-ft-pipeline', operation: 'Apply' })])
    );
    // after the canary every user request reaches c2
    const after = await usersFor('bloom-tiny', cfg, 10);
    expect(Object.keys(after)).toEqual(['c2']);
    const md = canaryMarkdown(record);
    expect(md).toMatch(/xychart-beta/);
    expect(md).toMatch(/bar \[0, 20, 50, 100\]/);
    expect(md).toMatch(/\*\*Finished:\*\* c2 takes all traffic/);
  });

  it('a version that degrades under load fails a step: weights back to 100 % old, the new version deleted', async () => {
    // smoke sends 10 requests; the 13th and every 2nd after fail with FT's out-of-memory error
    cl.sb.operator!.setScenario({ match: /^bloom-tiny-c3-/, outcome: 'degrade-under-load', afterRequests: 24 });
    const cfg = config('bloom-tiny', 'c3');
    await deployAndSmoke(cfg);
    const traffic = cl.sb.traffic!({ namespace: NS(), host: 'bloom-tiny', model: cfg.serve.modelName, rate: 5 });
    const { out, record } = await runCanary(cfg);
    await traffic.stop();
    cl.sb.operator!.clearScenarios();
    expect((out as PipelineError).code).toBe('CANARY_STEP_FAILED');
    expect((out as PipelineError).message).toMatch(
      /failed at step 1 \(20 %\): success rate [\d.]+ % \(\d+ of \d+ failed\) is under 95 %; VirtualService bloom-tiny sends all traffic to c2 again; deleted serving version c3/
    );
    expect(record.result).toBe('rolled-back');
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0].figures!.failures).toBeGreaterThan(0);
    expect(traffic.counts().c3.failed).toBeGreaterThan(0);
    const api = cl.api(cfg);
    expect(weightsOf(await api.get(VS, NS(), 'bloom-tiny'))).toEqual(['c2:100']);
    expect((await api.get(DR, NS(), 'bloom-tiny'))!.spec.subsets.map((s: { name: string }) => s.name)).toEqual([
      'c1',
      'c2'
    ]);
    expect(await versions(cfg)).toEqual(['c1:1', 'c2:1']);
    // the old version serves everything again, without failures
    const after = await usersFor('bloom-tiny', cfg, 10);
    expect(Object.keys(after)).toEqual(['c2']);
    expect(after.c2.failed).toBe(0);
    expect(canaryMarkdown(record)).toMatch(/\*\*Rolled back:\*\* step 1 \(20 %\): success rate/);
  });
});

describe('canary cancelled', () => {
  it('a cancel during a step rolls back as a failed check does (CANCELLED)', async () => {
    const cfg = config('bloom-tiny', 'c4');
    await deployAndSmoke(cfg);
    const stop = new AbortController();
    // cancel when the first step reads its baseline: the soak then ends at once
    const meshOf: MeshFactory = (kc, d) => {
      const real = clientNodeMesh(kc, d.forwardPort);
      return {
        ...real,
        metrics: async (ns, pod) => {
          stop.abort(new Error('SIGTERM'));
          return real.metrics(ns, pod);
        }
      };
    };
    const t = cl.context(cfg, { signal: stop.signal });
    const out = await makeCanaryStage(deps(), meshOf)
      .run(t.ctx)
      .catch((e: unknown) => e as PipelineError);
    expect((out as PipelineError).code).toBe('CANCELLED');
    expect((out as PipelineError).message).toBe(
      'cancelled during the canary of c4; VirtualService bloom-tiny sends all traffic to c2 again; deleted serving version c4'
    );
    expect((t.ctx.state.canary as CanaryRecord).steps).toHaveLength(1);
    expect(await versions(cfg)).toEqual(['c1:1', 'c2:1']);
    expect(weightsOf(await cl.api(cfg).get(VS, NS(), 'bloom-tiny'))).toEqual(['c2:100']);
  });
});

describe('canary metrics unreadable', () => {
  it('port-forwards to port 8002 refused: CANARY_METRICS_UNREADABLE, rolled back', async () => {
    const cfg = config('bloom-tiny', 'c5');
    await deployAndSmoke(cfg);
    cl.sb.faults.add({
      service: 'kube',
      path: '/portforward',
      times: 1000,
      action: { kind: 'status', status: 500, message: 'kubelet unreachable' }
    });
    const { out, record } = await runCanary(cfg).finally(() => cl.sb.faults.reset());
    expect((out as PipelineError).code).toBe('CANARY_METRICS_UNREADABLE');
    expect((out as PipelineError).message).toMatch(
      /^could not read Triton's metrics of pod bloom-tiny-c5-\S+ \(port 8002 \/metrics\): .*; the canary of c5 stopped: VirtualService bloom-tiny sends all traffic to c2 again; deleted serving version c5$/
    );
    expect(record.result).toBe('rolled-back');
    expect(await versions(cfg)).toEqual(['c1:1', 'c2:1']);
    expect(weightsOf(await cl.api(cfg).get(VS, NS(), 'bloom-tiny'))).toEqual(['c2:100']);
  });
});

describe('canary without Istio (replica ratio through one Service)', () => {
  it('scales the new version up and the old one down step by step; the Service spans both', async () => {
    await deployAndSmoke(config('bloomr', 'r1', { mode: 'replicas' }));
    const cfg = config('bloomr', 'r2', { mode: 'replicas', steps: [50, 100] });
    await deployAndSmoke(cfg);
    const traffic = cl.sb.traffic!({ namespace: NS(), host: 'bloomr', model: cfg.serve.modelName, rate: 5 });
    const { out, record } = await runCanary(cfg);
    await traffic.stop();
    if (out instanceof Error) throw out;
    expect(record.mode).toBe('replicas');
    expect(record.steps.map((s) => [s.weight, s.applied])).toEqual([
      [50, 50],
      [100, 100]
    ]);
    expect(record.steps[0].how).toBe('r2 1 pod(s) · r1 1 pod(s)');
    expect(record.steps[1].how).toBe('r2 1 pod(s) · r1 0 pod(s)');
    expect(traffic.counts().r1.ok).toBeGreaterThan(0);
    expect(await versions(cfg)).toEqual(['r1:0', 'r2:1']);
    expect(await cl.api(cfg).get(VS, NS(), 'bloomr')).toBeUndefined();
    const after = await usersFor('bloomr', cfg, 10);
    expect(Object.keys(after)).toEqual(['r2']);
  });

  it('a failed step scales the old version back up before deleting the new one', async () => {
    cl.sb.operator!.setScenario({ match: /^bloomr-r3-/, outcome: 'degrade-under-load', afterRequests: 24 });
    const cfg = config('bloomr', 'r3', { mode: 'replicas', steps: [50, 100] });
    // r2 serves alone (r1 is at 0 replicas): the canary shifts from r2
    await deployAndSmoke(cfg);
    const traffic = cl.sb.traffic!({ namespace: NS(), host: 'bloomr', model: cfg.serve.modelName, rate: 5 });
    const { out, record } = await runCanary(cfg);
    await traffic.stop();
    cl.sb.operator!.clearScenarios();
    expect((out as PipelineError).code).toBe('CANARY_STEP_FAILED');
    expect((out as PipelineError).message).toMatch(/r2 back to 1 replica\(s\); deleted serving version r3/);
    expect(record.oldVersions).toEqual(['r2']);
    expect(await versions(cfg)).toEqual(['r1:0', 'r2:1']);
    const after = await usersFor('bloomr', cfg, 10);
    expect(Object.keys(after)).toEqual(['r2']);
  });
});

describe('Istio asked for but missing', () => {
  it('fails with CANARY_ISTIO_MISSING and changes nothing', async () => {
    // uninstall Istio: the API server stops serving networking.istio.io (404, as the real one)
    const crds = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
    for (const n of ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'])
      cl.sb.kube!.store.delete(crds, undefined, n);
    const cfg = config('bloom-tiny', 'c2', { mode: 'istio' });
    const before = await versions(cfg);
    const { out } = await runCanary(cfg);
    expect((out as PipelineError).code).toBe('CANARY_ISTIO_MISSING');
    expect((out as PipelineError).message).toMatch(/serves no networking\.istio\.io API.*nothing was changed/);
    expect((out as PipelineError).hint).toMatch(/canary-mode to replicas/);
    expect(await versions(cfg)).toEqual(before);
    // auto falls back to the replica ratio; its plan says so
    const plan = await makeCanaryStage(deps(), canaryMesh).plan(cl.context(config('bloom-tiny', 'c2')).ctx);
    expect(plan.reason).toMatch(/weights approximated by replica counts/);
  });
});
