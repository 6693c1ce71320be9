/**
 * Loading a Triton model repository the way Triton + the FasterTransformer backend do, from objects read
 * through the pod's volume (pod path → OSS bucket/key). Every failure becomes the model's UNAVAILABLE reason,
 * worded as Triton words it.
 */
import {
  BYTES_PER_ELEMENT,
  decodeTensor,
  expectedFiles,
  FtGpt,
  joinSplits,
  parseConfigIni,
  type FtConfig
} from './ft.js';
import { MODEL_CONFIG, parsePbtxt, PbtxtError, type PbMessage } from './pbtxt.js';
import { modelConfigProblem, normalizedInstanceGroups } from './validate.js';

export interface RepoStore {
  /** Keys (with sizes) under a prefix. */
  list(bucket: string, prefix: string): Promise<{ key: string; size: number }[]>;
  /** An object's bytes, or undefined when it does not exist. */
  get(bucket: string, key: string): Promise<Buffer | undefined>;
}

export type PodPathResolver = (p: string) => { bucket: string; key: string } | undefined;

export interface TensorSpec {
  name: string;
  datatype: string;
  /** Full shape as clients see it (batch dimension first when max_batch_size > 0). */
  shape: number[];
  optional: boolean;
}

export interface ModelState {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
  config?: PbMessage;
  maxBatchSize: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  gpt?: FtGpt;
}

export class LoadError extends Error {}

/**
 * The FT backend does not fail the load but takes the whole server down: an exception it does not catch
 * (std::terminate → abort) or an integer division by zero. `output` is what the process prints; `exitCode` what
 * a shell reports for the signal (134 SIGABRT, 136 SIGFPE, 139 SIGSEGV).
 */
export class ProcessCrash extends Error {
  constructor(
    readonly output: string,
    readonly exitCode: number
  ) {
    super(output.trim().split('\n')[0]);
  }
}

/** Where FasterTransformer's sources sit inside the serve image's build tree (what its assertion messages name). */
const FT_SRC = '/workspace/build/fastertransformer_backend/build/_deps/repo-ft-src/src/fastertransformer';
const terminate = (what: string) =>
  new ProcessCrash(
    `terminate called after throwing an instance of 'std::runtime_error'\n  what():  ${what}\nAborted (core dumped)\n`,
    134
  );

export const REQUIRED_INPUTS = ['input_ids', 'input_lengths', 'request_output_len'];
export const REQUIRED_OUTPUTS = ['output_ids', 'sequence_length'];

/** TYPE_UINT32 → UINT32 (the KServe datatype names). */
export function kserveType(t: string): string {
  return t.replace(/^TYPE_/, '').replace(/^STRING$/, 'BYTES');
}

function tensorSpecs(list: PbValueList, batched: boolean, isInput: boolean): TensorSpec[] {
  return list.map((t) => {
    const dims = ((t.dims as number[] | undefined) ?? []).map(Number);
    return {
      name: String(t.name ?? ''),
      datatype: kserveType(String(t.data_type ?? 'TYPE_INVALID')),
      shape: batched ? [-1, ...dims] : dims,
      optional: isInput && t.optional === true
    };
  });
}
type PbValueList = PbMessage[];

function param(cfg: PbMessage, key: string): string | undefined {
  const entries = (cfg.parameters as PbMessage[] | undefined) ?? [];
  const e = entries.find((x) => x.key === key);
  return e ? String((e.value as PbMessage | undefined)?.string_value ?? '') : undefined;
}

export interface LoadContext {
  store: RepoStore;
  resolve: PodPathResolver;
  gpus: number;
  /** The --model-repository path (where weights are looked for without model_checkpoint_path). */
  repositoryPath?: string;
  log: (severity: 'I' | 'W' | 'E', source: string, msg: string) => void;
}

/**
 * Model folders of a repository: `<name>/config.pbtxt` plus numeric version folders. Throws when the
 * repository path does not resolve (Triton: "failed to stat file").
 */
export async function scanRepository(
  ctx: LoadContext,
  repoPath: string
): Promise<{ name: string; keys: Map<string, number>; dir: string; bucket: string; prefix: string }[]> {
  const loc = ctx.resolve(repoPath);
  if (!loc) throw new LoadError(`failed to stat file ${repoPath}`);
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : loc.key + '/';
  const objects = await ctx.store.list(loc.bucket, prefix);
  if (objects.length === 0) throw new LoadError(`failed to stat file ${repoPath}`);
  const models = new Map<string, Map<string, number>>();
  for (const o of objects) {
    const rel = o.key.slice(prefix.length);
    const slash = rel.indexOf('/');
    if (slash <= 0) continue; // files at the top level are ignored, as Triton does
    const name = rel.slice(0, slash);
    if (!models.has(name)) models.set(name, new Map());
    models.get(name)!.set(rel.slice(slash + 1), o.size);
  }
  const dir = repoPath.replace(/\/+$/, '');
  return [...models.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, keys]) => ({ name, keys, dir, bucket: loc.bucket, prefix: prefix + name + '/' }));
}

/** Load one model folder; never throws: failures come back as UNAVAILABLE with Triton's reason. */
export async function loadModel(
  ctx: LoadContext,
  m: { name: string; keys: Map<string, number>; dir: string; bucket: string; prefix: string }
): Promise<ModelState> {
  const versions = [
    ...new Set(
      [...m.keys.keys()]
        .filter((k) => k.includes('/'))
        .map((k) => k.split('/')[0])
        .filter((s) => /^\d+$/.test(s))
    )
  ]
    .map(Number)
    .sort((a, b) => b - a);
  const base: ModelState = {
    name: m.name,
    version: String(versions[0] ?? 1),
    state: 'UNAVAILABLE',
    reason: '',
    maxBatchSize: 0,
    inputs: [],
    outputs: []
  };
  const fail = (reason: string): ModelState => {
    ctx.log('E', 'model_lifecycle.cc:596', `failed to load '${m.name}' version ${base.version}: ${reason}`);
    return { ...base, reason };
  };
  const cfgPath = `${m.dir}/${m.name}/config.pbtxt`;
  const text = await ctx.store.get(m.bucket, m.prefix + 'config.pbtxt');
  if (!text) {
    ctx.log(
      'E',
      'model_repository_manager.cc:1234',
      `Poll failed for model directory '${m.name}': failed to open text file for read ${cfgPath}: No such file or directory`
    );
    return { ...base, reason: `failed to open text file for read ${cfgPath}: No such file or directory` };
  }
  let cfg: PbMessage;
  try {
    cfg = parsePbtxt(text.toString('utf8'), MODEL_CONFIG);
  } catch (e) {
    if (!(e instanceof PbtxtError)) throw e;
    ctx.log('E', 'text_format.cc:335', `Error parsing text-format inference.ModelConfig: ${e.message}`);
    ctx.log(
      'E',
      'model_repository_manager.cc:1234',
      `Poll failed for model directory '${m.name}': failed to read text proto from ${cfgPath}`
    );
    return { ...base, reason: `failed to read text proto from ${cfgPath}` };
  }
  const maxBatchSize = Number(cfg.max_batch_size ?? 0);
  const withCfg: ModelState = {
    ...base,
    config: cfg,
    maxBatchSize,
    inputs: tensorSpecs((cfg.input as PbMessage[]) ?? [], maxBatchSize > 0, true),
    outputs: tensorSpecs((cfg.output as PbMessage[]) ?? [], maxBatchSize > 0, false)
  };
  Object.assign(base, withCfg);
  if (cfg.name !== undefined && cfg.name !== m.name) {
    return fail(
      `Invalid argument: unexpected directory name '${m.name}' for model '${cfg.name}', directory name must equal model name`
    );
  }
  if (versions.length === 0) {
    return fail(
      `Invalid argument: at least one version must be available under the version policy of model '${m.name}'`
    );
  }
  const problem = modelConfigProblem(cfg, m.name);
  if (problem) return fail(`Invalid argument: ${problem}`);
  ctx.log('I', 'model_lifecycle.cc:459', `loading: ${m.name}:${base.version}`);
  const backend = cfg.backend ?? '';
  if (backend !== 'fastertransformer') {
    return fail(
      `Invalid argument: unable to find backend library for backend '${backend}', try specifying runtime on the model configuration.`
    );
  }
  try {
    const gpt = await loadFt(ctx, m.name, cfg, withCfg);
    ctx.log('I', 'model_lifecycle.cc:693', `successfully loaded '${m.name}' version ${base.version}`);
    return { ...withCfg, state: 'READY', reason: '', gpt };
  } catch (e) {
    if (e instanceof LoadError) return fail(e.message);
    throw e;
  }
}

async function loadFt(ctx: LoadContext, name: string, cfg: PbMessage, st: ModelState): Promise<FtGpt> {
  const bad = (msg: string): never => {
    throw new LoadError(`Invalid argument: ${msg}`);
  };
  for (const n of REQUIRED_INPUTS)
    if (!st.inputs.some((i) => i.name === n))
      bad(`model '${name}' is missing required input '${n}' for the fastertransformer backend`);
  for (const n of REQUIRED_OUTPUTS)
    if (!st.outputs.some((i) => i.name === n))
      bad(`model '${name}' is missing required output '${n}' for the fastertransformer backend`);
  for (const t of [...st.inputs, ...st.outputs])
    if (t.datatype === 'INVALID') bad(`model input or output '${t.name}' must specify 'data_type'`);

  // Instance groups as Triton normalized them; the backend wants exactly one, of KIND_CPU.
  const groups = normalizedInstanceGroups(cfg, ctx.gpus);
  const unsupported = (msg: string): never => {
    throw new LoadError(`Unsupported: ${msg}`);
  };
  if (groups.length > 1) unsupported('Only supports one instance group !');
  ctx.log('I', 'libfastertransformer.cc:372', `Instance group type: ${groups[0].kind} count: ${groups[0].count}`);
  if (groups[0].kind !== 'KIND_CPU') unsupported('Instance Group: only KIND_CPU supports!');

  // param_get_int: std::stoi of the string value; a missing or non-numeric value logs an error and becomes 0.
  const intParam = (k: string): number => {
    const m = /^\s*[+-]?\d+/.exec(param(cfg, k) ?? '');
    if (m) return Number(m[0]);
    ctx.log('E', 'libfastertransformer.cc:211', `Invalid configuration argument '${k}': stoi`);
    return 0;
  };
  const tp = intParam('tensor_para_size');
  const pp = intParam('pipeline_para_size');
  const tpPp = tp * pp;
  // gpu_size % (tp × pp): with a 0 (a missing pipeline_para_size) the backend divides by zero.
  if (tpPp === 0) throw new ProcessCrash('Floating point exception (core dumped)\n', 136);
  if (!(ctx.gpus % tpPp === 0 && tpPp * groups[0].count >= ctx.gpus)) {
    unsupported(
      '1. Number of visible GPUs must be evenly divisble by TP * PP \n2. Number of visible GPUs must be <= instance count * TP * PP \n3. Multi-Node Inference only support one model instance \n'
    );
  }
  ctx.log('I', 'libfastertransformer.cc:396', `Sequence Batching: disabled`);
  const modelType = param(cfg, 'model_type') || 'GPT';
  if (!['GPT', 'GPT-J', 'GPT-NeoX', 'T5', 'T5-Encoder', 'bert'].includes(modelType))
    unsupported(`Unknown model "${modelType}"`);
  if (modelType !== 'GPT') bad(`model_type '${modelType}' is not modelled by the simulator (it serves GPT/Bloom)`);
  const dataType = param(cfg, 'data_type') ?? '';
  if (!['fp16', 'fp32', 'bf16'].includes(dataType)) {
    // ModelFactory logs this and returns no model; the weight-loading threads then dereference it.
    ctx.log('E', 'libfastertransformer.cc:271', `Invalid configuration argument 'data_type': ${dataType}`);
    throw new ProcessCrash('Segmentation fault (core dumped)\n', 139);
  }
  // Without model_checkpoint_path the weights are looked for in <repository>/<model>/<version>/<file>, where
  // <file> is default_model_filename or "<tp>-gpu".
  const ckptPath =
    param(cfg, 'model_checkpoint_path') ??
    `${ctx.repositoryPath ?? ''}/${name}/${st.version}/${String(cfg.default_model_filename || `${tp}-gpu`)}`;
  const loc = ctx.resolve(ckptPath);
  if (!loc) return bad(`model_checkpoint_path '${ckptPath}' does not exist in the container`);
  const prefix = loc.key === '' || loc.key.endsWith('/') ? loc.key : loc.key + '/';
  const iniBuf = await ctx.store.get(loc.bucket, prefix + 'config.ini');
  if (!iniBuf) {
    const dir = ckptPath; // FT appends "/config.ini" to the path as given
    throw terminate(
      `[FT][ERROR] Can't load ${dir}/config.ini Assertion fail: ${FT_SRC}/triton_backend/multi_gpu_gpt/ParallelGptTritonModel.cc:182 `
    );
  }
  let ini: FtConfig;
  try {
    ini = parseConfigIni(iniBuf.toString('utf8'));
  } catch (e) {
    return bad(`${ckptPath.replace(/\/+$/, '')}/config.ini: ${(e as Error).message}`);
  }
  if (ini.headNum % tp !== 0)
    bad(`head_num (${ini.headNum}) in config.ini is not divisible by tensor_para_size (${tp})`);
  ctx.log('I', 'libfastertransformer.cc:438', `Before Loading Weights:`);
  // ParallelGptWeight's constructor: FT_CHECK(num_layer_ % layer_para_size_ == 0), thrown in a loader thread.
  if (ini.numLayer % pp !== 0)
    throw terminate(`[FT][ERROR]  Assertion fail: ${FT_SRC}/models/multi_gpu_gpt/ParallelGptWeight.cc:49 `);

  const sizes = new Map((await ctx.store.list(loc.bucket, prefix)).map((o) => [o.key.slice(prefix.length), o.size]));
  const bpe = BYTES_PER_ELEMENT[ini.weightDataType];
  const files = expectedFiles(ini, tp);
  for (const f of files) {
    const size = sizes.get(f.file);
    const path = `${ckptPath.replace(/\/+$/, '')}/${f.file}`;
    if (size === undefined) {
      bad(
        `can not open file ${path}: tensor_para_size ${tp} needs it (converted with -tp ${ini.tensorParaSize ?? '?'})`
      );
    }
    if (size !== f.elements * bpe) {
      bad(
        `file ${path} only has ${size} bytes, but expect ${f.elements * bpe} (${f.elements} elements of ${ini.weightDataType}, weight_data_type in config.ini; tensor_para_size ${tp})`
      );
    }
  }
  const read = async (file: string): Promise<Float64Array> =>
    decodeTensor((await ctx.store.get(loc.bucket, prefix + file))!, ini.weightDataType);
  const readSplit = async (stem: string, rows: number, cols: number, axis: 'in' | 'out'): Promise<Float64Array> => {
    const parts: Float64Array[] = [];
    for (let r = 0; r < tp; r++) parts.push(await read(`${stem}.${r}.bin`));
    return joinSplits(parts, rows, cols, axis);
  };
  const H = ini.headNum * ini.sizePerHead;
  const I = ini.interSize;
  const wte = await read('model.wte.bin');
  const layers = [];
  for (let l = 0; l < ini.numLayer; l++) {
    const p = `model.layers.${l}.mlp.`;
    layers.push({
      w1: await readSplit(`${p}dense_h_to_4h.weight`, H, I, 'out'),
      b1: await readSplit(`${p}dense_h_to_4h.bias`, 1, I, 'out'),
      w2: await readSplit(`${p}dense_4h_to_h.weight`, I, H, 'in'),
      b2: await read(`${p}dense_4h_to_h.bias.bin`)
    });
  }
  ctx.log('I', 'libfastertransformer.cc:455', `After Loading Model:`);
  return new FtGpt(ini, wte, layers);
}
