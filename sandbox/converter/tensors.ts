/**
 * Tensors for the converter simulation: the safetensors header (8-byte little-endian length + JSON), decoding
 * F32/F16/BF16 to float32, numpy-like transpose/permute/split in C order, and float32 → float16 with
 * round-to-nearest-even (what numpy/torch do).
 */

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  dataStart: number;
  entries: SafetensorsEntry[];
  metadata?: Record<string, string>;
}

export function parseSafetensorsHeader(buf: Buffer): SafetensorsHeader {
  if (buf.length < 8) throw new Error('Error while deserializing header: HeaderTooSmall');
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw new Error('Error while deserializing header: InvalidHeaderLength');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error('Error while deserializing header: InvalidHeaderDeserialization');
  }
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    entries.push({ name, dtype: e.dtype, shape: e.shape, begin: e.data_offsets[0], end: e.data_offsets[1] });
  }
  // safe_open(...).keys() yields names in sorted order
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { dataStart: 8 + n, entries, metadata };
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export function decodeTensor(e: SafetensorsEntry, bytes: Buffer): Tensor {
  const size = BYTES[e.dtype];
  if (!size) throw new TypeError(`sandbox converter: unsupported safetensors dtype ${e.dtype}`);
  const count = e.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== count * size) {
    throw new Error(`Error while deserializing header: TensorInvalidInfo (${e.name})`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (e.dtype === 'F32') out[i] = bytes.readFloatLE(i * 4);
    else if (e.dtype === 'F16') out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
    else out[i] = bf16ToFloat(bytes.readUInt16LE(i * 2));
  }
  return { shape: [...e.shape], data: out };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  // a carry out of the mantissa moves into the exponent (up to 0x7c00, infinity), as IEEE rounding wants
  return sign | h;
}

/** numpy's str(shape): `(4096,)`, `(3, 2048)`. */
export function pyShape(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** A C-order copy of `t` with axes permuted (numpy `transpose(perm)` followed by `tofile`). */
export function permute(t: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => t.shape[p]);
  const inStrides = strides(t.shape);
  const out = new Float32Array(t.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  const srcStride = perm.map((p) => inStrides[p]);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * srcStride[d];
    out[o] = t.data[src];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

export function transpose2d(t: Tensor): Tensor {
  return t.shape.length === 2 ? permute(t, [1, 0]) : t;
}

/** numpy.split(t, n, axis): equal parts or numpy's ValueError. */
export function split(t: Tensor, n: number, axis: number): Tensor[] {
  const ax = axis < 0 ? t.shape.length + axis : axis;
  const len = t.shape[ax];
  if (n <= 0 || len % n !== 0) throw new Error('array split does not result in an equal division');
  const part = len / n;
  const outer = t.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = t.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const parts: Tensor[] = [];
  for (let k = 0; k < n; k++) {
    const shape = [...t.shape];
    shape[ax] = part;
    const data = new Float32Array(outer * part * inner);
    for (let o = 0; o < outer; o++) {
      const src = (o * len + k * part) * inner;
      data.set(t.data.subarray(src, src + part * inner), o * part * inner);
    }
    parts.push({ shape, data });
  }
  return parts;
}

/** Raw little-endian bytes in the converter's output dtype. */
export function toBytes(t: Tensor, dtype: 'fp32' | 'fp16'): Buffer {
  if (dtype === 'fp32') {
    const b = Buffer.alloc(t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) b.writeFloatLE(t.data[i], i * 4);
    return b;
  }
  const b = Buffer.alloc(t.data.length * 2);
  for (let i = 0; i < t.data.length; i++) b.writeUInt16LE(floatToHalf(t.data[i]), i * 2);
  return b;
}
