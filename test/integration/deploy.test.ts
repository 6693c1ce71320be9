import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage } from '../../src/stages/deploy.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { tritonConfigKey } from '../../src/config/layout.js';
import { servingSelector } from '../../src/k8s/serving.js';
import { CONFIGMAP, DEPLOYMENT, SERVICE } from '../../src/k8s/types.js';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runArena } from '../../src/arena/exec.js';
import { serveTritonArgs } from '../../src/arena/args.js';
import { cleanupHandlers } from '../../src/composition/cleanup.js';
import { runCleanup } from '../../src/pipeline/cleanup.js';
import type { PipelineError } from '../../src/errors.js';
import { MODEL_CONFIG, parsePbtxt as sandboxParse } from '../../sandbox/triton/pbtxt.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
const v1 = () => cl.cfg();
const tp2 = () =>
  cl.cfg({
    model: { repo: 'bigscience-sandbox/bloom-tiny', revision: 'main', name: 'bloom-tiny', version: 'tp2' },
    convert: { tensorParallel: 2, gpus: 2, jobName: 'ft-bloom-tiny-tp2' }
  });

beforeAll(async () => {
  cl = await startCluster({ speed: 100 });
  await makeStorageStage(cl.deps).run(cl.context(v1()).ctx);
  await cl.seedModel(v1());
  await makeConvertStage(cl.deps).run(cl.context(v1()).ctx);
  await makeConvertStage(cl.deps).run(cl.context(tp2()).ctx);
});
afterAll(async () => {
  await cl.stop();
});

describe('deploy stage against the sandbox', () => {
  it('writes the model repository, serves it, waits for the rollout; a re-run skips', async () => {
    const cfg = v1();
    const t = cl.context(cfg);
    const started = Date.now();
    const out = await makeDeployStage(cl.deps).run(t.ctx);
    const serveToReadyMs = Date.now() - started;
    expect(out.status).toBe('done');
    expect(out.summary).toMatch(/^serving bloom-tiny version v1 available in [\d.]+ s$/);
    expect(out.outputs).toMatchObject({ 'serving-name': 'bloom-tiny', 'serving-version': 'v1' });
    expect(t.cleanup.records).toEqual([
      { kind: 'serving', namespace: cfg.cluster.namespace, name: 'bloom-tiny', version: 'v1' }
    ]); // smoke decides
    const pbtxt = (await cl.oss(cfg).getText(tritonConfigKey(cfg)))!;
    expect(sandboxParse(pbtxt, MODEL_CONFIG)).toMatchObject({ name: 'fastertransformer' }); // an independent, schema-checked parser reads it
    expect(t.log.lines.some((l) => /Started HTTPService/.test(l))).toBe(true);
    const speed = cl.sb.clock.speed;
    process.stdout.write(
      `[measure] arena serve → ready: ${serveToReadyMs} ms real ≈ ${Math.round((serveToReadyMs * speed) / 1000)} s on the sandbox clock (×${speed})\n`
    );

    const again = await makeDeployStage(cl.deps).run(cl.context(cfg).ctx);
    expect(again.status).toBe('skipped');
    expect(await makeDeployStage(cl.deps).plan(cl.context(cfg).ctx)).toMatchObject({ action: 'skip' });
  });

  it('pipeline-parallel that does not divide the converted config.ini’s num_layer fails before arena serve (plan too)', async () => {
    const base = v1();
    const pp4 = { ...base, serve: { ...base.serve, version: 'pp4', pipelineParallel: 4, gpus: 4 } };
    const t = cl.context(pp4);
    const err = (await makeDeployStage(cl.deps)
      .run(t.ctx)
      .catch((e: unknown) => e)) as PipelineError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/"pipeline-parallel" \(4\) does not divide the 2 layers .*config\.ini num_layer/);
    expect(t.log.lines.some((l) => /arena serve/.test(l))).toBe(false);
    const { items } = await cl
      .api(pp4)
      .list(DEPLOYMENT, pp4.cluster.namespace, { labelSelector: servingSelector('bloom-tiny', 'pp4') });
    expect(items).toEqual([]);
    const planned = await makeDeployStage(cl.deps)
      .plan(cl.context(pp4).ctx)
      .catch((e: PipelineError) => e.code);
    expect(planned).toBe('CONFIG_INVALID');
  });

  it('tp mismatch: Triton’s model UNAVAILABLE reason fails the deploy and the new version is deleted', async () => {
    const base = tp2();
    const bad = { ...base, serve: { ...base.serve, version: 'tp2-bad', gpus: 1 } };
    const t = cl.context(bad);
    const err = (await makeDeployStage(cl.deps)
      .run(t.ctx)
      .catch((e: unknown) => e)) as PipelineError;
    expect(err.code).toBe('DEPLOY_MODEL_UNAVAILABLE');
    expect(err.message).toMatch(/UNAVAILABLE: .*tensor_para_size|UNAVAILABLE: .*gpu/i);
    expect(err.message).toMatch(/deleted serving version tp2-bad/);
    const { items } = await cl
      .api(bad)
      .list(DEPLOYMENT, bad.cluster.namespace, { labelSelector: servingSelector('bloom-tiny', 'tp2-bad') });
    expect(items).toEqual([]);
    expect(t.cleanup.records).toEqual([]);
  });

  it('diagnoses an image that cannot be pulled', async () => {
    const base = v1();
    const bad = { ...base, serve: { ...base.serve, version: 'badimg', image: 'registry.example/nope:1' } };
    const err = (await makeDeployStage(cl.deps)
      .run(cl.context(bad).ctx)
      .catch((e: unknown) => e)) as PipelineError;
    expect(err.code).toBe('DEPLOY_IMAGE_PULL');
    expect(err.message).toMatch(/cannot pull image "registry.example\/nope:1"/);
  });

  it('diagnoses Unschedulable', async () => {
    const base = v1();
    const bad = { ...base, serve: { ...base.serve, version: 'toobig', gpus: 16 } };
    const err = (await makeDeployStage(cl.deps)
      .run(cl.context(bad).ctx)
      .catch((e: unknown) => e)) as PipelineError;
    expect(err.code).toBe('DEPLOY_UNSCHEDULABLE');
    expect(err.message).toMatch(/Insufficient nvidia.com\/gpu/);
  });

  it('diagnoses CrashLoopBackOff with the last log lines', async () => {
    const base = v1();
    const bad = { ...base, serve: { ...base.serve, version: 'crashy' } };
    cl.sb.operator!.setScenario({ match: 'bloom-tiny-crashy', outcome: 'crash-loop', afterSeconds: 1 });
    const err = (await makeDeployStage(cl.deps)
      .run(cl.context(bad).ctx)
      .catch((e: unknown) => e)) as PipelineError;
    expect(err.code).toMatch(/^DEPLOY_(CRASH_LOOP|MODEL_UNAVAILABLE)$/);
    expect(err.details.length).toBeGreaterThan(0);
  });

  it('on cancel deletes the version it was serving', async () => {
    const base = v1();
    const cfg = { ...base, serve: { ...base.serve, version: 'cancelled' } };
    cl.sb.operator!.setScenario({ match: 'bloom-tiny-cancelled', outcome: 'slow', factor: 1000 });
    const ctl = new AbortController();
    const t = cl.context(cfg, { signal: ctl.signal });
    const p = makeDeployStage(cl.deps)
      .run(t.ctx)
      .catch((e: unknown) => e as PipelineError);
    for (let i = 0; i < 300 && t.cleanup.records.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    ctl.abort(new Error('SIGTERM'));
    const err = (await p) as PipelineError;
    expect(err.code).toBe('CANCELLED');
    const { items } = await cl
      .api(cfg)
      .list(DEPLOYMENT, cfg.cluster.namespace, { labelSelector: servingSelector('bloom-tiny', 'cancelled') });
    expect(items).toEqual([]);
    expect(t.cleanup.records).toEqual([]);
  });

  it('recovers from a stranded ConfigMap of its own version (the Deployment was deleted by hand)', async () => {
    const base = v1();
    const cfg = { ...base, serve: { ...base.serve, version: 'stranded' } };
    const api = cl.api(cfg);
    const ns = cfg.cluster.namespace;
    expect((await makeDeployStage(cl.deps).run(cl.context(cfg).ctx)).status).toBe('done');
    // someone removes the Deployment with kubectl: Arena's ConfigMap and Service stay, and Arena v0.15.2 refuses
    // this version from now on ("the job configmap … is already exist, please delete it first")
    expect(await api.delete(DEPLOYMENT, ns, 'bloom-tiny-stranded-tritoninferenceserver')).toBe(true);
    const t = cl.context(cfg);
    const out = await makeDeployStage(cl.deps).run(t.ctx);
    expect(out.status).toBe('done');
    expect(
      t.log.lines.some((l) =>
        /^warning: Serving bloom-tiny version stranded has no Deployment but Arena's .*ConfigMap bloom-tiny-stranded-triton-serving.* remained/.test(
          l
        )
      )
    ).toBe(true);
    expect(await api.get(CONFIGMAP, ns, 'bloom-tiny-stranded-triton-serving')).toBeDefined();
  });

  describe('the post step’s serving cleanup', () => {
    let fakeBin: string;
    beforeAll(async () => {
      // Arena v0.15.2 without `arena-kubectl` on PATH (setup skipped install.sh): every verb that applies or
      // deletes fails like this (pkg/util/kubectl/kubectl.go:303-306, the error of exec.LookPath)
      fakeBin = await mkdtemp(path.join(os.tmpdir(), 'arena-no-kubectl-'));
      await writeFile(
        path.join(fakeBin, 'arena'),
        '#!/bin/sh\necho \'time="2026-01-01T00:00:00Z" level=error msg="exec: \\"arena-kubectl\\": executable file not found in $PATH"\' >&2\nexit 1\n'
      );
      await chmod(path.join(fakeBin, 'arena'), 0o755);
    });
    afterAll(async () => {
      await rm(fakeBin, { recursive: true, force: true });
    });

    async function serveOrphan(version: string) {
      const base = v1();
      cl.sb.operator!.setScenario({ match: `bloom-tiny-${version}`, outcome: 'slow', factor: 1000 });
      const res = await runArena(
        serveTritonArgs({
          name: 'bloom-tiny',
          version,
          namespace: base.cluster.namespace,
          image: base.serve.image,
          gpus: 1,
          replicas: 1,
          pvc: base.cluster.pvcName,
          mountPath: '/mnt',
          modelRepository: '/mnt/x'
        }),
        { env: cl.env }
      );
      expect(res.exitCode).toBe(0);
    }

    it('tells "already gone" from "could not run": arena failing is never read as "not found"', async () => {
      const cfg = v1();
      const ns = cfg.cluster.namespace;
      const api = cl.api(cfg);
      await serveOrphan('orphan');
      const env = { ...cl.env, PATH: `${fakeBin}${path.delimiter}${cl.env.PATH}` };
      const record = { kind: 'serving', namespace: ns, name: 'bloom-tiny', version: 'orphan' } as const;
      const t = cl.context(cfg);
      const first = await runCleanup([record], cleanupHandlers(cfg), {
        log: t.log,
        env,
        signal: new AbortController().signal
      });
      expect(first.map((o) => o.status)).toEqual(['done']);
      expect(t.log.lines.some((l) => /arena could not delete .*executable file not found/.test(l))).toBe(true);
      for (const [type, name] of [
        [DEPLOYMENT, 'bloom-tiny-orphan-tritoninferenceserver'],
        [SERVICE, 'bloom-tiny-orphan-tritoninferenceserver'],
        [CONFIGMAP, 'bloom-tiny-orphan-triton-serving']
      ] as const)
        expect(await api.get(type, ns, name)).toBeUndefined();
      const again = await runCleanup([record], cleanupHandlers(cfg), {
        log: t.log,
        env,
        signal: new AbortController().signal
      });
      expect(again.map((o) => o.status)).toEqual(['already-gone']);

      // neither arena nor the API can delete: a failure naming what is left, never "done"
      await serveOrphan('stuck');
      cl.sb.faults.add({
        service: 'kube',
        method: 'DELETE',
        path: 'deployments/bloom-tiny-stuck',
        times: 10,
        action: { kind: 'status', status: 403, message: 'deployments.apps is forbidden' }
      });
      try {
        const stuck = { ...record, version: 'stuck' };
        const out = await runCleanup([stuck], cleanupHandlers(cfg), {
          log: t.log,
          env,
          signal: new AbortController().signal
        });
        expect(out.map((o) => o.status)).toEqual(['failed']);
        expect(out[0].message).toMatch(/could not delete serving .*bloom-tiny version stuck: .*403/);
        expect(await api.get(DEPLOYMENT, ns, 'bloom-tiny-stuck-tritoninferenceserver')).toBeDefined();
      } finally {
        cl.sb.faults.reset();
      }
    });
  });
});
