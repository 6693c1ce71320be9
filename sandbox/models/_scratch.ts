import { runBloomConverter } from '../converter/bloom.js';
import { demoModelFiles, DEMO_MODEL } from './demo.js';
import { createStartTriton } from '../triton/index.js';
import { ScenarioClock } from '../clock.js';

const files = new Map<string, Buffer>();
for (const f of demoModelFiles()) files.set('/mnt/hf/' + f.path, f.content);
const fs = {
  async listDir(dir: string) { const d = dir.replace(/\/$/, '') + '/'; const names = [...files.keys()].filter((k) => k.startsWith(d)).map((k) => k.slice(d.length).split('/')[0]); return names.length ? [...new Set(names)] : undefined; },
  async readFile(f: string) { return files.get(f); },
  async writeFile(f: string, b: Buffer) { files.set(f, b); }
};
const code = await runBloomConverter({ argv: ['/ft/huggingface_bloom_convert.py', '-i', '/mnt/hf', '-o', '/mnt/ft', '-tp', '2', '-dt', 'fp16'], fs, log: (l) => console.log(l) });
console.log('exit', code, [...files.keys()].filter(k=>k.startsWith('/mnt/ft')).length);
const pbtxt = `name: "fastertransformer"
backend: "fastertransformer"
default_model_filename: "bloom"
max_batch_size: 1024
model_transaction_policy { decoupled: False }
input [ { name: "input_ids" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "input_lengths" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "request_output_len" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "end_id" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } optional: true } ]
output [ { name: "output_ids" data_type: TYPE_UINT32 dims: [ -1, -1 ] }, { name: "sequence_length" data_type: TYPE_UINT32 dims: [ -1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
parameters { key: "tensor_para_size" value: { string_value: "2" } }
parameters { key: "pipeline_para_size" value: { string_value: "1" } }
parameters { key: "data_type" value: { string_value: "fp16" } }
parameters { key: "model_type" value: { string_value: "GPT" } }
parameters { key: "model_checkpoint_path" value: { string_value: "/mnt/ft/2-gpu/" } }
`;
files.set('/mnt/repo/fastertransformer/config.pbtxt', Buffer.from(pbtxt));
files.set('/mnt/repo/fastertransformer/1/', Buffer.alloc(0));
const store = {
  async list(_b: string, prefix: string) { return [...files.entries()].filter(([k]) => k.slice(1).startsWith(prefix)).map(([k, v]) => ({ key: k.slice(1), size: v.length })); },
  async get(_b: string, key: string) { return files.get('/' + key); }
};
const start = createStartTriton({ store, clock: new ScenarioClock(1000) });
const t = await start({ namespace: 'ns', pod: 'p', args: ['tritonserver', '--http-port=8000', '--grpc-port=8001', '--model-repository=/mnt/repo', '--allow-metrics=true'], gpus: 2, resolvePodPath: (p) => ({ bucket: 'b', key: p.replace(/^\//, '') }), log: (l) => process.stdout.write(l) });
console.log(await t.loaded, t.ports);
const base = `http://127.0.0.1:${t.ports[8000]}`;
const ids = DEMO_MODEL.promptIds;
const r = await fetch(`${base}/v2/models/fastertransformer/infer`, { method: 'POST', body: JSON.stringify({ inputs: [
  { name: 'input_ids', datatype: 'UINT32', shape: [1, ids.length], data: ids },
  { name: 'input_lengths', datatype: 'UINT32', shape: [1, 1], data: [ids.length] },
  { name: 'request_output_len', datatype: 'UINT32', shape: [1, 1], data: [32] } ] }) });
console.log(r.status, JSON.stringify(await r.json()), DEMO_MODEL.completionIds);
console.log((await (await fetch(`http://127.0.0.1:${t.ports[8002]}/metrics`)).text()).slice(0, 400));
await t.stop();
