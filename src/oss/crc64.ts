/**
 * CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (the reflected variant, init and xorout all ones;
 * unsigned decimal). ali-oss computes none, so the product does, incrementally: `prev` is the CRC of everything
 * before `buf`, as in crc64-ecma182.js, which the unit tests use as the independent reference.
 *
 * The bytes go through hash-wasm's CRC-64 (C compiled to WebAssembly; its default polynomial is this one): about
 * twice the slicing-by-8 loop below, which is the CRC's whole cost per byte of a sync. The wasm module compiles
 * asynchronously at import; until it is ready, or where WebAssembly is unavailable (`--jitless`), the loop below
 * computes the same value. Why not crc64-ecma182.js at run time: it is wasm2js output of unoptimised C (locals
 * kept in its heap): ~130-270 MB/s here, and its fixed 16 MiB heap aborts the process on a 16 MiB input.
 */
import type { IHasher } from 'hash-wasm';
// The CRC-64 build alone: the package's index carries every algorithm's wasm (≈2.5 MiB more RSS once loaded).
import crc64Module from 'hash-wasm/dist/crc64.umd.min.js';

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

export const CRC64_EMPTY = '0';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Eight 256-entry tables (low and high 32 bits): table t advances a byte by t further zero bytes. */
const TL = new Uint32Array(256 * 8);
const TH = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const odd = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TL[n] = lo;
  TH[n] = hi;
}
for (let t = 1; t < 8; t++) {
  for (let n = 0; n < 256; n++) {
    const pl = TL[(t - 1) * 256 + n];
    const ph = TH[(t - 1) * 256 + n];
    const i = pl & 0xff;
    TL[t * 256 + n] = (((pl >>> 8) | (ph << 24)) ^ TL[i]) >>> 0;
    TH[t * 256 + n] = ((ph >>> 8) ^ TH[i]) >>> 0;
  }
}

let wasm: IHasher | undefined;
/** Settles once the WebAssembly CRC is in use (or known to be unavailable: the portable loop stays). */
export const crc64Ready: Promise<void> = crc64Module.createCRC64().then(
  (h) => {
    wasm = h;
  },
  () => undefined
);

/** Which implementation `crc64` runs now (the tests check both). */
export const crc64Engine = (): 'wasm' | 'portable' => (wasm ? 'wasm' : 'portable');

/** CRC of `buf` continued from `prev` (the CRC of everything before it). */
export function crc64(buf: Uint8Array, prev: string = CRC64_EMPTY): string {
  if (!wasm) return crc64Portable(buf, prev);
  wasm.init();
  wasm.update(buf);
  const own = BigInt(`0x${wasm.digest('hex')}`).toString();
  return prev === CRC64_EMPTY ? own : crc64Combine(prev, own, buf.length);
}

/** The same CRC by a slicing-by-8 loop over 32-bit halves (no allocation per call); the fallback of `crc64`. */
export function crc64Portable(buf: Uint8Array, prev: string = CRC64_EMPTY): string {
  const p = BigInt(prev);
  let lo = ~Number(p & 0xffffffffn) | 0;
  let hi = ~Number(p >> 32n) | 0;
  const n = buf.length;
  let i = 0;
  // Byte by byte up to 4-byte alignment, then 8 bytes per step through a Uint32Array view (little-endian hosts).
  for (; i < n && ((buf.byteOffset + i) & 3) !== 0; i++) {
    const x = (lo ^ buf[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TL[x];
    hi = (hi >>> 8) ^ TH[x];
  }
  const words = LITTLE_ENDIAN ? ((n - i) >>> 3) << 1 : 0;
  if (words > 0) {
    const w = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const a = lo ^ w[j];
      const b = hi ^ w[j + 1];
      lo =
        TL[1792 + (a & 0xff)] ^
        TL[1536 + ((a >>> 8) & 0xff)] ^
        TL[1280 + ((a >>> 16) & 0xff)] ^
        TL[1024 + (a >>> 24)] ^
        TL[768 + (b & 0xff)] ^
        TL[512 + ((b >>> 8) & 0xff)] ^
        TL[256 + ((b >>> 16) & 0xff)] ^
        TL[b >>> 24];
      hi =
        TH[1792 + (a & 0xff)] ^
        TH[1536 + ((a >>> 8) & 0xff)] ^
        TH[1280 + ((a >>> 16) & 0xff)] ^
        TH[1024 + (a >>> 24)] ^
        TH[768 + (b & 0xff)] ^
        TH[512 + ((b >>> 8) & 0xff)] ^
        TH[256 + ((b >>> 16) & 0xff)] ^
        TH[b >>> 24];
    }
    i += words * 4;
  }
  for (; i < n; i++) {
    const x = (lo ^ buf[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TL[x];
    hi = (hi >>> 8) ^ TH[x];
  }
  return ((BigInt(~hi >>> 0) << 32n) | BigInt(~lo >>> 0)).toString();
}

// Combining CRCs of consecutive pieces (zlib's crc32_combine, for the 64-bit reflected polynomial): parts are
// checked one by one against what OSS reports for each part, and the whole object's CRC is derived from them.
const POLY = 0xc96c5795d7870f42n;
type Matrix = bigint[];

function times(mat: Matrix, vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}
const compose = (a: Matrix, b: Matrix): Matrix => b.map((col) => times(a, col));

const operators = new Map<number, Matrix>();
/** The operator that appends `len` zero bytes to a CRC register. */
function zerosOperator(len: number): Matrix {
  const cached = operators.get(len);
  if (cached) return cached;
  let base: Matrix = [POLY];
  for (let n = 1, row = 1n; n < 64; n++, row <<= 1n) base.push(row);
  let result: Matrix = Array.from({ length: 64 }, (_, i) => 1n << BigInt(i));
  for (let bits = BigInt(len) * 8n; bits > 0n; bits >>= 1n) {
    if (bits & 1n) result = compose(base, result);
    base = compose(base, base);
  }
  if (operators.size > 16) operators.clear();
  operators.set(len, result);
  return result;
}

/** CRC of A‖B from crc(A), crc(B) and the length of B. */
export function crc64Combine(crcA: string, crcB: string, lenB: number): string {
  if (lenB === 0) return crcA;
  return (times(zerosOperator(lenB), BigInt(crcA)) ^ BigInt(crcB)).toString();
}
