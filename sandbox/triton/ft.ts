/**
 * What the FasterTransformer backend does with a converted Bloom checkpoint: read `config.ini`, check that
 * every tensor file for each tensor-parallel rank is there with the expected size, reassemble the splits and
 * decode greedily.
 *
 * Layout (FT's, as huggingface_bloom_convert.py writes it): 2-D linear weights are stored transposed,
 * [in, out]; `query_key_value` and `dense_h_to_4h` are split along the output (last) axis, `attention.dense`
 * and `dense_4h_to_h` along the input (first) axis; `model.wte.bin` is [vocab, hidden].
 *
 * The simulated forward pass is deliberately small (see README): per layer x += MLP(x) with GELU (tanh
 * approximation, as Bloom), then logits = x · wteᵀ. Attention, layernorms and alibi are not computed.
 */

export interface FtConfig {
  modelName: string;
  numLayer: number;
  headNum: number;
  sizePerHead: number;
  interSize: number;
  vocabSize: number;
  startId: number;
  endId: number;
  weightDataType: 'fp32' | 'fp16' | 'bf16';
  tensorParaSize?: number;
  raw: Record<string, string>;
}

/** Parse the converter's `config.ini` (`[gpt]` section, `key=value` lines). */
export function parseConfigIni(text: string): FtConfig {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      current = sections[sec[1].trim()] = {};
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq < 0 || !current) throw new Error(`config.ini: cannot parse line "${raw}"`);
    current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const gpt = sections.gpt;
  if (!gpt) throw new Error('config.ini has no [gpt] section');
  const int = (k: string, dflt?: number): number => {
    const v = gpt[k];
    if (v === undefined) {
      if (dflt !== undefined) return dflt;
      throw new Error(`config.ini [gpt] has no ${k}`);
    }
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`config.ini [gpt] ${k}=${v} is not an integer`);
    return n;
  };
  const wdt = (gpt.weight_data_type ?? 'fp32').toLowerCase();
  if (wdt !== 'fp32' && wdt !== 'fp16' && wdt !== 'bf16')
    throw new Error(`config.ini [gpt] weight_data_type=${wdt} is not fp32, fp16 or bf16`);
  const headNum = int('head_num');
  const sizePerHead = int('size_per_head');
  return {
    modelName: gpt.model_name ?? '',
    numLayer: int('num_layer'),
    headNum,
    sizePerHead,
    interSize: int('inter_size', 4 * headNum * sizePerHead),
    vocabSize: int('vocab_size'),
    startId: int('start_id', 1),
    endId: int('end_id', 2),
    weightDataType: wdt,
    tensorParaSize: gpt.tensor_para_size === undefined ? undefined : int('tensor_para_size'),
    raw: gpt
  };
}

export interface TensorFile {
  file: string;
  elements: number;
  /** Split tensors: the rank's part, and how the parts go together. */
  rank?: number;
  splitAxis?: 'in' | 'out';
}

/** Every file FT loads for this config and tensor-parallel size, with its element count. */
export function expectedFiles(c: FtConfig, tp: number): TensorFile[] {
  const H = c.headNum * c.sizePerHead;
  const I = c.interSize;
  const files: TensorFile[] = [
    { file: 'model.wte.bin', elements: c.vocabSize * H },
    { file: 'model.pre_decoder_layernorm.weight.bin', elements: H },
    { file: 'model.pre_decoder_layernorm.bias.bin', elements: H },
    { file: 'model.final_layernorm.weight.bin', elements: H },
    { file: 'model.final_layernorm.bias.bin', elements: H }
  ];
  for (let l = 0; l < c.numLayer; l++) {
    const p = `model.layers.${l}.`;
    files.push(
      { file: `${p}input_layernorm.weight.bin`, elements: H },
      { file: `${p}input_layernorm.bias.bin`, elements: H },
      { file: `${p}post_attention_layernorm.weight.bin`, elements: H },
      { file: `${p}post_attention_layernorm.bias.bin`, elements: H },
      { file: `${p}attention.dense.bias.bin`, elements: H },
      { file: `${p}mlp.dense_4h_to_h.bias.bin`, elements: H }
    );
    for (let r = 0; r < tp; r++) {
      files.push(
        {
          file: `${p}attention.query_key_value.weight.${r}.bin`,
          elements: (H * 3 * H) / tp,
          rank: r,
          splitAxis: 'out'
        },
        { file: `${p}attention.query_key_value.bias.${r}.bin`, elements: (3 * H) / tp, rank: r, splitAxis: 'out' },
        { file: `${p}attention.dense.weight.${r}.bin`, elements: (H / tp) * H, rank: r, splitAxis: 'in' },
        { file: `${p}mlp.dense_h_to_4h.weight.${r}.bin`, elements: (H * I) / tp, rank: r, splitAxis: 'out' },
        { file: `${p}mlp.dense_h_to_4h.bias.${r}.bin`, elements: I / tp, rank: r, splitAxis: 'out' },
        { file: `${p}mlp.dense_4h_to_h.weight.${r}.bin`, elements: (I / tp) * H, rank: r, splitAxis: 'in' }
      );
    }
  }
  return files;
}

export const BYTES_PER_ELEMENT = { fp32: 4, fp16: 2, bf16: 2 } as const;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function decodeTensor(buf: Buffer, type: FtConfig['weightDataType']): Float64Array {
  const n = buf.length / BYTES_PER_ELEMENT[type];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (type === 'fp32') out[i] = buf.readFloatLE(i * 4);
    else if (type === 'fp16') out[i] = halfToFloat(buf.readUInt16LE(i * 2));
    else {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(buf.readUInt16LE(i * 2), 2);
      out[i] = b.readFloatLE(0);
    }
  }
  return out;
}

/** Join the ranks' parts of a [rows, cols] matrix split along its columns ('out') or rows ('in'). */
export function joinSplits(parts: Float64Array[], rows: number, cols: number, axis: 'in' | 'out'): Float64Array {
  if (axis === 'in' || rows === 1) {
    const out = new Float64Array(rows * cols);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  const tp = parts.length;
  const c = cols / tp;
  const out = new Float64Array(rows * cols);
  parts.forEach((p, r) => {
    for (let i = 0; i < rows; i++) for (let j = 0; j < c; j++) out[i * cols + r * c + j] = p[i * c + j];
  });
  return out;
}

export interface FtLayerMlp {
  w1: Float64Array; // [H, I]
  b1: Float64Array; // [I]
  w2: Float64Array; // [I, H]
  b2: Float64Array; // [H]
}

export class FtGpt {
  constructor(
    readonly config: FtConfig,
    readonly wte: Float64Array,
    readonly layers: FtLayerMlp[]
  ) {}

  get hidden(): number {
    return this.config.headNum * this.config.sizePerHead;
  }

  /** The greedy next token after `ids` (the table lives in the last token's state). */
  nextToken(ids: number[]): number {
    const H = this.hidden;
    const I = this.config.interSize;
    const last = ids[ids.length - 1];
    const x = new Float64Array(H);
    if (last >= 0 && last < this.config.vocabSize) x.set(this.wte.subarray(last * H, last * H + H));
    for (const L of this.layers) {
      const h = new Float64Array(I);
      for (let k = 0; k < I; k++) {
        let s = L.b1[k];
        for (let j = 0; j < H; j++) s += x[j] * L.w1[j * I + k];
        h[k] = gelu(s);
      }
      for (let j = 0; j < H; j++) {
        let s = L.b2[j];
        for (let k = 0; k < I; k++) if (h[k] !== 0) s += h[k] * L.w2[k * H + j];
        x[j] += s;
      }
    }
    let best = 0;
    let bestLogit = -Infinity;
    for (let v = 0; v < this.config.vocabSize; v++) {
      let s = 0;
      for (let j = 0; j < H; j++) s += x[j] * this.wte[v * H + j];
      if (s > bestLogit) [best, bestLogit] = [v, s];
    }
    return best;
  }

  /** Greedy decoding: stops after `maxNew` tokens or at `endId` (which is not counted). */
  generate(prompt: number[], maxNew: number, endId = this.config.endId): number[] {
    const out: number[] = [];
    for (let i = 0; i < maxNew; i++) {
      const t = this.nextToken([...prompt, ...out]);
      if (t === endId) break;
      out.push(t);
    }
    return out;
  }
}

function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
