/**
 * CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (the reflected "XZ" variant: poly 0xC96C5795D7870F42
 * reflected, init and xorout all ones; check value of "123456789" is 11051210869376104954).
 *
 * The running state is kept as two uint32 halves so the hot loop never touches BigInt (slicing-by-8 tables);
 * `crc64Combine` joins the CRCs of consecutive pieces (multipart complete) without rereading them.
 */

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

const TLO: Uint32Array[] = [];
const THI: Uint32Array[] = [];
{
  // Reflected poly for the table is the bit reversal of 0x42F0E1EBA9EA3693 = 0xC96C5795D7870F42.
  const lo0 = new Uint32Array(256);
  const hi0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    lo0[n] = lo;
    hi0[n] = hi;
  }
  TLO.push(lo0);
  THI.push(hi0);
  for (let t = 1; t < 8; t++) {
    const plo = TLO[t - 1];
    const phi = THI[t - 1];
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const idx = plo[n] & 0xff;
      lo[n] = (((plo[n] >>> 8) | (phi[n] << 24)) ^ lo0[idx]) >>> 0;
      hi[n] = ((phi[n] >>> 8) ^ hi0[idx]) >>> 0;
    }
    TLO.push(lo);
    THI.push(hi);
  }
}

/** Words are read straight from the buffer on little-endian hosts (all Node targets in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Incremental CRC-64/ECMA-182. */
export class Crc64 {
  // State is the pre-xorout register (init all ones).
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(buf: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    const n = buf.length;
    const t0l = TLO[0];
    const t0h = THI[0];
    let i = 0;
    if (LITTLE_ENDIAN) {
      for (; i < n && ((buf.byteOffset + i) & 3) !== 0; i++) {
        const idx = (lo ^ buf[i]) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ t0l[idx]) >>> 0;
        hi = ((hi >>> 8) ^ t0h[idx]) >>> 0;
      }
      const words = ((n - i) >>> 3) << 1;
      if (words > 0) {
        const w = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
        const [, t1l, t2l, t3l, t4l, t5l, t6l, t7l] = TLO;
        const [, t1h, t2h, t3h, t4h, t5h, t6h, t7h] = THI;
        for (let j = 0; j < words; j += 2) {
          const a = (lo ^ w[j]) >>> 0;
          const b = (hi ^ w[j + 1]) >>> 0;
          lo =
            (t7l[a & 0xff] ^
              t6l[(a >>> 8) & 0xff] ^
              t5l[(a >>> 16) & 0xff] ^
              t4l[a >>> 24] ^
              t3l[b & 0xff] ^
              t2l[(b >>> 8) & 0xff] ^
              t1l[(b >>> 16) & 0xff] ^
              t0l[b >>> 24]) >>>
            0;
          hi =
            (t7h[a & 0xff] ^
              t6h[(a >>> 8) & 0xff] ^
              t5h[(a >>> 16) & 0xff] ^
              t4h[a >>> 24] ^
              t3h[b & 0xff] ^
              t2h[(b >>> 8) & 0xff] ^
              t1h[(b >>> 16) & 0xff] ^
              t0h[b >>> 24]) >>>
            0;
        }
        i += words * 4;
      }
    }
    for (; i < n; i++) {
      const idx = (lo ^ buf[i]) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ t0l[idx]) >>> 0;
      hi = ((hi >>> 8) ^ t0h[idx]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The CRC as OSS prints it: an unsigned decimal string. */
  digest(): string {
    return this.value().toString();
  }

  value(): bigint {
    return (BigInt((this.hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((this.lo ^ 0xffffffff) >>> 0);
  }
}

export function crc64(buf: Uint8Array): string {
  return new Crc64().update(buf).digest();
}

// --- combination (zlib's crc32_combine method, widened to 64 bits) ---

const MASK = (1n << 64n) - 1n;
const RPOLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a(x)·b(x) mod p(x), reflected representation. */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ RPOLY : b >> 1n;
  }
  return p & MASK;
}

/** X2N[k] = x^(2^k) mod p. */
const X2N: bigint[] = [];
{
  let p = 1n << 62n; // x^1
  X2N.push(p);
  for (let k = 1; k < 64; k++) X2N.push((p = multModP(p, p)));
}

/** x^(n·2^k) mod p. */
function x2nModP(n: bigint, k: number): bigint {
  let p = TOP; // x^0
  while (n > 0n) {
    if (n & 1n) p = multModP(X2N[k & 63], p);
    n >>= 1n;
    k++;
  }
  return p;
}

/** CRC of A‖B from crc(A), crc(B) and the length of B in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lenB: number | bigint): bigint {
  const len = BigInt(lenB);
  if (len === 0n) return crcA;
  return multModP(x2nModP(len, 3), crcA) ^ crcB;
}
