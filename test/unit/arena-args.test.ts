import { describe, expect, it } from '@jest/globals';
import { checkDns1123Label, serveDeleteArgs, serveTritonArgs, submitPytorchJobArgs } from '../../src/arena/args.js';
import { converterCommand, shQuote } from '../../src/arena/converter.js';
import { PipelineError } from '../../src/errors.js';

const job = {
  name: 'ft-bloom-560m-v1',
  namespace: 'default-group',
  image: 'registry/ft:1',
  gpus: 2,
  workers: 1,
  pvc: 'model-pvc',
  mountPath: '/mnt',
  runningTimeoutSeconds: 3600,
  command: 'python x.py'
};

describe('submitPytorchJobArgs', () => {
  it('builds the argument array with the command last', () => {
    expect(submitPytorchJobArgs({ ...job, labels: { 'app.kubernetes.io/managed-by': 'arena-ft-pipeline' } })).toEqual([
      'submit',
      'pytorchjob',
      '--name=ft-bloom-560m-v1',
      '--namespace=default-group',
      '--image=registry/ft:1',
      '--gpus=2',
      '--workers=1',
      '--data=model-pvc:/mnt',
      '--running-timeout=3600s',
      '--label=app.kubernetes.io/managed-by=arena-ft-pipeline',
      'python x.py'
    ]);
  });
  it.each([
    [{ name: 'Bad_Name' }, /job name "Bad_Name"/],
    [{ name: 'a'.repeat(64) }, /DNS-1123/],
    [{ namespace: '-x' }, /namespace/],
    [{ workers: 0 }, /workers must be an integer ≥ 1/],
    [{ gpus: 1.5 }, /gpus/],
    [{ mountPath: 'mnt' }, /absolute/],
    [{ pvc: 'PVC' }, /PVC name/],
    [{ command: ' ' }, /command is empty/]
  ])('rejects %p', (patch, msg) => {
    expect(() => submitPytorchJobArgs({ ...job, ...patch })).toThrow(msg);
  });
});

describe('serveTritonArgs / serveDeleteArgs', () => {
  it('builds serve triton', () => {
    expect(
      serveTritonArgs({
        name: 'bloom',
        version: 'v1',
        namespace: 'ns',
        image: 'img',
        gpus: 2,
        replicas: 1,
        pvc: 'pvc',
        mountPath: '/mnt',
        modelRepository: '/mnt/llm/triton/bloom-v1'
      })
    ).toEqual([
      'serve',
      'triton',
      '--name=bloom',
      '--version=v1',
      '--namespace=ns',
      '--image=img',
      '--gpus=2',
      '--replicas=1',
      '--data=pvc:/mnt',
      '--model-repository=/mnt/llm/triton/bloom-v1',
      '--allow-metrics'
    ]);
  });
  it('builds serve delete', () => {
    expect(serveDeleteArgs('bloom', 'v1', 'ns')).toEqual([
      'serve',
      'delete',
      'bloom',
      '--version=v1',
      '--namespace=ns'
    ]);
  });
  it('checks versions', () => {
    expect(() => serveDeleteArgs('bloom', 'V1', 'ns')).toThrow(PipelineError);
  });
  it.each(['a', 'a-b', '0x', 'a'.repeat(63)])('accepts label %s', (v) => expect(checkDns1123Label('x', v)).toBe(v));
  it.each(['', 'A', 'a-', '-a', 'a.b', 'a_b', 'a'.repeat(64)])('rejects label %p', (v) =>
    expect(() => checkDns1123Label('x', v)).toThrow(/DNS-1123/)
  );
});

describe('converter command', () => {
  it.each([
    ['/mnt/llm/x', '/mnt/llm/x'],
    ['/mnt/a b', "'/mnt/a b'"],
    ["/mnt/it's", "'/mnt/it'\\''s'"],
    ['/mnt/$(rm -rf /)', "'/mnt/$(rm -rf /)'"],
    ['', "''"]
  ])('shQuote(%p) = %p', (input, out) => expect(shQuote(input)).toBe(out));

  it('builds the Bloom converter line', () => {
    expect(
      converterCommand({
        inputDir: '/mnt/llm/bloom/hf/abc/',
        outputDir: '/mnt/llm/bloom/ft/v1/',
        tensorParallel: 2,
        dataType: 'fp16',
        processes: 4
      })
    ).toBe(
      'python /FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py -i /mnt/llm/bloom/hf/abc -o /mnt/llm/bloom/ft/v1 -tp 2 -dt fp16 -p 4 -v'
    );
  });
  it('quotes paths so sh -c sees one argument each', async () => {
    const { execFileSync } = await import('node:child_process');
    const cmd = converterCommand({
      inputDir: "/mnt/a b/it's",
      outputDir: '/mnt/$HOME;x',
      tensorParallel: 1,
      dataType: 'fp32',
      processes: 1
    });
    const argv = execFileSync('sh', ['-c', `printf '%s\\n' ${cmd.replace(/^python \S+ /, '')}`])
      .toString()
      .trim()
      .split('\n');
    expect(argv).toEqual(['-i', "/mnt/a b/it's", '-o', '/mnt/$HOME;x', '-tp', '1', '-dt', 'fp32', '-p', '1', '-v']);
  });
});
