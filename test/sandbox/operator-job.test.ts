import { halfToFloat } from '../../sandbox/converter/tensors.js';
import { demoModelFiles, DEMO_MODEL } from '../../sandbox/models/demo.js';
import { readSafetensors } from '../../sandbox/models/safetensors.js';
import {
  MODEL_PREFIX,
  NS,
  R,
  arenaJob,
  condition,
  convertCommand,
  createStorage,
  events,
  isTrue,
  logOf,
  startEnv,
  waitEvent,
  waitFor,
  type Env
} from './operator-fixtures.js';

describe('operator: PyTorchJob running the FT converter', () => {
  let env: Env;
  beforeEach(async () => {
    env = await startEnv();
    createStorage(env.store);
  });
  afterEach(async () => {
    await env.stop();
  });

  it('binds the PVC, runs the converter on OSS data and succeeds like the training operator', async () => {
    const pvc = await waitFor(env.store, R.pvcs, 'bloom-pvc', (o) => o.status?.phase === 'Bound');
    expect(pvc.spec.volumeName).toBe('bloom-pv');
    const pv = env.store.get(R.pvs, undefined, 'bloom-pv')!;
    expect(pv.status.phase).toBe('Bound');
    expect(pv.spec.claimRef).toMatchObject({
      kind: 'PersistentVolumeClaim',
      name: 'bloom-pvc',
      namespace: NS,
      uid: pvc.metadata.uid
    });

    env.store.create(R.jobs, arenaJob('convert-bloom', convertCommand()));
    const job = await waitFor(env.store, R.jobs, 'convert-bloom', isTrue('Succeeded'));

    const types = job.status.conditions.map((c: { type: string }) => c.type);
    expect(types).toEqual(['Created', 'Running', 'Succeeded']);
    expect(condition(job, 'Created')).toMatchObject({
      status: 'True',
      reason: 'PyTorchJobCreated',
      message: 'PyTorchJob convert-bloom is created.'
    });
    expect(condition(job, 'Running')).toMatchObject({
      status: 'False',
      reason: 'PyTorchJobRunning',
      message: 'PyTorchJob convert-bloom is running.'
    });
    expect(condition(job, 'Succeeded')).toMatchObject({
      reason: 'PyTorchJobSucceeded',
      message: 'PyTorchJob convert-bloom is successfully completed.'
    });
    for (const c of job.status.conditions) expect(c.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(job.status.replicaStatuses).toEqual({ Master: { succeeded: 1 } });
    expect(job.status.startTime).toBeDefined();
    expect(job.status.completionTime).toBeDefined();

    const pod = env.store.get(R.pods, NS, 'convert-bloom-master-0')!;
    expect(pod.metadata.labels).toMatchObject({
      'training.kubeflow.org/job-name': 'convert-bloom',
      'training.kubeflow.org/replica-type': 'master',
      'training.kubeflow.org/replica-index': '0'
    });
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'PyTorchJob',
      name: 'convert-bloom',
      uid: job.metadata.uid,
      controller: true
    });
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(pod.spec.nodeName).toMatch(/^cn-beijing\./);
    const svc = env.store.get(R.services, NS, 'convert-bloom-master-0')!;
    expect(svc.spec.clusterIP).toBe('None');
    expect(events(env.store, 'convert-bloom').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SuccessfulCreatePod', 'SuccessfulCreateService', 'PyTorchJobSucceeded'])
    );
    expect(events(env.store, 'convert-bloom-master-0').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started'])
    );

    // the log, as the converter prints it
    const log = logOf(env.runtime, 'convert-bloom-master-0');
    const out = '/mnt/models/bloom-tiny/ft/v1/2-gpu';
    expect(log).toContain(
      [
        '',
        '======================= Arguments =======================',
        ` - input_dir...........: /mnt/${MODEL_PREFIX}`,
        ' - output_dir..........: /mnt/models/bloom-tiny/ft/v1',
        ' - tensor_para_size....: 2',
        ' - data_type...........: fp16',
        ' - processes...........: 1',
        ' - verbose.............: True',
        ' - by_shard............: False',
        '=========================================================',
        'loading from safetensors format',
        'model file num: 2',
        ''
      ].join('\n')
    );
    expect(log).toContain(
      ` - model.layers.0.attention.query_key_value.bias...: shape (3, 32)          s | saved at ${out}/model.layers.0.attention.query_key_value.bias.0.bin (0/2)\n`
    );
    expect(log).toContain(
      ` - ${'model.wte'.padEnd(48, '.')}: shape (${DEMO_MODEL.vocabSize}, 64)${' '.repeat(16 - `(${DEMO_MODEL.vocabSize}, 64)`.length)}   | saved at ${out}/model.wte.bin\n`
    );
    expect(log).toMatch(/Checkpoint conversion \(HF >> FT\) has done \(elapsed time: \d+\.\d\d sec\)\n$/);

    // the files, as FT wants them
    const list = await env.ossClient.listV2({ prefix: 'models/bloom-tiny/ft/v1/2-gpu/', 'max-keys': '1000' });
    const names = list.objects.map((o) => o.name.slice('models/bloom-tiny/ft/v1/2-gpu/'.length)).sort();
    expect(names).toContain('config.ini');
    expect(names).toContain('model.wte.bin');
    expect(names).toContain('model.pre_decoder_layernorm.weight.bin');
    expect(names).toContain('model.final_layernorm.bias.bin');
    for (const split of [
      'attention.query_key_value.weight',
      'attention.query_key_value.bias',
      'attention.dense.weight',
      'mlp.dense_h_to_4h.weight',
      'mlp.dense_h_to_4h.bias',
      'mlp.dense_4h_to_h.weight'
    ]) {
      expect(names).toContain(`model.layers.1.${split}.0.bin`);
      expect(names).toContain(`model.layers.1.${split}.1.bin`);
      expect(names).not.toContain(`model.layers.1.${split}.bin`);
    }
    expect(names).toContain('model.layers.0.attention.dense.bias.bin');
    expect(names).toHaveLength(6 + 2 * (6 * 2 + 6));

    const ini = (await env.ossClient.get('models/bloom-tiny/ft/v1/2-gpu/config.ini')).content.toString();
    expect(ini).toBe(
      [
        '[gpt]',
        `model_name=/mnt/${MODEL_PREFIX}`,
        'num_layer=2',
        'head_num=4',
        'inter_size=256',
        'size_per_head=16',
        `vocab_size=${DEMO_MODEL.vocabSize}`,
        'tensor_para_size=2',
        'weight_data_type=fp16',
        'model_variant=bloom-pre',
        'layernorm_eps=1e-05',
        'layernorm_type=pre_layernorm',
        'activation_type=Gelu',
        'has_positional_encoding=False',
        'has_pre_decoder_layernorm=True',
        'has_post_decoder_layernorm=True',
        'use_attention_linear_bias=True',
        'start_id=1',
        'end_id=2',
        '',
        ''
      ].join('\n')
    );

    // h_to_4h: HF [4h, h] → transposed [h, 4h] → split along 4h; rank 1 holds output units 128..255
    const hf = demoModelFiles()
      .filter((f) => f.path.endsWith('.safetensors'))
      .flatMap((f) => readSafetensors(f.content));
    const w1 = hf.find((t) => t.name === 'h.0.mlp.dense_h_to_4h.weight')!;
    const part = (
      await env.ossClient.get('models/bloom-tiny/ft/v1/2-gpu/model.layers.0.mlp.dense_h_to_4h.weight.1.bin')
    ).content as Buffer;
    expect(part.length).toBe(64 * 128 * 2);
    for (const [row, col] of [
      [0, 0],
      [5, 3],
      [63, 127]
    ]) {
      const expected = w1.data[(128 + col) * 64 + row];
      expect(halfToFloat(part.readUInt16LE((row * 128 + col) * 2))).toBeCloseTo(expected, 2);
    }
  });

  it('gives argparse errors with usage and exit status 2', async () => {
    env.store.create(R.jobs, arenaJob('bad-flag', convertCommand(`-i /mnt/${MODEL_PREFIX} -o /mnt/out --bogus 1`)));
    env.store.create(R.jobs, arenaJob('no-input', convertCommand('-o /mnt/out')));
    const bad = await waitFor(env.store, R.jobs, 'bad-flag', isTrue('Failed'));
    await waitFor(env.store, R.jobs, 'no-input', isTrue('Failed'));
    expect(condition(bad, 'Failed')).toMatchObject({
      reason: 'PyTorchJobFailed',
      message: 'PyTorchJob bad-flag is failed because 1 Master replica(s) failed.'
    });
    const usage =
      'usage: huggingface_bloom_convert.py [-h] -i DIR -o DIR [-tp N] [-dt STR]\n                                    [-p N] [-v] [-s]\n';
    expect(logOf(env.runtime, 'bad-flag-master-0')).toBe(
      `${usage}huggingface_bloom_convert.py: error: unrecognized arguments: --bogus 1\n`
    );
    expect(logOf(env.runtime, 'no-input-master-0')).toBe(
      `${usage}huggingface_bloom_convert.py: error: the following arguments are required: -i/--input-dir\n`
    );
    const pod = env.store.get(R.pods, NS, 'bad-flag-master-0')!;
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(pod.status.phase).toBe('Failed');
  });

  it('fails with a Python traceback when tp does not divide the heads, and on a missing input dir', async () => {
    env.store.create(R.jobs, arenaJob('bad-tp', convertCommand(`-i /mnt/${MODEL_PREFIX} -o /mnt/out -tp 3`)));
    env.store.create(R.jobs, arenaJob('no-dir', convertCommand('-i /mnt/nowhere -o /mnt/out')));
    await waitFor(env.store, R.jobs, 'bad-tp', isTrue('Failed'));
    await waitFor(env.store, R.jobs, 'no-dir', isTrue('Failed'));
    const tp = logOf(env.runtime, 'bad-tp-master-0');
    expect(tp).toContain('Traceback (most recent call last):\n');
    expect(tp).toMatch(/ValueError: array split does not result in an equal division\n$/);
    expect(env.store.get(R.pods, NS, 'bad-tp-master-0')!.status.containerStatuses[0].state.terminated.exitCode).toBe(1);
    expect(logOf(env.runtime, 'no-dir-master-0')).toMatch(
      /OSError: Incorrect path_or_model_id: '\/mnt\/nowhere'\. Please provide either the path to a local folder or the repo_id of a model on the Hub\.\n$/
    );
  });

  it('answers unknown commands like sh does', async () => {
    env.store.create(R.jobs, arenaJob('not-found', 'convert-it --now'));
    await waitFor(env.store, R.jobs, 'not-found', isTrue('Failed'));
    expect(logOf(env.runtime, 'not-found-master-0')).toBe('sh: 1: convert-it: not found\n');
    expect(env.store.get(R.pods, NS, 'not-found-master-0')!.status.containerStatuses[0].state.terminated.exitCode).toBe(
      127
    );
  });

  it('runs workers too and reports both replica types', async () => {
    env.store.create(R.jobs, arenaJob('two', 'echo "hello from $RANK" && sleep 5', { workers: 2 }));
    const job = await waitFor(env.store, R.jobs, 'two', isTrue('Succeeded'));
    expect(job.status.replicaStatuses.Master).toEqual({ succeeded: 1 });
    expect(logOf(env.runtime, 'two-master-0')).toBe('hello from 0\n');
    expect(await waitEvent(env.store, 'two', 'SuccessfulCreatePod')).toBeDefined();
    const created = events(env.store, 'two').map((e) => e.message);
    expect(created).toEqual(
      expect.arrayContaining([
        'Created pod: two-master-0',
        'Created pod: two-worker-0',
        'Created service: two-worker-0'
      ])
    );
    // cleanPodPolicy Running: the worker still running when the master finished is removed with its Service
    expect(env.store.get(R.pods, NS, 'two-worker-0')?.status?.phase ?? 'gone').not.toBe('Running');
  });

  it("labels pods as the older pytorch-operator does once switched to it (Arena's installer deploys that one)", async () => {
    env.operator.setFlavor('pytorch-operator');
    env.store.create(R.jobs, arenaJob('legacy', 'echo "rank $RANK"'));
    await waitFor(env.store, R.jobs, 'legacy', isTrue('Succeeded'));
    const master = env.store.get(R.pods, NS, 'legacy-master-0')!;
    // kubeflow/pytorch-operator v0.7.0 pkg/controller.v1/pytorch/controller.go:55-58, pod.go:157-163
    expect(master.metadata.labels).toEqual({
      app: 'pytorchjob',
      release: 'legacy',
      'group-name': 'kubeflow.org',
      'pytorch-job-name': 'legacy',
      'pytorch-replica-type': 'master',
      'pytorch-replica-index': '0',
      'job-role': 'master'
    });
    expect(Object.keys(master.metadata.labels!).some((k) => k.startsWith('training.kubeflow.org/'))).toBe(false);
    expect(logOf(env.runtime, 'legacy-master-0')).toBe('rank 0\n');
    // back to the training-operator: new jobs get its labels again
    env.operator.setFlavor('training-operator');
    env.store.create(R.jobs, arenaJob('modern', 'echo hi'));
    await waitFor(env.store, R.jobs, 'modern', isTrue('Succeeded'));
    expect(env.store.get(R.pods, NS, 'modern-master-0')!.metadata.labels).toMatchObject({
      'training.kubeflow.org/job-name': 'modern',
      'training.kubeflow.org/replica-type': 'master'
    });
  });
});
