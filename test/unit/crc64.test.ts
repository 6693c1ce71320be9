/**
 * Both CRC-64 engines (hash-wasm's WebAssembly, and the portable loop used until it is ready or where WebAssembly
 * is unavailable) against crc64-ecma182.js, the independent reference.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import crcReference from 'crc64-ecma182.js';
import { crc64, crc64Engine, crc64Portable, crc64Ready } from '../../src/oss/crc64.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

beforeAll(() => crc64Ready);

const engines = [
  ['wasm (crc64 once ready)', crc64],
  ['portable', crc64Portable]
] as const;

test('the WebAssembly engine is in use once ready', () => expect(crc64Engine()).toBe('wasm'));

describe.each(engines)('%s', (_name, crc) => {
  test('check value, empty input, and continuing from a prefix', () => {
    expect(crc(Buffer.from('123456789'))).toBe('11051210869376104954');
    expect(crc(Buffer.alloc(0))).toBe('0');
    expect(crc(Buffer.alloc(0), '12345')).toBe('12345');
    expect(crc(Buffer.from('6789'), crc(Buffer.from('12345')))).toBe('11051210869376104954');
  });

  test('equals the reference at any offset, length and starting value', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat(7),
        fc.uint8Array({ maxLength: 40 }),
        (bytes, skip, before) => {
          const buf = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
          const prev = crcReference.crc64(Buffer.from(before));
          expect(crc(buf, prev)).toBe(crcReference.crc64(Buffer.from(buf), prev));
        }
      ),
      { numRuns: 200 }
    );
  });

  test('a part-sized buffer (8 MiB + 3, unaligned view) equals the reference over slices', () => {
    const whole = Buffer.allocUnsafe(8 * 1024 * 1024 + 8);
    for (let i = 0; i < whole.length; i++) whole[i] = (i * 2654435761) >>> 24;
    const buf = whole.subarray(5);
    let ref = '0';
    for (let off = 0; off < buf.length; off += 1024 * 1024)
      ref = crcReference.crc64(buf.subarray(off, off + 1024 * 1024), ref);
    expect(crc(buf)).toBe(ref);
  });
});

test('the two engines interleaved on one hasher give each call its own value (no state carried over)', () => {
  const a = Buffer.from('first buffer');
  const b = Buffer.from('second');
  expect([crc64(a), crc64(b), crc64(a)]).toEqual([crc64Portable(a), crc64Portable(b), crc64Portable(a)]);
});

test('without WebAssembly (node --jitless) crc64 falls back to the portable loop with the same values', async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'crc64-jitless-'));
  try {
    const script = `
      const m = await import(${JSON.stringify(path.join(root, 'src/oss/crc64.ts'))});
      await m.crc64Ready;
      console.log(JSON.stringify([typeof WebAssembly, m.crc64Engine(), m.crc64(Buffer.from('123456789'))]));`;
    const { stdout } = await run(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '', TMPDIR: tmp, HOME: tmp }, timeout: 60_000 }
    );
    expect(JSON.parse(stdout.trim())).toEqual(['undefined', 'portable', '11051210869376104954']);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
