/**
 * The gc stage against the sandbox (issue 18): it removes, through Arena and confirmed through the API, only what
 * this action created (its managed-by label), only when older than the retention, only when idle — a serving
 * version whose Triton request counter moves during the idle window stays, and the newest version stays. Plan mode
 * lists the same without touching anything. The clock of the stage is moved 8 days ahead instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config/types.js';
import { runArena } from '../../src/arena/exec.js';
import { serveTritonArgs, submitPytorchJobArgs } from '../../src/arena/args.js';
import { isPodReady, servingSelector } from '../../src/k8s/serving.js';
import { DEPLOYMENT, POD, PYTORCHJOB, type KObj } from '../../src/k8s/types.js';
import { jobPhase } from '../../src/k8s/diagnose.js';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage, servingSpec } from '../../src/stages/deploy.js';
import { makeGcStage, type GcDeps } from '../../src/stages/gc.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { TritonClient } from '../../src/triton/client.js';
import { INFER_OUTPUTS, inferInputs } from '../../src/triton/generate.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
const EIGHT_DAYS_MS = 8 * 86_400_000;

const cfgOf = (serveVersion: string): Config =>
  cl.cfg({
    stages: ['gc'],
    model: { repo: 'bigscience-sandbox/bloom-tiny', revision: 'main', name: 'bloom-tiny', version: 'gc' },
    convert: { jobName: 'ft-bloom-tiny-gc' },
    serve: { name: 'gcbloom', version: serveVersion },
    gc: { retentionSeconds: 7 * 86_400, idleWindowSeconds: 60 }
  });

async function deployment(version: string): Promise<KObj | undefined> {
  const cfg = cfgOf(version);
  const { items } = await cl
    .api(cfg)
    .list(DEPLOYMENT, cfg.cluster.namespace, { labelSelector: servingSelector('gcbloom', version) });
  return items[0];
}

/** Waits (scenario clock) until the API server's clock has moved past the second `iso` names. */
async function nextSecond(iso: string): Promise<void> {
  while (new Date().toISOString().slice(0, 19) <= iso.slice(0, 19)) await cl.sb.clock.sleep(20);
}

beforeAll(async () => {
  cl = await startCluster({ speed: 200 });
  const cfg = cfgOf('g1');
  await makeStorageStage(cl.deps).run(cl.context(cfg).ctx);
  await cl.seedModel(cfg);
  await makeConvertStage(cl.deps).run(cl.context(cfg).ctx); // the action's job, Succeeded
  for (const v of ['g1', 'g2', 'g3']) {
    await makeDeployStage(cl.deps).run(cl.context(cfgOf(v)).ctx);
    await nextSecond(String((await deployment(v))!.metadata.creationTimestamp)); // g3 is the newest, alone
  }
  // a serving version and a job somebody made by hand with arena, without the action's label
  const hand = cfgOf('hand');
  const serve = await runArena(
    serveTritonArgs({
      name: 'gcbloom',
      version: 'hand',
      namespace: hand.cluster.namespace,
      image: hand.serve.image,
      gpus: 0,
      replicas: 1,
      pvc: hand.cluster.pvcName,
      mountPath: hand.cluster.mountPath,
      modelRepository: servingSpec(hand).modelRepository
    }),
    { env: cl.env }
  );
  expect(serve.exitCode).toBe(0);
  const job = await runArena(
    submitPytorchJobArgs({
      name: 'theirs',
      namespace: hand.cluster.namespace,
      image: hand.convert.image,
      gpus: 1,
      workers: 1,
      pvc: hand.cluster.pvcName,
      mountPath: hand.cluster.mountPath,
      runningTimeoutSeconds: 3600,
      command: 'echo done'
    }),
    { env: cl.env }
  );
  expect(job.exitCode).toBe(0);
  for (let i = 0; i < 300; i++) {
    if (jobPhase(await cl.api(hand).get(PYTORCHJOB, hand.cluster.namespace, 'theirs')) === 'Succeeded') break;
    await cl.sb.clock.sleep(5);
  }
}, 180_000);
afterAll(async () => {
  await cl.stop();
});

/** Sends inference requests to one serving version through a port-forward to its ready pod. */
async function sendTraffic(version: string, requests: number): Promise<void> {
  const cfg = cfgOf(version);
  const { items } = await cl
    .api(cfg)
    .list(POD, cfg.cluster.namespace, { labelSelector: servingSelector('gcbloom', version) });
  const pod = items.find(isPodReady)!;
  const kc = cl.deps.kube(cl.context(cfg).ctx).kc;
  const fwd = await cl.deps.forwardPort(kc, cfg.cluster.namespace, pod.metadata.name, 8000);
  const client = new TritonClient(fwd.port);
  try {
    for (let i = 0; i < requests; i++)
      await client.infer(cfg.serve.modelName, inferInputs([1, 2, 3], 4), INFER_OUTPUTS);
  } finally {
    client.close();
    await fwd.close();
  }
}

/** The stage 8 days from now; the idle window is the time g1 receives requests (and nobody else does). */
function gcDeps(traffic: { windows: number }): GcDeps {
  return {
    ...cl.deps,
    now: () => Date.now() + EIGHT_DAYS_MS,
    idleWait: async (seconds) => {
      expect(seconds).toBe(60);
      traffic.windows++;
      await sendTraffic('g1', 3);
    }
  };
}

describe('gc stage against the sandbox', () => {
  it('plan lists what it would remove and removes nothing', async () => {
    const traffic = { windows: 0 };
    const cfg = { ...cfgOf('g1'), plan: true };
    const line = await makeGcStage(gcDeps(traffic)).plan(cl.context(cfg).ctx);
    expect(traffic.windows).toBe(1);
    expect(line.action).toBe('run');
    expect(line.reason).toBe('would remove serving gcbloom version g2, PyTorchJob ft-bloom-tiny-gc');
    const detail = line.detail!.join('\n');
    expect(detail).toMatch(/keep {3}serving gcbloom version g1: created 8d 0h ago; received 3 request\(s\) in 60 s/);
    expect(detail).toMatch(/remove serving gcbloom version g2: created 8d 0h ago; no request in 60 s/);
    expect(detail).toMatch(/keep {3}serving gcbloom version g3: newest version of gcbloom \(release\)/);
    expect(detail).not.toMatch(/hand|theirs/);
    expect(await deployment('g2')).toBeDefined();
    expect(await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, 'ft-bloom-tiny-gc')).toBeDefined();
  });

  it('removes only the idle old version and its own finished job; leaves traffic, the newest and what is not its own', async () => {
    const traffic = { windows: 0 };
    const cfg = cfgOf('g1');
    const t = cl.context(cfg);
    const out = await makeGcStage(gcDeps(traffic)).run(t.ctx);
    expect(out.status).toBe('done');
    expect(JSON.parse(out.outputs!['gc-removed'])).toEqual([
      { kind: 'serving', name: 'gcbloom', version: 'g2' },
      { kind: 'pytorchjob', name: 'ft-bloom-tiny-gc' }
    ]);
    expect(out.markdown).toMatch(/\| serving gcbloom version g1 \| 8d 0h \| kept \| .*received 3 request/);
    const api = cl.api(cfg);
    const ns = cfg.cluster.namespace;
    expect(await deployment('g2')).toBeUndefined();
    expect((await api.list(POD, ns, { labelSelector: servingSelector('gcbloom', 'g2') })).items).toEqual([]);
    expect(await api.get(PYTORCHJOB, ns, 'ft-bloom-tiny-gc')).toBeUndefined();
    for (const v of ['g1', 'g3', 'hand']) expect(await deployment(v)).toBeDefined();
    expect(await api.get(PYTORCHJOB, ns, 'theirs')).toBeDefined();

    // nothing left to remove: a second run skips
    const again = await makeGcStage(gcDeps(traffic)).run(cl.context(cfg).ctx);
    expect(again.status).toBe('skipped');
    expect(again.outputs!['gc-removed']).toBe('[]');
  });

  it('within the retention nothing is a candidate, and no traffic window is waited', async () => {
    const traffic = { windows: 0 };
    const deps: GcDeps = { ...gcDeps(traffic), now: () => Date.now() };
    const out = await makeGcStage(deps).run(cl.context(cfgOf('g1')).ctx);
    expect(out.status).toBe('skipped');
    expect(traffic.windows).toBe(0);
    expect(await deployment('g1')).toBeDefined();
  });
});
