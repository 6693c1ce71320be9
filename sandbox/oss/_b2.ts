import { randomBytes } from 'node:crypto';
const T: Uint32Array[] = []; const H: Uint32Array[] = [];
{ const l0 = new Uint32Array(256), h0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let lo = n, hi = 0; for (let k = 0; k < 8; k++) { const bit = lo & 1; lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0; hi = hi >>> 1; if (bit) { lo = (lo ^ 0xd7870f42) >>> 0; hi = (hi ^ 0xc96c5795) >>> 0; } } l0[n] = lo; h0[n] = hi; }
  T.push(l0); H.push(h0);
  for (let t = 1; t < 8; t++) { const pl = T[t-1], ph = H[t-1], l = new Uint32Array(256), h = new Uint32Array(256);
    for (let n = 0; n < 256; n++) { const i = pl[n] & 0xff; l[n] = (((pl[n] >>> 8) | (ph[n] << 24)) ^ l0[i]) >>> 0; h[n] = ((ph[n] >>> 8) ^ h0[i]) >>> 0; } T.push(l); H.push(h); } }
function upd(buf: Uint8Array) { let lo = 0xffffffff, hi = 0xffffffff; const n = buf.length;
  const [t0l, t1l, t2l, t3l, t4l, t5l, t6l, t7l] = T; const [t0h, t1h, t2h, t3h, t4h, t5h, t6h, t7h] = H; let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = (lo ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))) >>> 0;
    const b = (hi ^ (buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24))) >>> 0;
    lo = (t7l[a & 0xff] ^ t6l[(a >>> 8) & 0xff] ^ t5l[(a >>> 16) & 0xff] ^ t4l[a >>> 24] ^ t3l[b & 0xff] ^ t2l[(b >>> 8) & 0xff] ^ t1l[(b >>> 16) & 0xff] ^ t0l[b >>> 24]) >>> 0;
    hi = (t7h[a & 0xff] ^ t6h[(a >>> 8) & 0xff] ^ t5h[(a >>> 16) & 0xff] ^ t4h[a >>> 24] ^ t3h[b & 0xff] ^ t2h[(b >>> 8) & 0xff] ^ t1h[(b >>> 16) & 0xff] ^ t0h[b >>> 24]) >>> 0; }
  return lo ^ hi; }
const big = randomBytes(64 << 20);
for (let k = 0; k < 3; k++) { const t = Date.now(); upd(big); console.log('old MB/s', 64 / ((Date.now() - t) / 1000)); }
function upd2(buf: Uint8Array) { let lo = 0xffffffff, hi = 0xffffffff; const n = buf.length;
  const [t0l, t1l, t2l, t3l, t4l, t5l, t6l, t7l] = T; const [t0h, t1h, t2h, t3h, t4h, t5h, t6h, t7h] = H;
  const w = new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2); const words = (n >>> 3) << 1;
  for (let j = 0; j < words; j += 2) {
    const a = (lo ^ w[j]) >>> 0;
    const b = (hi ^ w[j + 1]) >>> 0;
    lo = (t7l[a & 0xff] ^ t6l[(a >>> 8) & 0xff] ^ t5l[(a >>> 16) & 0xff] ^ t4l[a >>> 24] ^ t3l[b & 0xff] ^ t2l[(b >>> 8) & 0xff] ^ t1l[(b >>> 16) & 0xff] ^ t0l[b >>> 24]) >>> 0;
    hi = (t7h[a & 0xff] ^ t6h[(a >>> 8) & 0xff] ^ t5h[(a >>> 16) & 0xff] ^ t4h[a >>> 24] ^ t3h[b & 0xff] ^ t2h[(b >>> 8) & 0xff] ^ t1h[(b >>> 16) & 0xff] ^ t0h[b >>> 24]) >>> 0; }
  return lo ^ hi; }
for (let k = 0; k < 3; k++) { const t = Date.now(); upd2(big); console.log('word MB/s', 64 / ((Date.now() - t) / 1000)); }
console.log(upd(big) === upd2(big));
