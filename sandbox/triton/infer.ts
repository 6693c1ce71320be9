/** KServe v2 inference requests against an FT model: validation in Triton's words, then greedy decoding. */
import type { ModelState, TensorSpec } from './repository.js';

export class InferError extends Error {
  constructor(
    message: string,
    readonly status = 400
  ) {
    super(message);
  }
}

interface RequestTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: number[];
}

export interface InferResult {
  body: object;
  /** Tokens generated over the batch (drives the simulated latency). */
  generatedTokens: number;
  batchSize: number;
}

const INT_RANGES: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
};

function flatten(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

function shapeMatches(spec: number[], got: number[]): boolean {
  return spec.length === got.length && spec.every((d, i) => d === -1 || d === got[i]);
}

function parseTensor(raw: unknown, model: ModelState): RequestTensor {
  const t = raw as Record<string, unknown>;
  if (typeof t?.name !== 'string') throw new InferError("Unable to parse 'name'");
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InferError(`Unable to parse 'shape' for input '${t.name}'`);
  }
  if (typeof t.datatype !== 'string') throw new InferError(`Unable to parse 'datatype' for input '${t.name}'`);
  if (t.data === undefined)
    throw new InferError(`must specify valid 'data' field for input '${t.name}' of model '${model.name}'`);
  const data = flatten(t.data);
  const expect = (t.shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== expect)
    throw new InferError("Unable to parse 'data': Shape does not match true shape of 'data' field");
  const range = INT_RANGES[t.datatype];
  for (const v of data) {
    if (
      range
        ? !Number.isInteger(v) || (v as number) < range[0] || (v as number) > range[1]
        : typeof v !== 'number' && t.datatype !== 'BYTES' && t.datatype !== 'BOOL'
    ) {
      throw new InferError(`Unable to parse 'data': unable to parse input '${t.name}' as ${t.datatype}`);
    }
  }
  return { name: t.name, shape: t.shape as number[], datatype: t.datatype, data: data as number[] };
}

/** Validate a request as Triton does (names, datatypes, shapes, counts), then run it. */
export function runInfer(model: ModelState, body: unknown): InferResult {
  const req = body as Record<string, unknown>;
  if (typeof req !== 'object' || req === null || !Array.isArray(req.inputs))
    throw new InferError("Unable to parse 'inputs'");
  const inputs = req.inputs.map((x) => parseTensor(x, model));
  const byName = new Map<string, RequestTensor>();
  for (const t of inputs) {
    const spec = model.inputs.find((s) => s.name === t.name);
    if (!spec) throw new InferError(`unexpected inference input '${t.name}' for model '${model.name}'`);
    if (spec.datatype !== t.datatype) {
      throw new InferError(
        `inference input data-type is '${t.datatype}', model expects '${spec.datatype}' for '${model.name}'`
      );
    }
    byName.set(t.name, t);
  }
  const required = model.inputs.filter((s) => !s.optional).length;
  const missing = model.inputs.filter((s) => !s.optional && !byName.has(s.name));
  if (missing.length > 0) {
    throw new InferError(
      required === model.inputs.length
        ? `expected ${required} inputs but got ${byName.size} inputs for model '${model.name}'`
        : `expected number of inputs between ${required} and ${model.inputs.length} but got ${byName.size} inputs for model '${model.name}'`
    );
  }
  let batch = 1;
  if (model.maxBatchSize > 0) {
    batch = inputs[0].shape[0];
    const odd = inputs.find((t) => t.shape[0] !== batch);
    if (odd) throw new InferError(`input '${odd.name}' batch size does not match other inputs for '${model.name}'`);
    if (batch > model.maxBatchSize)
      throw new InferError(`inference request batch-size must be <= ${model.maxBatchSize} for '${model.name}'`);
  }
  for (const t of inputs) {
    const spec = model.inputs.find((s) => s.name === t.name)!;
    if (!shapeMatches(spec.shape, t.shape)) {
      const show = (s: number[]): string => `[${s.join(',')}]`;
      throw new InferError(
        `unexpected shape for input '${t.name}' for model '${model.name}'. Expected ${show(spec.shape)}, got ${show(t.shape)}`
      );
    }
  }
  const wanted: string[] = Array.isArray(req.outputs)
    ? (req.outputs as { name?: unknown }[]).map((o) => String(o?.name))
    : model.outputs.map((o) => o.name);
  for (const n of wanted) {
    if (!model.outputs.some((o) => o.name === n))
      throw new InferError(`unexpected inference output '${n}' for model '${model.name}'`);
  }

  const gpt = model.gpt!;
  const ids = byName.get('input_ids')!;
  const maxLen = ids.shape[1];
  const per = (name: string, b: number): number | undefined => {
    const t = byName.get(name);
    if (!t) return undefined;
    const n = t.data.length / (model.maxBatchSize > 0 ? batch : 1);
    return t.data[b * n];
  };
  const results: number[][] = [];
  const prompts: number[][] = [];
  let maxOut = 0;
  for (let b = 0; b < batch; b++) {
    const len = per('input_lengths', b)!;
    if (len < 1 || len > maxLen)
      throw new InferError(`input_lengths[${b}] = ${len} is outside 1..${maxLen} (the input_ids row length)`);
    const outLen = per('request_output_len', b)!;
    maxOut = Math.max(maxOut, outLen);
    const prompt = ids.data.slice(b * maxLen, b * maxLen + len);
    prompts.push(prompt);
    results.push(gpt.generate(prompt, outLen, per('end_id', b) ?? gpt.config.endId));
  }
  const endId = gpt.config.endId;
  // Beam search is not simulated: every beam carries the greedy sequence.
  const beam = Math.max(1, per('beam_width', 0) ?? 1);
  const total = maxLen + maxOut;
  const outputIds: number[] = [];
  const seqLen: number[] = [];
  results.forEach((gen, b) => {
    const row = [...prompts[b], ...gen];
    const len = row.length;
    while (row.length < total) row.push(per('end_id', b) ?? endId);
    for (let k = 0; k < beam; k++) {
      seqLen.push(len);
      outputIds.push(...row);
    }
  });
  const tensors: Record<string, { datatype: string; shape: number[]; data: number[] }> = {
    output_ids: { datatype: 'UINT32', shape: [batch, beam, total], data: outputIds },
    sequence_length: { datatype: 'UINT32', shape: [batch, beam], data: seqLen },
    response_input_lengths: { datatype: 'INT32', shape: [batch, 1], data: prompts.map((p) => p.length) },
    cum_log_probs: { datatype: 'FP32', shape: [batch, beam], data: new Array(batch * beam).fill(0) },
    output_log_probs: { datatype: 'FP32', shape: [batch, beam, maxOut], data: new Array(batch * beam * maxOut).fill(0) }
  };
  const outputs = wanted
    .filter((n) => tensors[n] !== undefined || model.outputs.some((o: TensorSpec) => o.name === n))
    .map((n) => {
      const spec = model.outputs.find((o) => o.name === n)!;
      const t = tensors[n] ?? { datatype: spec.datatype, shape: [batch], data: new Array(batch).fill(0) };
      return {
        name: n,
        datatype: spec.datatype === t.datatype ? t.datatype : spec.datatype,
        shape: t.shape,
        data: t.data
      };
    });
  const out: Record<string, unknown> = { model_name: model.name, model_version: model.version, outputs };
  if (typeof req.id === 'string') out.id = req.id;
  return { body: out, generatedTokens: results.reduce((a, g) => a + g.length, 0), batchSize: batch };
}
