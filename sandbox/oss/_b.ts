import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Crc64, crc64 } from './crc64.ts';
const ref = createRequire(import.meta.url)('crc64-ecma182.js');
const big = randomBytes(64 << 20);
for (let k = 0; k < 3; k++) { const t = Date.now(); new Crc64().update(big); console.log('MB/s', 64 / ((Date.now() - t) / 1000)); }
for (const n of [0, 1, 7, 8, 9, 1000, 65537]) { const b = randomBytes(n); if (crc64(b) !== ref.crc64(b)) console.log('MISMATCH', n); }
console.log(crc64(Buffer.from('123456789')));
