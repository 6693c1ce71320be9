/**
 * What Triton 22.03 checks in a parsed model config before any backend sees it (server r22.03
 * `src/core/model_config_utils.cc`: ValidateModelConfig, ValidateIOShape; `src/core/model_config.cc`:
 * GetElementCount), and how it fills an absent instance group (NormalizeModelConfig). Messages are Triton's.
 * Not modelled: platform/backend pairing beyond "one of them", version policy, dynamic/sequence batching rules,
 * rate limiter, warmup, ensembles.
 */
import type { PbMessage } from './pbtxt.js';

/** Triton's GetElementCount: -1 when any dim is -1, 0 for no dims, else the product. */
export function elementCount(dims: readonly number[]): number {
  if (dims.includes(-1)) return -1;
  return dims.length === 0 ? 0 : dims.reduce((a, b) => a * b, 1);
}

/** Products of the runs between -1 dims ([2, 4, -1, 6] → [8, 6]). */
function chunks(dims: readonly number[]): number[] {
  const out = [1];
  for (const d of dims) {
    if (d === -1) out.push(1);
    else out[out.length - 1] *= d;
  }
  return out;
}

const WILDCARD = 'to indicate a variable-size dimension';

/** ValidateIOShape for one input or output; `prefix` is "model input " or "model output ". */
export function ioShapeProblem(io: PbMessage, maxBatchSize: number, prefix: string): string | undefined {
  if (!io.name) return `${prefix}must specify 'name'`;
  // Triton says "model output" here for inputs too (model_config_utils.cc at r22.03).
  if (io.data_type === undefined || io.data_type === 'TYPE_INVALID') return "model output must specify 'data_type'";
  const dims = ((io.dims as number[] | undefined) ?? []).map(Number);
  if (dims.length === 0) return `${prefix}must specify 'dims'`;
  const reshape = io.reshape as PbMessage | undefined;
  const shape = ((reshape?.shape as number[] | undefined) ?? []).map(Number);
  if (reshape && shape.length === 0 && maxBatchSize === 0) {
    return `${prefix}cannot have empty reshape for non-batching model as scalar tensors are not supported`;
  }
  if (dims.some((d) => d < 1 && d !== -1)) return `${prefix}dimension must be integer >= 1, or -1 ${WILDCARD}`;
  if (!reshape) return undefined;
  if (shape.some((d) => d < 1 && d !== -1))
    return `${prefix}reshape dimensions must be integer >= 1, or -1 ${WILDCARD}`;
  const a = elementCount(dims);
  const b = elementCount(shape);
  if (a !== b && (b !== 0 || a !== 1)) return `${prefix}has different size for dims and reshape`;
  if (a === -1) {
    const ca = chunks(dims);
    const cb = chunks(shape);
    if (ca.length !== cb.length) {
      return `${prefix}has different number of variable-size dimensions for dims and reshape`;
    }
    if (ca.some((c, i) => c !== cb[i])) return `${prefix}has different size for dims and reshape`;
  }
  return undefined;
}

/** The first problem ValidateModelConfig / ValidateModelIOConfig finds, as Triton words it, or undefined. */
export function modelConfigProblem(cfg: PbMessage, name: string): string | undefined {
  if (!cfg.platform && !cfg.backend) return `must specify 'platform' or 'backend' for '${name}'`;
  const maxBatchSize = Number(cfg.max_batch_size ?? 0);
  if (maxBatchSize < 0) return `'max_batch_size' must be non-negative value for ${name}`;
  for (const [list, prefix] of [
    [cfg.input, 'model input '],
    [cfg.output, 'model output ']
  ] as const) {
    for (const io of (list as PbMessage[] | undefined) ?? []) {
      const p = ioShapeProblem(io, maxBatchSize, prefix);
      if (p) return `${p} for ${name}`;
    }
  }
  return undefined;
}

export interface InstanceGroup {
  kind: string;
  count: number;
}

/**
 * Instance groups after Triton's normalization: none given → one group; KIND_AUTO → KIND_GPU when the server
 * sees GPUs (else KIND_CPU); count < 1 → 1.
 */
export function normalizedInstanceGroups(cfg: PbMessage, gpus: number): InstanceGroup[] {
  const given = (cfg.instance_group as PbMessage[] | undefined) ?? [];
  const groups = given.length > 0 ? given : [{}];
  return groups.map((g) => {
    const kind = String(g.kind ?? 'KIND_AUTO');
    const count = Number(g.count ?? 0);
    return { kind: kind === 'KIND_AUTO' ? (gpus > 0 ? 'KIND_GPU' : 'KIND_CPU') : kind, count: count < 1 ? 1 : count };
  });
}
