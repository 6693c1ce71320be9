/**
 * The simulation of FasterTransformer's `examples/pytorch/gpt/utils/huggingface_bloom_convert.py` (see
 * docs in shared/reference/ft-bloom.md): same arguments, same log lines, same output layout and bytes
 * (`<o>/<tp>-gpu/config.ini` + one raw little-endian file per tensor, split ones per rank). Reads
 * safetensors only (the real script also torch.loads `.bin` pickles; the sandbox does not).
 * Deterministic: shards and tensors are processed in sorted order.
 */
import { posix } from 'node:path';
import { parseConvertArgs, type ConvertArgs } from './argparse.js';
import {
  decodeTensor,
  parseSafetensorsHeader,
  permute,
  pyShape,
  split,
  toBytes,
  transpose2d,
  type Tensor
} from './tensors.js';

/** The files the converter sees, by absolute in-container path (the operator maps them onto OSS). */
export interface ConverterFs {
  /** File names directly inside `dir`, or undefined when the directory does not exist. */
  listDir(dir: string): Promise<string[] | undefined>;
  readFile(file: string): Promise<Buffer | undefined>;
  writeFile(file: string, data: Buffer): Promise<void>;
}

export interface ConverterRun {
  /** argv after the interpreter: [scriptPath, ...args]. */
  argv: string[];
  fs: ConverterFs;
  /** One output line (without newline). Throws when the process has been killed. */
  log: (line: string) => void;
  cwd?: string;
  now?: () => number;
}

export class PythonError extends Error {
  constructor(
    readonly pyType: string,
    message: string,
    readonly frames: [fn: string, line: number, code: string][]
  ) {
    super(message);
  }
}

const SITE = '/usr/local/lib/python3.8/dist-packages';

/** Runs the converter; resolves to the process exit status. */
export async function runBloomConverter(run: ConverterRun): Promise<number> {
  const started = (run.now ?? Date.now)();
  const script = run.argv[0];
  const prog = posix.basename(script);
  const parsed = parseConvertArgs(prog, run.argv.slice(1));
  if (!parsed.ok) {
    for (const l of (parsed.stdout ?? parsed.stderr ?? '').replace(/\n$/, '').split('\n')) run.log(l);
    return parsed.exitCode;
  }
  const args = parsed.args;
  run.log('');
  run.log('======================= Arguments =======================');
  for (const [k, v] of Object.entries(args))
    run.log(` - ${k.padEnd(20, '.')}: ${v === true ? 'True' : v === false ? 'False' : v}`);
  run.log('=========================================================');
  try {
    await convert(run, args);
  } catch (err) {
    if (err instanceof PythonError) {
      for (const l of traceback(script, err)) run.log(l);
      return 1;
    }
    throw err;
  }
  const elapsed = (((run.now ?? Date.now)() - started) / 1000).toFixed(2);
  run.log(`Checkpoint conversion (HF >> FT) has done (elapsed time: ${elapsed} sec)`);
  return 0;
}

function pyPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

interface BloomConfig {
  name_or_path: string;
  n_layer: number;
  n_head: number;
  hidden_size: number;
  vocab_size: number;
  layer_norm_epsilon: number;
  bos_token_id: number;
  eos_token_id: number;
  post_layernorm: boolean;
}

async function convert(run: ConverterRun, args: ConvertArgs): Promise<void> {
  const abs = (p: string) => posix.resolve(run.cwd ?? '/', p);
  const inputDir = args.input_dir;
  const saveDir = posix.join(pyPath(args.output_dir), `${args.tensor_para_size}-gpu`);
  const mainFrame: [string, number, string] = [
    'main',
    args.by_shard ? 436 : 438,
    args.by_shard
      ? 'process_by_model_shard(args.input_dir, dtype, tp_size, save_dir, args.processes)'
      : 'process_by_model_param(args.input_dir, dtype, tp_size, save_dir, args.processes)'
  ];
  const stageFn = args.by_shard ? 'process_by_model_shard' : 'process_by_model_param';

  // BloomConfig.from_pretrained(input_dir)
  const cfgFrames: [string, number, string][] = [
    mainFrame,
    [stageFn, args.by_shard ? 402 : 355, 'model_config = BloomConfig.from_pretrained(model_id)'],
    ['from_pretrained', 0, 'config_dict, kwargs = cls.get_config_dict(pretrained_model_name_or_path, **kwargs)']
  ];
  const files = await run.fs.listDir(abs(inputDir));
  if (!files) {
    throw new PythonError(
      'OSError',
      `Incorrect path_or_model_id: '${inputDir}'. Please provide either the path to a local folder or the repo_id of a model on the Hub.`,
      cfgFrames
    );
  }
  const cfgPath = posix.join(pyPath(inputDir), 'config.json');
  const raw = files.includes('config.json') ? await run.fs.readFile(abs(cfgPath)) : undefined;
  if (!raw) {
    throw new PythonError(
      'OSError',
      `${inputDir} does not appear to have a file named config.json. Checkout 'https://huggingface.co/${inputDir}/None' for available files.`,
      cfgFrames
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not an object');
  } catch {
    throw new PythonError(
      'OSError',
      `It looks like the config file at '${cfgPath}' is not a valid JSON file.`,
      cfgFrames
    );
  }
  if (typeof json.model_type === 'string' && json.model_type !== 'bloom') {
    run.log(
      `You are using a model of type ${json.model_type} to instantiate a model of type bloom. This is not supported for all configurations of models and can yield errors.`
    );
  }
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  const cfg: BloomConfig = {
    name_or_path: inputDir,
    n_layer: num(json.n_layer ?? json.num_hidden_layers, 2),
    n_head: num(json.n_head ?? json.num_attention_heads, 8),
    hidden_size: num(json.n_embed ?? json.hidden_size, 64),
    vocab_size: num(json.vocab_size, 250880),
    layer_norm_epsilon: num(json.layer_norm_epsilon, 1e-5),
    bos_token_id: num(json.bos_token_id, 1),
    eos_token_id: num(json.eos_token_id, 2),
    post_layernorm: json.apply_residual_connection_post_layernorm === true
  };

  // get_model_files
  const st = files.filter((f) => f.endsWith('.safetensors')).sort();
  const bins = files.filter((f) => f.endsWith('.bin')).sort();
  run.log('loading from safetensors format');
  const modelFiles = st.length ? st : bins;
  if (!modelFiles.length) {
    throw new PythonError('FileNotFoundError', 'model files not found', [
      mainFrame,
      [stageFn, 357, 'model_files = get_model_files(model_id)'],
      ['get_model_files', 332, "raise FileNotFoundError('model files not found')"]
    ]);
  }
  run.log(`model file num: ${modelFiles.length}`);

  await run.fs.writeFile(abs(posix.join(saveDir, 'config.ini')), Buffer.from(configIni(cfg, args)));

  for (const file of modelFiles) {
    const loadFrames: [string, number, string][] = [
      mainFrame,
      [stageFn, 373, 'state_dict = load_state_dict(model_file, dtype)'],
      ['load_state_dict', 280, 'with safe_open(file_path, framework="pt", device="cpu") as f:']
    ];
    if (!file.endsWith('.safetensors')) {
      throw new PythonError(
        'NotImplementedError',
        'the sandbox converter reads safetensors only (torch.load of .bin is not simulated)',
        loadFrames
      );
    }
    const buf = await run.fs.readFile(abs(posix.join(pyPath(inputDir), file)));
    if (!buf) throw new PythonError('FileNotFoundError', `No such file or directory: ${file}`, loadFrames);
    let header;
    try {
      header = parseSafetensorsHeader(buf);
    } catch (e) {
      throw new PythonError('safetensors_rust.SafetensorError', (e as Error).message, loadFrames);
    }
    for (const entry of header.entries) {
      let t: Tensor;
      try {
        t = decodeTensor(entry, buf.subarray(header.dataStart + entry.begin, header.dataStart + entry.end));
      } catch (e) {
        throw new PythonError('safetensors_rust.SafetensorError', (e as Error).message, loadFrames);
      }
      const name = convertParameterName(entry.name);
      t = transpose2d(t);
      t = handleExceptions(cfg, name, t);
      await saveParameter(
        run,
        name,
        t,
        args,
        saveDir,
        abs,
        [
          mainFrame,
          [stageFn, 381, 'convert_and_save_parameter(param_name, param.detach().cpu().numpy(), tp_size, save_dir)']
        ],
        cfg.n_head
      );
    }
  }
}

const RENAMES: Record<string, string> = {
  'word_embeddings.weight': 'wte',
  'word_embeddings_layernorm.weight': 'pre_decoder_layernorm.weight',
  'word_embeddings_layernorm.bias': 'pre_decoder_layernorm.bias',
  'ln_f.weight': 'final_layernorm.weight',
  'ln_f.bias': 'final_layernorm.bias',
  'self_attention.dense.weight': 'attention.dense.weight',
  'self_attention.dense.bias': 'attention.dense.bias',
  'self_attention.query_key_value.weight': 'attention.query_key_value.weight',
  'self_attention.query_key_value.bias': 'attention.query_key_value.bias'
};

const SPLITS: [string, number][] = [
  ['attention.query_key_value.weight', -1],
  ['attention.query_key_value.bias', -1],
  ['attention.dense.weight', 0],
  ['mlp.dense_h_to_4h.weight', -1],
  ['mlp.dense_h_to_4h.bias', -1],
  ['mlp.dense_4h_to_h.weight', 0]
];

/** HF parameter name → FT file stem (`h.0.self_attention.dense.weight` → `model.layers.0.attention.dense.weight`). */
export function convertParameterName(hf: string): string {
  let name = hf.startsWith('transformer.') ? hf.slice('transformer.'.length) : hf;
  if (/^h./.test(name)) name = name.replace(/^h./, 'layers.');
  const suffix = name.replace(/layers.\d+./, '');
  if (suffix in RENAMES) name = name.replace(suffix, RENAMES[suffix]);
  return 'model.' + name;
}

function handleExceptions(cfg: BloomConfig, name: string, t: Tensor): Tensor {
  if (name.includes('query_key_value')) {
    const heads = cfg.n_head;
    const headDim = Math.floor(cfg.hidden_size / cfg.n_head);
    const total = t.data.length;
    const rows = total / (heads * 3 * headDim);
    // (..., heads*3*headDim) viewed as (-1, heads, 3, headDim), permuted to (-1, 3, heads, headDim)
    const p = permute({ shape: [rows, heads, 3, headDim], data: t.data }, [0, 2, 1, 3]);
    return name.includes('query_key_value.bias')
      ? { shape: [3, heads * headDim], data: p.data }
      : { shape: [rows, 3, heads * headDim], data: p.data };
  }
  if (name.includes('wte')) return transpose2d(t);
  return t;
}

async function saveParameter(
  run: ConverterRun,
  name: string,
  t: Tensor,
  args: ConvertArgs,
  saveDir: string,
  abs: (p: string) => string,
  frames: [string, number, string][],
  nHead: number
): Promise<void> {
  const debug = (l: string) => {
    if (args.verbose) run.log(l);
  };
  const rule = SPLITS.find(([phrase]) => name.includes(phrase));
  if (!rule) {
    const file = posix.join(saveDir, `${name}.bin`);
    await run.fs.writeFile(abs(file), toBytes(t, args.data_type));
    debug(` - ${name.padEnd(48, '.')}: shape ${pyShape(t.shape).padEnd(16)}   | saved at ${file}`);
    return;
  }
  const tp = args.tensor_para_size;
  let parts: Tensor[];
  try {
    // the sandbox splits along heads, so a tp that does not divide the head count fails here as numpy would
    if (tp <= 0 || nHead % tp !== 0) {
      throw new Error('array split does not result in an equal division');
    }
    parts = split(t, tp, rule[1]);
  } catch (e) {
    throw new PythonError('ValueError', (e as Error).message, [
      ...frames,
      ['convert_and_save_parameter', 205, 'split_params = np.split(param, tensor_para_size, axis=axis)'],
      ['<__array_function__ internals>', 180, ''],
      [`${SITE}/numpy/lib/shape_base.py|split`, 872, 'raise ValueError(']
    ]);
  }
  for (let i = 0; i < parts.length; i++) {
    const file = posix.join(saveDir, `${name}.${i}.bin`);
    await run.fs.writeFile(abs(file), toBytes(parts[i], args.data_type));
    debug(` - ${name.padEnd(48, '.')}: shape ${pyShape(parts[i].shape).padEnd(16)} s | saved at ${file} (${i}/${tp})`);
  }
}

/** Python's repr of a float: `1e-05`, `0.001`, `1.0`. */
export function pyFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  const [mant, expStr] = v.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

export function configIni(cfg: BloomConfig, args: ConvertArgs): string {
  const entries: [string, string | number | boolean][] = [
    ['model_name', cfg.name_or_path],
    ['num_layer', cfg.n_layer],
    ['head_num', cfg.n_head],
    ['inter_size', 4 * cfg.hidden_size],
    ['size_per_head', Math.floor(cfg.hidden_size / cfg.n_head)],
    ['vocab_size', cfg.vocab_size],
    ['tensor_para_size', args.tensor_para_size],
    ['weight_data_type', args.data_type],
    ['model_variant', cfg.post_layernorm ? 'bloom-post' : 'bloom-pre'],
    ['layernorm_eps', pyFloat(cfg.layer_norm_epsilon)],
    ['layernorm_type', cfg.post_layernorm ? 'post_layernorm' : 'pre_layernorm'],
    ['activation_type', 'Gelu'],
    ['has_positional_encoding', false],
    ['has_pre_decoder_layernorm', true],
    ['has_post_decoder_layernorm', true],
    ['use_attention_linear_bias', true],
    ['start_id', cfg.bos_token_id],
    ['end_id', cfg.eos_token_id]
  ];
  const fmt = (v: string | number | boolean) => (v === true ? 'True' : v === false ? 'False' : String(v));
  return `[gpt]\n${entries.map(([k, v]) => `${k}=${fmt(v)}`).join('\n')}\n\n`;
}

function traceback(script: string, err: PythonError): string[] {
  const lines = ['Traceback (most recent call last):', `  File "${script}", line 446, in <module>`, '    main()'];
  for (const [fn, line, code] of err.frames) {
    if (fn.startsWith('<')) {
      lines.push(`  File "${fn}", line ${line}, in split`);
      continue;
    }
    const [file, name] = fn.includes('|')
      ? fn.split('|')
      : [fn === 'from_pretrained' ? `${SITE}/transformers/configuration_utils.py` : script, fn];
    lines.push(`  File "${file}", line ${line || 546}, in ${name}`);
    if (code) lines.push(`    ${code}`);
  }
  lines.push(`${err.pyType}: ${err.message}`);
  return lines;
}
