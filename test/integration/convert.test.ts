import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { convertMarkerKey, ftCheckpointPrefix } from '../../src/config/layout.js';
import { POD, PYTORCHJOB, SECRET, type KObj } from '../../src/k8s/types.js';
import { runArena } from '../../src/arena/exec.js';
import { submitPytorchJobArgs } from '../../src/arena/args.js';
import { converterCommand } from '../../src/arena/converter.js';
import { cleanupHandlers } from '../../src/composition/cleanup.js';
import { CONFIGMAP } from '../../src/k8s/types.js';
import type { PipelineError } from '../../src/errors.js';
import { COMMIT, startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
beforeAll(async () => {
  cl = await startCluster();
  const cfg = cl.cfg();
  await makeStorageStage(cl.deps).run(cl.context(cfg).ctx);
  await cl.seedModel(cfg);
});
afterAll(async () => {
  await cl.stop();
});

const version = (v: string, over: Parameters<Cluster['cfg']>[0] = {}) =>
  cl.cfg({
    ...over,
    model: { repo: 'bigscience-sandbox/bloom-tiny', revision: 'main', name: 'bloom-tiny', version: v },
    convert: { jobName: `ft-bloom-tiny-${v}`, ...over.convert }
  });

async function fails(cfg: ReturnType<Cluster['cfg']>, signal?: AbortSignal) {
  const t = cl.context(cfg, { signal });
  const err = (await makeConvertStage(cl.deps)
    .run(t.ctx)
    .then(
      () => undefined,
      (e: unknown) => e
    )) as PipelineError | undefined;
  expect(err).toBeDefined();
  return { err: err!, ...t };
}

/** Submits this version's conversion the way another run (or a person) would, with extra arena flags. */
async function submitElsewhere(cfg: ReturnType<Cluster['cfg']>, extra: string[] = []) {
  const args = submitPytorchJobArgs({
    name: cfg.convert.jobName,
    namespace: cfg.cluster.namespace,
    image: cfg.convert.image,
    gpus: 1,
    workers: 1,
    pvc: cfg.cluster.pvcName,
    mountPath: '/mnt',
    runningTimeoutSeconds: cfg.convert.timeoutSeconds,
    command: converterCommand({
      inputDir: `/mnt/llm/bloom-tiny/hf/${COMMIT}`,
      outputDir: `/mnt/llm/bloom-tiny/ft/${cfg.model.version}`,
      tensorParallel: 1,
      dataType: 'fp16',
      processes: 1
    })
  });
  const res = await runArena([...args.slice(0, -1), ...extra, args[args.length - 1]], { env: cl.env });
  expect(res.exitCode).toBe(0);
}

async function expectNoMarker(cfg: ReturnType<Cluster['cfg']>) {
  expect(await cl.oss(cfg).head(convertMarkerKey(cfg))).toBeUndefined();
}

describe('convert stage against the sandbox', () => {
  it('submits, follows the log, verifies the output, writes the marker; a re-run skips', async () => {
    const cfg = version('v1');
    const t = cl.context(cfg);
    const out = await makeConvertStage(cl.deps).run(t.ctx);
    expect(out.status).toBe('done');
    expect(out.summary).toMatch(/^converted PyTorchJob ft-bloom-tiny-v1: \d+ files in \d+ s$/);
    expect(t.log.lines).toContain('group: Converter log (ft-bloom-tiny-v1)');
    expect(t.log.lines.some((l) => /Checkpoint conversion \(HF >> FT\) has done/.test(l))).toBe(true);
    const printed = t.log.lines.filter((l) => /- input_dir/.test(l));
    expect(printed).toHaveLength(1); // no duplicated lines
    expect(t.cleanup.records).toEqual([]);
    const marker = JSON.parse((await cl.oss(cfg).getText(convertMarkerKey(cfg)))!);
    expect(marker).toMatchObject({ jobName: 'ft-bloom-tiny-v1', parameters: { tensorParallel: 1, dataType: 'fp16' } });
    expect(marker.files.some((f: { key: string }) => f.key === `${ftCheckpointPrefix(cfg)}config.ini`)).toBe(true);

    const again = await makeConvertStage(cl.deps).run(cl.context(cfg).ctx);
    expect(again.status).toBe('skipped');
    expect(await makeConvertStage(cl.deps).plan(cl.context(cfg).ctx)).toMatchObject({ action: 'skip' });
  });

  it('refuses, before submitting, a pipeline-parallel or tensor-parallel the synced config.json does not allow', async () => {
    // the demo Bloom has 2 layers and 4 heads (its synced config.json)
    const pp4 = version('pp4', { serve: { pipelineParallel: 4, gpus: 4 } });
    const { err } = await fails(pp4);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(
      /"pipeline-parallel" \(4\) does not divide the 2 layers of bigscience-sandbox\/bloom-tiny/
    );
    expect(err.message).toMatch(/config\.json n_layer/);
    expect(await cl.api(pp4).get(PYTORCHJOB, pp4.cluster.namespace, pp4.convert.jobName)).toBeUndefined();
    const tp3 = await fails(version('tp3', { convert: { tensorParallel: 3, gpus: 3 } }));
    expect(tp3.err.message).toMatch(/"tensor-parallel" \(3\) does not divide the 4 attention heads/);
    expect(
      await makeConvertStage(cl.deps)
        .plan(cl.context(pp4).ctx)
        .catch((e: PipelineError) => e.code)
    ).toBe('CONFIG_INVALID');
  });

  it('refuses a synced checkpoint that is not Bloom, and one that is not synced, before submitting', async () => {
    const base = version('llama');
    const cfg = { ...base, model: { ...base.model, repo: 'org/llama-tiny', name: 'llama-tiny' } };
    const key = `llm/llama-tiny/hf/${COMMIT}/config.json`;
    const { err: missing } = await fails(cfg);
    expect(missing.code).toBe('CONVERT_INPUT_MISSING');
    expect(missing.message).toMatch(/llama-tiny\/hf\/0123456789abcdef.*config\.json/);
    await cl.oss(cfg).putObject(key, Buffer.from('{"model_type":"llama","architectures":["LlamaForCausalLM"]}'));
    const { err } = await fails(cfg);
    expect(err.code).toBe('MODEL_NOT_SUPPORTED');
    expect(err.message).toMatch(/model_type "llama"/);
    expect(await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
  });

  it('attaches to a running job of this version (and leaves it out of cleanup)', async () => {
    const cfg = version('v2');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v2', outcome: 'slow', factor: 20 });
    // someone else submitted it
    await submitElsewhere(cfg);
    const t = cl.context(cfg);
    const p = makeConvertStage(cl.deps).run(t.ctx);
    const out = await p;
    expect(t.log.lines.some((l) => /exists \(\w+\); attaching to it/.test(l))).toBe(true);
    expect(out.summary).toMatch(/attached to and verified/);
    expect(t.cleanup.records).toEqual([]);
  });

  it('survives a dropped watch, a 410 mid-watch, a 500 on a read and a reset log stream', async () => {
    const cfg = version('v3');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v3', outcome: 'slow', factor: 200 });
    cl.sb.faults.add({
      service: 'kube',
      method: 'GET',
      path: 'pytorchjobs(\\?|$)(?!.*watch)',
      times: 1,
      action: { kind: 'status', status: 500, message: 'etcd hiccup' }
    });
    cl.sb.faults.add({
      service: 'kube',
      method: 'GET',
      path: '/log\\?',
      times: 1,
      action: { kind: 'reset', afterBytes: 300 }
    });
    const t = cl.context(cfg);
    const p = makeConvertStage(cl.deps).run(t.ctx);
    for (let i = 0; i < 500 && !t.log.lines.some((l) => /- input_dir/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 10));
    // drop every watch, move the store on while nobody watches, then compact: reconnecting from the last seen
    // resourceVersion must get 410 Gone and re-list
    cl.sb.kube!.dropWatches();
    cl.sb.kube!.store.create(
      { group: '', version: 'v1', plural: 'configmaps' },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bump-rv', namespace: 'default' } }
    );
    cl.sb.kube!.compact();
    const out = await p;
    expect(out.status).toBe('done');
    const lines = t.log.lines.filter((l) => !l.startsWith('debug:'));
    const dupes = lines.filter((l, i) => l.startsWith('- ') && lines.indexOf(l) !== i);
    expect(dupes).toEqual([]);
    expect(t.log.lines.some((l) => /re-listing/.test(l))).toBe(true);
    expect(t.log.lines.some((l) => /reconnecting/.test(l))).toBe(true);
    expect(cl.sb.faults.pending()).toEqual([]); // the 500 and the log reset both happened
  });

  it('fails fast on a Failed job with the traceback, and removes nothing it did not submit', async () => {
    const cfg = version('v4');
    cl.sb.operator!.setScenario({
      match: 'ft-bloom-tiny-v4',
      outcome: 'fail-at',
      afterLines: 3,
      message: 'RuntimeError: CUDA error: out of memory'
    });
    const { err, cleanup } = await fails(cfg);
    expect(err.code).toBe('CONVERT_JOB_FAILED');
    expect(err.message).toMatch(/PyTorchJob ft-bloom-tiny-v4 failed/);
    expect(err.details.join('\n')).toMatch(/RuntimeError: CUDA error: out of memory/);
    expect(cleanup.records).toEqual([]);
    await expectNoMarker(cfg);
    // a second run reports the failed job; with resubmit it converts
    const again = await fails(cfg);
    expect(again.err.message).toMatch(/already failed/);
    cl.sb.operator!.clearScenarios();
    const t4 = cl.context(version('v4', { convert: { resubmitFailed: true } }));
    const out = await makeConvertStage(cl.deps).run(t4.ctx);
    expect(out.status).toBe('done');
  });

  it('resubmits a conversion whose pod was killed by a signal, within convert-retries', async () => {
    const cfg = version('v11', { convert: { retries: 1 } });
    // Arena's Master is restartPolicy Never: the operator fails the job, it never restarts it (--retry is moot)
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v11', outcome: 'restart-then-succeed', exitCode: 137 });
    const t = cl.context(cfg);
    const out = await makeConvertStage(cl.deps).run(t.ctx);
    expect(out.status).toBe('done');
    expect(
      t.log.lines.some((l) =>
        /^warning: PyTorchJob ft-bloom-tiny-v11 failed.*killed by signal 9 \(exit code 137\).*resubmitting PyTorchJob ft-bloom-tiny-v11 \(retry 1 of 1, convert-retries\)/.test(
          l
        )
      )
    ).toBe(true);
    expect(t.log.lines.filter((l) => /Submitted PyTorchJob/.test(l))).toHaveLength(2);
    expect(t.cleanup.records).toEqual([]);
  });

  it('does not resubmit without budget, nor when the converter itself failed', async () => {
    const killed = version('v14');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v14', outcome: 'restart-then-succeed', exitCode: 137 });
    const a = await fails(killed);
    expect(a.err.code).toBe('CONVERT_JOB_FAILED');
    expect(a.err.message).toMatch(/killed by signal 9/);
    expect(a.err.hint).toMatch(/convert-retries/);
    const own = version('v15', { convert: { retries: 3 } });
    cl.sb.operator!.setScenario({
      match: 'ft-bloom-tiny-v15',
      outcome: 'fail-at',
      afterLines: 2,
      message: 'KeyError: x'
    });
    const b = await fails(own);
    expect(b.err.code).toBe('CONVERT_JOB_FAILED');
    expect(b.log.lines.filter((l) => /Submitted PyTorchJob/.test(l))).toHaveLength(1);
    expect(b.log.lines.some((l) => /resubmitting/.test(l))).toBe(false);
  });

  it("diagnoses pods under the older pytorch-operator (Arena's installer): log, OOMKilled, ImagePullBackOff", async () => {
    cl.sb.operator!.setFlavor('pytorch-operator');
    try {
      const cfg = version('v16');
      cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v16', outcome: 'oom', afterLines: 2 });
      const oom = await fails(cfg);
      expect(oom.err.code).toBe('CONVERT_OOM_KILLED');
      expect(oom.err.details.join('\n')).toMatch(/Arguments/); // the master's log tail
      const pod = await cl.api(cfg).get(POD, cfg.cluster.namespace, 'ft-bloom-tiny-v16-master-0');
      expect(pod?.metadata.labels).toMatchObject({
        'pytorch-job-name': 'ft-bloom-tiny-v16',
        'group-name': 'kubeflow.org'
      });
      expect(Object.keys(pod!.metadata.labels!).some((k) => k.startsWith('training.kubeflow.org/'))).toBe(false);
      const img = await fails(version('v17', { convert: { image: 'registry.example/no-such/image:1' } }));
      expect(img.err.code).toBe('CONVERT_IMAGE_PULL');
    } finally {
      cl.sb.operator!.setFlavor('training-operator');
    }
  });

  it('replacing a failed job whose ConfigMap is gone: arena delete exits 0 and keeps it, the API deletes it', async () => {
    const cfg = version('v18');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v18', outcome: 'fail-at', afterLines: 1 });
    await fails(cfg);
    const api = cl.api(cfg);
    expect(await api.delete(CONFIGMAP, cfg.cluster.namespace, 'ft-bloom-tiny-v18-pytorchjob')).toBe(true);
    cl.sb.operator!.clearScenarios();
    const t = cl.context(version('v18', { convert: { resubmitFailed: true } }));
    const out = await makeConvertStage(cl.deps).run(t.ctx);
    expect(out.status).toBe('done');
    expect(
      t.log.lines.some((l) =>
        /^warning: arena said "The training job 'ft-bloom-tiny-v18' does not exist,skip to delete it", yet PyTorchJob ft-bloom-tiny-v18 remained \(PyTorchJob default-group\/ft-bloom-tiny-v18\); deleted through the Kubernetes API$/.test(
          l
        )
      )
    ).toBe(true);
  });

  it('fails fast on OOMKilled', async () => {
    const cfg = version('v12');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v12', outcome: 'oom', afterLines: 2 });
    const { err, cleanup } = await fails(cfg);
    expect(err.code).toBe('CONVERT_OOM_KILLED');
    expect([err.message, ...err.details].join('\n')).toMatch(/OOMKilled|memory/i);
    expect(cleanup.records).toEqual([]);
    await expectNoMarker(cfg);
  });

  it('the post step’s handler deletes a job a cancelled run left behind, even without its ConfigMap', async () => {
    const cfg = version('v13');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v13', outcome: 'slow', factor: 1000 });
    await submitElsewhere(cfg);
    const api = cl.api(cfg);
    expect(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeDefined();
    // without its ConfigMap, `arena delete` says "does not exist,skip" and exits 0 (Arena v0.15.2)
    await api.delete(CONFIGMAP, cfg.cluster.namespace, `${cfg.convert.jobName}-pytorchjob`);
    const { log } = cl.context(cfg);
    const record = { kind: 'pytorchjob', namespace: cfg.cluster.namespace, name: cfg.convert.jobName } as const;
    const ctx = { log, env: cl.env, signal: new AbortController().signal };
    expect(await cleanupHandlers(cfg).pytorchjob!(record, ctx)).toBe('deleted');
    expect(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
    expect(await cleanupHandlers(cfg).pytorchjob!(record, ctx)).toBe('already-gone');
  });

  it('fails fast on Unschedulable with the scheduler message and deletes its job', async () => {
    const cfg = version('v5', { convert: { gpus: 8 } });
    const { err, cleanup } = await fails(cfg);
    expect(err.code).toBe('CONVERT_UNSCHEDULABLE');
    expect(err.message).toMatch(/cannot be scheduled: 0\/\d nodes are available: .*Insufficient nvidia\.com\/gpu/);
    expect(await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
    expect(cleanup.records).toEqual([]);
    await expectNoMarker(cfg);
  });

  it('fails fast on ImagePullBackOff naming the image', async () => {
    const cfg = version('v6', { convert: { image: 'registry.example/no-such/image:1' } });
    const { err } = await fails(cfg);
    expect(err.code).toBe('CONVERT_IMAGE_PULL');
    expect(err.message).toMatch(/cannot pull image "registry.example\/no-such\/image:1"/);
    expect(await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
  });

  it('fails fast on FailedMount', async () => {
    const cfg = version('v7');
    const api = cl.api(cfg);
    const secret = (await api.get(SECRET, cfg.cluster.namespace, cfg.cluster.secretName)) as KObj;
    await api.delete(SECRET, cfg.cluster.namespace, cfg.cluster.secretName);
    try {
      const { err } = await fails(cfg);
      expect(err.code).toBe('CONVERT_MOUNT_FAILED');
      expect(err.message).toMatch(/cannot mount its volume: .*secret/);
    } finally {
      await api.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret.metadata.name, namespace: secret.metadata.namespace, labels: secret.metadata.labels },
        type: 'Opaque',
        data: secret.data
      });
    }
  });

  it('deletes its job at the timeout', async () => {
    // our timeout is real time (injected here); the sandbox's activeDeadline runs on the compressed clock
    const cfg = version('v8', { convert: { timeoutSeconds: 1_000_000 } });
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v8', outcome: 'slow', factor: 1000 });
    const pending: (() => void)[] = [];
    const deps = {
      ...cl.deps,
      timers: { setTimeout: (fn: () => void) => pending.push(fn), clearTimeout: () => undefined }
    };
    const t = cl.context(cfg);
    const p = makeConvertStage(deps)
      .run(t.ctx)
      .catch((e: unknown) => e as PipelineError);
    const api = cl.api(cfg);
    for (
      let i = 0;
      i < 300 && (pending.length === 0 || !(await api.get(POD, cfg.cluster.namespace, 'ft-bloom-tiny-v8-master-0')));
      i++
    )
      await new Promise((r) => setTimeout(r, 20));
    pending.forEach((f) => f());
    const err = (await p) as PipelineError;
    const cleanup = t.cleanup;
    expect(err.code).toBe('CONVERT_TIMEOUT');
    expect(err.message).toMatch(/did not finish within 1000000 s .*deleted it/);
    expect(await cl.api(cfg).get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
    expect(cleanup.records).toEqual([]);
    await expectNoMarker(cfg);
  });

  it('on cancel deletes the job it submitted', async () => {
    const cfg = version('v9');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v9', outcome: 'slow', factor: 1000 });
    const ctl = new AbortController();
    const t = cl.context(cfg, { signal: ctl.signal });
    const p = makeConvertStage(cl.deps)
      .run(t.ctx)
      .catch((e: unknown) => e as PipelineError);
    const api = cl.api(cfg);
    for (let i = 0; i < 200 && t.cleanup.records.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.cleanup.records).toEqual([
      { kind: 'pytorchjob', namespace: cfg.cluster.namespace, name: cfg.convert.jobName }
    ]);
    ctl.abort(new Error('SIGTERM'));
    const err = (await p) as PipelineError;
    expect(err.code).toBe('CANCELLED');
    expect(err.message).toMatch(/deleted PyTorchJob ft-bloom-tiny-v9/);
    expect(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
    expect(t.cleanup.records).toEqual([]);
    await expectNoMarker(cfg);
  });

  it('on cancel leaves a job it only attached to', async () => {
    const cfg = version('v10');
    cl.sb.operator!.setScenario({ match: 'ft-bloom-tiny-v10', outcome: 'slow', factor: 1000 });
    const first = new AbortController();
    const p1 = makeConvertStage(cl.deps)
      .run(cl.context(cfg, { signal: first.signal }).ctx)
      .catch((e: unknown) => e);
    const api = cl.api(cfg);
    for (let i = 0; i < 200 && !(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)); i++)
      await new Promise((r) => setTimeout(r, 20));
    const second = new AbortController();
    const t2 = cl.context(cfg, { signal: second.signal });
    const p2 = makeConvertStage(cl.deps)
      .run(t2.ctx)
      .catch((e: unknown) => e as PipelineError);
    for (let i = 0; i < 200 && !t2.log.lines.some((l) => /attaching/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 20));
    second.abort(new Error('SIGTERM'));
    expect(((await p2) as PipelineError).message).toMatch(/not submitted by this run\) was left running/);
    expect(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeDefined();
    first.abort(new Error('SIGTERM'));
    await p1;
    expect(await api.get(PYTORCHJOB, cfg.cluster.namespace, cfg.convert.jobName)).toBeUndefined();
  });
});
