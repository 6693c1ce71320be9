/** Minimal safetensors writer/reader (the format: u64 LE header length, JSON header, raw little-endian data). */

export interface F32Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function writeSafetensors(tensors: F32Tensor[], metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${t.name}: shape ${t.shape} does not hold ${t.data.length}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const body = Buffer.alloc(offset);
  let at = 0;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) body.writeFloatLE(t.data[i], at);
  }
  return Buffer.concat([head, Buffer.from(json), body]);
}

export function readSafetensors(buf: Buffer): F32Tensor[] {
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + len;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, h]) => {
      if (h.dtype !== 'F32') throw new Error(`tensor ${name}: dtype ${h.dtype} not supported`);
      const [b, e] = h.data_offsets;
      const data = new Float32Array((e - b) / 4);
      for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(base + b + i * 4);
      return { name, shape: h.shape, data };
    });
}
