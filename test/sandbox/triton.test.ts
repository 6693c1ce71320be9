import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { Tokenizer } from '@huggingface/tokenizers';
import { ScenarioClock } from '../../sandbox/clock.js';
import { runBloomConverter } from '../../sandbox/converter/bloom.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { DEMO_MODEL, demoModelFiles } from '../../sandbox/models/demo.js';
import { startOss, type OssHandle } from '../../sandbox/oss/index.js';
import { createStartTriton, type TritonHandle } from '../../sandbox/triton/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Records scenario sleeps instead of measuring wall time. */
class RecordingClock extends ScenarioClock {
  slept: number[] = [];
  constructor() {
    super(100_000);
  }
  override sleep(s: number, signal?: AbortSignal): Promise<void> {
    this.slept.push(s);
    return super.sleep(s, signal);
  }
}

const pbtxt = (o: { tp: number; pp?: number; ckpt: string; maxBatch?: number; dataType?: string }): string => `
name: "fastertransformer"
backend: "fastertransformer"
default_model_filename: "bloom"
max_batch_size: ${o.maxBatch ?? 1024}
model_transaction_policy { decoupled: False }
input [
  { name: "input_ids" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "input_lengths" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "request_output_len" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "end_id" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } optional: true },
  { name: "random_seed" data_type: TYPE_UINT64 dims: [ 1 ] reshape: { shape: [ ] } optional: true },
  { name: "beam_width" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } optional: true }
]
output [
  { name: "output_ids" data_type: TYPE_UINT32 dims: [ -1, -1 ] },
  { name: "sequence_length" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "cum_log_probs" data_type: TYPE_FP32 dims: [ -1 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
parameters { key: "tensor_para_size" value: { string_value: "${o.tp}" } }
parameters { key: "pipeline_para_size" value: { string_value: "${o.pp ?? 1}" } }
parameters { key: "data_type" value: { string_value: "${o.dataType ?? 'fp16'}" } }
parameters { key: "model_type" value: { string_value: "GPT" } }
parameters { key: "model_checkpoint_path" value: { string_value: "${o.ckpt}" } }
parameters { key: "int8_mode" value: { string_value: "0" } }
parameters { key: "enable_custom_all_reduce" value: { string_value: "0" } }
`;

let dir: string;
let oss: OssHandle;
let client: OSS;
const faults = new FaultRegistry();
const tokenizer = (() => {
  const f = new Map(demoModelFiles().map((x) => [x.path, x.content]));
  const json = (p: string): object => JSON.parse(f.get(p)!.toString('utf8')) as object;
  return new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
})();

/** The pod mounts the bucket root at /mnt (an OSS PV with path "/"). */
const resolvePodPath = (p: string): { bucket: string; key: string } | undefined =>
  p === '/mnt' || p.startsWith('/mnt/') ? { bucket: oss.bucket, key: p.slice(5) } : undefined;

async function convert(tp: number, dt: 'fp16' | 'fp32', out: string): Promise<void> {
  const files = new Map<string, Buffer>(demoModelFiles().map((f) => [`/mnt/hf/${f.path}`, f.content]));
  const code = await runBloomConverter({
    argv: [
      '/FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py',
      '-i',
      '/mnt/hf',
      '-o',
      out,
      '-tp',
      String(tp),
      '-dt',
      dt
    ],
    fs: {
      async listDir(d) {
        const pre = d.replace(/\/+$/, '') + '/';
        const names = [...files.keys()].filter((k) => k.startsWith(pre)).map((k) => k.slice(pre.length).split('/')[0]);
        return names.length ? [...new Set(names)] : undefined;
      },
      async readFile(f) {
        return files.get(f);
      },
      async writeFile(f, b) {
        files.set(f, b);
      }
    },
    log: () => undefined
  });
  expect(code).toBe(0);
  for (const [k, v] of files) if (k.startsWith(out + '/')) await client.put(k.slice(5), v);
}

async function putRepo(name: string, config: string): Promise<void> {
  await client.put(`triton/${name}/fastertransformer/config.pbtxt`, Buffer.from(config));
  await client.put(`triton/${name}/fastertransformer/1/`, Buffer.alloc(0));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'triton-test-'));
  oss = await startOss({ faults, root: dir });
  client = new OSS({
    endpoint: oss.endpoint,
    bucket: oss.bucket,
    region: oss.region,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret
  });
  await convert(2, 'fp16', '/mnt/ft/fp16');
  await convert(1, 'fp32', '/mnt/ft/fp32');
  await convert(4, 'fp16', '/mnt/ft/tp4');
  await putRepo('tp2', pbtxt({ tp: 2, ckpt: '/mnt/ft/fp16/2-gpu/' }));
  await putRepo('tp1', pbtxt({ tp: 1, ckpt: '/mnt/ft/fp32/1-gpu', maxBatch: 4 }));
  // A converter bug: the two ranks of one split tensor written in the wrong order.
  for (const o of (await client.listV2({ prefix: 'ft/fp16/2-gpu/', 'max-keys': 1000 }, {})).objects) {
    const name = o.name.slice('ft/fp16/2-gpu/'.length);
    const swapped = name.replace(
      /(dense_h_to_4h\.weight)\.([01])\.bin$/,
      (_m, stem: string, r: string) => `${stem}.${1 - Number(r)}.bin`
    );
    await client.put(`ft/swapped/2-gpu/${swapped}`, (await client.get(o.name)).content as Buffer);
  }
  await putRepo('swapped', pbtxt({ tp: 2, ckpt: '/mnt/ft/swapped/2-gpu/' }));
  await putRepo('tp4', pbtxt({ tp: 4, ckpt: '/mnt/ft/tp4/4-gpu/' }));
  await putRepo('tp2pp2', pbtxt({ tp: 2, pp: 2, ckpt: '/mnt/ft/fp16/2-gpu/' }));
  await putRepo('wrong-ckpt', pbtxt({ tp: 1, ckpt: '/mnt/ft/fp16/2-gpu/' }));
  await putRepo('no-ckpt', pbtxt({ tp: 1, ckpt: '/mnt/ft/missing/1-gpu/' }));
  // FT backend rules (libfastertransformer.cc at 2edb257e), each on an otherwise valid tp 2 config
  const tp2 = pbtxt({ tp: 2, ckpt: '/mnt/ft/fp16/2-gpu/' });
  const without = (key: string) => tp2.replace(new RegExp(`^parameters \\{ key: "${key}".*\\n`, 'm'), '');
  await putRepo('no-data-type', without('data_type'));
  await putRepo('no-pp', without('pipeline_para_size'));
  await putRepo('no-ckpt-path', without('model_checkpoint_path'));
  await putRepo('model-type-bloom', tp2.replace('string_value: "GPT"', 'string_value: "bloom"'));
  await putRepo('kind-gpu', tp2.replace('kind: KIND_CPU', 'kind: KIND_GPU'));
  await putRepo('no-group', tp2.replace(/^instance_group.*\n/m, ''));
  await putRepo(
    'two-groups',
    tp2.replace('{ count: 1 kind: KIND_CPU }', '{ count: 1 kind: KIND_CPU }, { kind: KIND_CPU }')
  );
  await putRepo('tp2-count2', tp2.replace('count: 1 kind: KIND_CPU', 'count: 2 kind: KIND_CPU'));
  await putRepo('tp2pp4', pbtxt({ tp: 2, pp: 4, ckpt: '/mnt/ft/fp16/2-gpu/' }));
  await putRepo(
    'bad-pbtxt',
    'name: "fastertransformer"\nbackend: "fastertransformer"\ninput [ { name: "input_ids" data_type: TYPE_UINT33 } ]\n'
  );
}, 60_000);

afterAll(async () => {
  await oss.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Started extends TritonHandle {
  log: string;
  url: string;
}

const running: TritonHandle[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) await t.stop();
});

async function start(repo: string, gpus: number, extra: string[] = [], clock = new RecordingClock()): Promise<Started> {
  const startTriton = createStartTriton({
    oss: {
      endpoint: oss.endpoint,
      bucket: oss.bucket,
      region: oss.region,
      accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret
    },
    clock,
    perTokenLatencyMs: 25
  });
  let log = '';
  const t = await startTriton({
    namespace: 'default-group',
    pod: 'bloom-triton-1-tritoninferenceserver-abc',
    args: [
      'tritonserver',
      `--model-repository=/mnt/triton/${repo}`,
      '--http-port=8000',
      '--grpc-port=8001',
      '--allow-metrics=true',
      '--metrics-port=8002',
      ...extra
    ],
    gpus,
    resolvePodPath,
    log: (l) => (log += l)
  });
  running.push(t);
  const s = t as Started;
  Object.defineProperty(s, 'log', { get: () => log });
  s.url = `http://127.0.0.1:${t.ports[8000]}`;
  return s;
}

const infer = (url: string, body: unknown, model = 'fastertransformer'): Promise<Response> =>
  fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body)
  });

const request = (ids: number[][], outLen = 32): object => ({
  inputs: [
    {
      name: 'input_ids',
      datatype: 'UINT32',
      shape: [ids.length, Math.max(...ids.map((r) => r.length))],
      data: ids.map((r) => [...r, ...new Array(Math.max(...ids.map((x) => x.length)) - r.length).fill(2)])
    },
    { name: 'input_lengths', datatype: 'UINT32', shape: [ids.length, 1], data: ids.map((r) => [r.length]) },
    { name: 'request_output_len', datatype: 'UINT32', shape: [ids.length, 1], data: ids.map(() => [outLen]) }
  ],
  outputs: [{ name: 'output_ids' }, { name: 'sequence_length' }]
});

function decode(body: { outputs: { name: string; shape: number[]; data: number[] }[] }, b = 0): string {
  const ids = body.outputs.find((o) => o.name === 'output_ids')!;
  const len = body.outputs.find((o) => o.name === 'sequence_length')!.data[b];
  const row = ids.data.slice(b * ids.shape[2], b * ids.shape[2] + len);
  return tokenizer.decode(row, { skip_special_tokens: true });
}

describe('Triton FT simulator, model repository in the sandbox OSS', () => {
  it('loads a tp=2 fp16 checkpoint, serves KServe v2 and completes the demo prompt', async () => {
    const clock = new RecordingClock();
    const t = await start('tp2', 2, [], clock);
    expect(Object.keys(t.ports).sort()).toEqual(['8000', '8001', '8002']);
    expect(await t.loaded).toBe('ready');
    expect((await fetch(`${t.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${t.url}/v2/health/ready`)).status).toBe(200);
    expect((await fetch(`${t.url}/v2/models/fastertransformer/ready`)).status).toBe(200);
    expect((await fetch(`${t.url}/v2/models/fastertransformer/versions/1/ready`)).status).toBe(200);
    expect((await fetch(`${t.url}/v2/models/fastertransformer/versions/2/ready`)).status).toBe(400);
    const meta = (await (await fetch(`${t.url}/v2/models/fastertransformer`)).json()) as Json;
    expect(meta).toMatchObject({ name: 'fastertransformer', versions: ['1'], platform: 'fastertransformer' });
    expect(meta.inputs[0]).toEqual({ name: 'input_ids', datatype: 'UINT32', shape: [-1, -1] });
    expect(meta.outputs[0]).toEqual({ name: 'output_ids', datatype: 'UINT32', shape: [-1, -1, -1] });
    const config = (await (await fetch(`${t.url}/v2/models/fastertransformer/config`)).json()) as Json;
    expect(config.parameters.tensor_para_size).toEqual({ string_value: '2' });
    expect(config.max_batch_size).toBe(1024);

    const prompt = tokenizer.encode(DEMO_MODEL.prompt).ids;
    clock.slept.length = 0;
    const res = await infer(t.url, request([prompt]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.model_name).toBe('fastertransformer');
    expect(body.model_version).toBe('1');
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['output_ids', 'sequence_length']);
    expect(body.outputs[0].shape).toEqual([1, 1, prompt.length + 32]);
    expect(body.outputs[1]).toEqual({
      name: 'sequence_length',
      datatype: 'UINT32',
      shape: [1, 1],
      data: [prompt.length + 5]
    });
    expect(decode(body)).toBe(DEMO_MODEL.prompt + DEMO_MODEL.completion);
    expect(clock.slept).toEqual([(5 * 25) / 1000]);

    expect(t.log).toMatch(
      /^I\d{4} \d\d:\d\d:\d\d\.\d{6} 1 model_lifecycle\.cc:\d+\] successfully loaded 'fastertransformer' version 1$/m
    );
    expect(t.log).toMatch(/\| fastertransformer \| 1 +\| READY +\|/);
    expect(t.log).toMatch(/http_server\.cc:\d+\] Started HTTPService at 0\.0\.0\.0:8000/);

    const metrics = await (await fetch(`http://127.0.0.1:${t.ports[8002]}/metrics`)).text();
    expect(metrics).toContain('# TYPE nv_inference_request_success counter');
    expect(metrics).toContain('nv_inference_request_success{model="fastertransformer",version="1"} 1');
    expect(metrics).toContain('nv_inference_count{model="fastertransformer",version="1"} 1');
    expect(metrics).toMatch(/nv_gpu_utilization\{gpu_uuid="GPU-[^"]+"\} 0/);
  });

  it('decodes a padded batch from a tp=1 fp32 checkpoint and honours request_output_len', async () => {
    const t = await start('tp1', 1);
    expect(await t.loaded).toBe('ready');
    const a = tokenizer.encode(DEMO_MODEL.prompt).ids;
    const b = tokenizer.encode(DEMO_MODEL.secondPrompt).ids;
    const body = (await (await infer(t.url, request([a, b]))).json()) as Json;
    expect(decode(body, 0)).toBe(DEMO_MODEL.prompt + DEMO_MODEL.completion);
    expect(decode(body, 1)).toBe(DEMO_MODEL.secondPrompt + DEMO_MODEL.secondCompletion);
    const short = (await (await infer(t.url, request([a], 2))).json()) as Json;
    expect(decode(short)).toBe(DEMO_MODEL.prompt + ' a deep');
    const beams = request([a], 8) as { inputs: object[] };
    beams.inputs.push({ name: 'beam_width', datatype: 'UINT32', shape: [1, 1], data: [2] });
    const twoBeams = (await (await infer(t.url, beams)).json()) as Json;
    expect(twoBeams.outputs[0].shape).toEqual([1, 2, a.length + 8]);
    expect(twoBeams.outputs[1]).toMatchObject({ shape: [1, 2], data: [8, 8] });
    const tooMany = await infer(t.url, request([a, a, a, a, a]));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({
      error: "inference request batch-size must be <= 4 for 'fastertransformer'"
    });
  });

  it.each([
    ['tp4', 4],
    ['tp2pp2', 4]
  ])('reassembles the %s checkpoint on %d GPUs', async (repo, gpus) => {
    const t = await start(repo, gpus);
    expect(await t.loaded).toBe('ready');
    const body = (await (await infer(t.url, request([tokenizer.encode(DEMO_MODEL.prompt).ids]))).json()) as Json;
    expect(decode(body)).toBe(DEMO_MODEL.prompt + DEMO_MODEL.completion);
  });

  it('gives another answer when a split tensor was reassembled in the wrong order', async () => {
    const t = await start('swapped', 2);
    expect(await t.loaded).toBe('ready');
    const body = (await (await infer(t.url, request([tokenizer.encode(DEMO_MODEL.prompt).ids]))).json()) as Json;
    expect(decode(body)).not.toBe(DEMO_MODEL.prompt + DEMO_MODEL.completion);
  });

  it('rejects malformed inference requests in Triton words', async () => {
    const t = await start('tp1', 1);
    await t.loaded;
    const ok = request([[262, 266, 268]]) as { inputs: Record<string, unknown>[] };
    const withInput = (i: number, patch: Record<string, unknown>): object => ({
      inputs: ok.inputs.map((x, j) => (j === i ? { ...x, ...patch } : x))
    });
    const cases: [unknown, string, string?][] = [
      [withInput(0, { name: 'input_idz' }), "unexpected inference input 'input_idz' for model 'fastertransformer'"],
      [
        withInput(0, { datatype: 'INT32' }),
        "inference input data-type is 'INT32', model expects 'UINT32' for 'fastertransformer'"
      ],
      [
        withInput(0, { shape: [3, 1] }),
        "input 'input_lengths' batch size does not match other inputs for 'fastertransformer'"
      ],
      [
        withInput(0, { shape: [1, 1, 3] }),
        "unexpected shape for input 'input_ids' for model 'fastertransformer'. Expected [-1,-1], got [1,1,3]"
      ],
      [withInput(0, { data: [262, 266] }), "Unable to parse 'data': Shape does not match true shape of 'data' field"],
      [withInput(0, { data: [262, -1, 268] }), "Unable to parse 'data': unable to parse input 'input_ids' as UINT32"],
      [
        { inputs: ok.inputs.slice(0, 2) },
        "expected number of inputs between 3 and 6 but got 2 inputs for model 'fastertransformer'"
      ],
      [{ ...ok, outputs: [{ name: 'logits' }] }, "unexpected inference output 'logits' for model 'fastertransformer'"],
      [{}, "Unable to parse 'inputs'"],
      ['{"inputs": [', 'failed to parse the request JSON buffer'],
      [ok, "Request for unknown model: 'gpt' is not found", 'gpt']
    ];
    for (const [body, msg, model] of cases) {
      const res = await infer(t.url, body, model);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(msg);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${t.ports[8002]}/metrics`)).text();
    expect(metrics).toContain('nv_inference_request_failure{model="fastertransformer",version="1"} 10');
  });

  it('keeps a model UNAVAILABLE when tensor_para_size × pipeline_para_size ≠ the pod GPUs (--exit-on-error=false)', async () => {
    const t = await start('tp2', 1, ['--exit-on-error=false']);
    expect(await t.loaded).toBe('unavailable');
    expect((await fetch(`${t.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${t.url}/v2/health/ready`)).status).toBe(400);
    expect((await fetch(`${t.url}/v2/models/fastertransformer/ready`)).status).toBe(400);
    // libfastertransformer.cc (2edb257e): visible GPUs % (tp × pp) == 0 and tp × pp × count ≥ visible GPUs
    const reason =
      'Unsupported: 1. Number of visible GPUs must be evenly divisble by TP * PP \n2. Number of visible GPUs must be <= instance count * TP * PP \n3. Multi-Node Inference only support one model instance \n';
    expect(await (await fetch(`${t.url}/v2/repository/index`, { method: 'POST' })).json()).toEqual([
      { name: 'fastertransformer', version: '1', state: 'UNAVAILABLE', reason }
    ]);
    const res = await infer(t.url, request([[262]]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "Request for unknown model: 'fastertransformer' has no available versions"
    });
    expect(t.log).toMatch(
      /^E\d{4} [\d:.]+ 1 model_lifecycle\.cc:\d+\] failed to load 'fastertransformer' version 1: Unsupported: 1\. Number of visible GPUs must be evenly divisble by TP \* PP $/m
    );
    expect(t.log).toContain('| fastertransformer | 1       | UNAVAILABLE: Unsupported: 1. Number of visible GPUs');
  });

  it('exits like tritonserver when a model fails and --exit-on-error is left at its default', async () => {
    const t = await start('tp2', 1);
    expect(await t.loaded).toBe('exited');
    expect(await t.exited).toBe(1);
    expect(t.log).toContain('error: creating server: Internal - failed to load all models');
  });

  it.each([
    ['wrong-ckpt', /only has 12288 bytes, but expect 24576 .*tensor_para_size 1/],
    ['bad-pbtxt', /^failed to read text proto from \/mnt\/triton\/bad-pbtxt\/fastertransformer\/config\.pbtxt$/]
  ])('reports why %s cannot load', async (repo, reason) => {
    const t = await start(repo, 1, ['--exit-on-error=false']);
    expect(await t.loaded).toBe('unavailable');
    const [m] = (await (await fetch(`${t.url}/v2/repository/index`, { method: 'POST' })).json()) as {
      state: string;
      reason: string;
    }[];
    expect(m.state).toBe('UNAVAILABLE');
    expect(m.reason).toMatch(reason);
    if (repo === 'bad-pbtxt') {
      expect(t.log).toContain(
        'Error parsing text-format inference.ModelConfig: 3:40: Unknown enumeration value of "TYPE_UINT33" for field "data_type".'
      );
    }
  });

  it('dies as the FT backend does when config.ini is missing (an uncaught FT_CHECK: abort), whatever --exit-on-error says', async () => {
    const t = await start('no-ckpt', 1, ['--exit-on-error=false']);
    expect(await t.loaded).toBe('exited');
    expect(await t.exited).toBe(134);
    expect(t.log).toContain("terminate called after throwing an instance of 'std::runtime_error'");
    expect(t.log).toMatch(
      /what\(\): {2}\[FT\]\[ERROR\] Can't load \/mnt\/ft\/missing\/1-gpu\/\/config\.ini Assertion fail: \S+\/triton_backend\/multi_gpu_gpt\/ParallelGptTritonModel\.cc:182/
    );
    expect(t.log).toContain('Aborted (core dumped)');
  });

  it.each([
    ['model-type-bloom', 2, 'Unsupported: Unknown model "bloom"'],
    ['kind-gpu', 2, 'Unsupported: Instance Group: only KIND_CPU supports!'],
    ['no-group', 2, 'Unsupported: Instance Group: only KIND_CPU supports!'], // Triton fills in a KIND_GPU group
    ['two-groups', 2, 'Unsupported: Only supports one instance group !'],
    ['tp2-count2', 3, 'Unsupported: 1. Number of visible GPUs must be evenly divisble by TP * PP ']
  ])('the FT backend refuses %s on %i GPUs: %s', async (repo, gpus, reason) => {
    const t = await start(repo, gpus, ['--exit-on-error=false']);
    expect(await t.loaded).toBe('unavailable');
    const [m] = (await (await fetch(`${t.url}/v2/repository/index`, { method: 'POST' })).json()) as Json[];
    expect(m.reason.startsWith(reason)).toBe(true);
  });

  it('accepts tp 2 × count 2 on 4 visible GPUs (a multiple of tp × pp, covered by tp × pp × count)', async () => {
    const t = await start('tp2-count2', 4);
    expect(await t.loaded).toBe('ready');
    expect(t.log).toContain('Instance group type: KIND_CPU count: 2');
  });

  it.each([
    // param_get("data_type") is "" → ModelFactory logs it and returns no model → the loader threads crash
    ['no-data-type', 2, 139, "Invalid configuration argument 'data_type': ", 'Segmentation fault (core dumped)'],
    // std::stoi("") → 0 → gpu_size % (tp × 0)
    [
      'no-pp',
      2,
      136,
      "Invalid configuration argument 'pipeline_para_size': stoi",
      'Floating point exception (core dumped)'
    ],
    // ParallelGptWeight: FT_CHECK(num_layer % pipeline_para_size == 0), 2 layers, pp 4
    ['tp2pp4', 8, 134, 'Assertion fail: ', 'models/multi_gpu_gpt/ParallelGptWeight.cc:49'],
    // no model_checkpoint_path: <repository>/<model>/<version>/<default_model_filename>, which has no config.ini
    [
      'no-ckpt-path',
      2,
      134,
      "Can't load /mnt/triton/no-ckpt-path/fastertransformer/1/bloom/config.ini",
      'Aborted (core dumped)'
    ]
  ])('the FT backend takes the server down on %s (%i GPUs): exit %i', async (repo, gpus, code, logged, last) => {
    const t = await start(repo, gpus, ['--exit-on-error=false']);
    expect(await t.loaded).toBe('exited');
    expect(await t.exited).toBe(code);
    expect(t.log).toContain(logged);
    expect(t.log).toContain(last);
  });

  it('fails to start without a model repository it can reach', async () => {
    const t = await start('nothing-here', 1);
    expect(await t.loaded).toBe('exited');
    expect(await t.exited).toBe(1);
    expect(t.log).toContain('error: creating server: Internal - failed to stat file /mnt/triton/nothing-here');
  });
});
