/**
 * CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (unsigned decimal). ali-oss computes none, so the
 * product does: incrementally over the stream (the running value is the `prev` of the next chunk).
 */
import crcLib from 'crc64-ecma182.js';

export const CRC64_EMPTY = '0';

/**
 * The package is emscripten code with a fixed 16 MiB heap into which each call copies its input: larger inputs
 * abort the process ("Cannot enlarge memory arrays"), so big buffers go in slices.
 */
const SLICE = 1024 * 1024;

/** CRC of `buf` continued from `prev` (the CRC of everything before it). */
export function crc64(buf: Buffer, prev: string = CRC64_EMPTY): string {
  let crc = prev;
  for (let off = 0; off < buf.length; off += SLICE) crc = crcLib.crc64(buf.subarray(off, off + SLICE), crc);
  return crc;
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
