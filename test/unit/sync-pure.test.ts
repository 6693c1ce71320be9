import fc from 'fast-check';
import crcReference from 'crc64-ecma182.js';
import { unsafePathReason, assertSafeRepoPath, encodeRevision } from '../../src/hf/paths.js';
import { selectFiles } from '../../src/hf/select.js';
import { crc64, crc64Combine } from '../../src/oss/crc64.js';
import {
  buildManifest,
  findEarlierCopy,
  manifestCovers,
  objectHolds,
  objectMeta,
  parseManifest
} from '../../src/hf/manifest.js';
import { FileProgress, formatBytes, formatRate } from '../../src/oss/progress.js';
import { formatDuration } from '../../src/util/format.js';
import { nextLink } from '../../src/hf/client.js';
import { parseRetryAfter } from '../../src/hf/errors.js';
import type { HubFile } from '../../src/hf/client.js';
import { PipelineError } from '../../src/errors.js';

describe('repo paths', () => {
  test.each([
    ['', /empty/],
    ['../x', /"\.\."/],
    ['a/../../b', /"\.\."/],
    ['/etc/passwd', /absolute/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['./a', /"\."/],
    ['C:/x', /drive/],
    ['a\nb', /control/]
  ])('%j is refused (%s)', (p, why) => {
    expect(unsafePathReason(p)).toMatch(why);
    expect(() => assertSafeRepoPath('org/m', p)).toThrow(PipelineError);
  });
  test.each(['config.json', 'a/b/c.safetensors', '.gitattributes', 'x..y', 'dir/..hidden', 'sp ace+plus.bin'])(
    '%j is fine',
    (p) => {
      expect(unsafePathReason(p)).toBeUndefined();
    }
  );
  test('revisions are one URL segment', () => expect(encodeRevision('refs/pr/1')).toBe('refs%2Fpr%2F1'));
});

const f = (path: string, lfs = false): HubFile => ({
  path,
  size: 10,
  gitOid: 'g'.repeat(40),
  ...(lfs ? { sha256: 'a'.repeat(64) } : {})
});
const paths = (fs: HubFile[]) => fs.map((x) => x.path).sort();

describe('file selection', () => {
  const repo = [
    'config.json',
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'pytorch_model-00001-of-00002.bin',
    'pytorch_model-00002-of-00002.bin',
    'pytorch_model.bin.index.json',
    'tf_model.h5',
    'flax_model.msgpack',
    'onnx/model.onnx',
    'README.md',
    '.gitattributes',
    'training_args.bin'
  ].map((p) => f(p));

  test('the default keeps configs, tokenizer and safetensors weights (not .bin when safetensors exist)', () => {
    expect(paths(selectFiles(repo).selected)).toEqual([
      'config.json',
      'generation_config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json'
    ]);
  });
  test('the default keeps .bin weights and their index when there are no safetensors', () => {
    const noSt = repo.filter((x) => !x.path.includes('safetensors'));
    expect(paths(selectFiles(noSt).selected)).toEqual([
      'config.json',
      'generation_config.json',
      'pytorch_model-00001-of-00002.bin',
      'pytorch_model-00002-of-00002.bin',
      'pytorch_model.bin.index.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json'
    ]);
  });
  test('explicit include and exclude replace the defaults; reasons are given for what is left', () => {
    const s = selectFiles(repo, ['*.bin', '*.json'], ['tokenizer*']);
    expect(paths(s.selected)).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors.index.json',
      'pytorch_model-00001-of-00002.bin',
      'pytorch_model-00002-of-00002.bin',
      'pytorch_model.bin.index.json',
      'special_tokens_map.json',
      'training_args.bin'
    ]);
    expect(s.left).toContainEqual({ path: 'tokenizer.json', why: 'excluded by tokenizer*' });
    expect(s.left).toContainEqual({ path: 'README.md', why: 'not included' });
  });
  test('patterns with a slash match from the repo root', () => {
    expect(paths(selectFiles([f('a/config.json'), f('config.json')], ['a/*.json']).selected)).toEqual([
      'a/config.json'
    ]);
  });
});

describe('CRC-64/ECMA-182', () => {
  test('check value', () => expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954'));
  test('incremental equals whole', () =>
    expect(crc64(Buffer.from('6789'), crc64(Buffer.from('12345')))).toBe('11051210869376104954'));
  test('equals crc64-ecma182.js (the independent reference) at any offset, length and starting value', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.nat(7),
        fc.uint8Array({ maxLength: 40 }),
        (bytes, skip, before) => {
          const buf = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
          const prev = crcReference.crc64(Buffer.from(before));
          expect(crc64(buf, prev)).toBe(crcReference.crc64(Buffer.from(buf), prev));
        }
      ),
      { numRuns: 200 }
    );
  });
  test('combine(crc(a), crc(b), |b|) = crc(a‖b)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const A = Buffer.from(a);
        const B = Buffer.from(b);
        expect(crc64Combine(crc64(A), crc64(B), B.length)).toBe(crc64(Buffer.concat([A, B])));
      }),
      { numRuns: 60 }
    );
  });
});

describe('manifest and object metadata', () => {
  const files = [
    { file: f('config.json'), sha256: 'c'.repeat(64) },
    { file: f('model.safetensors', true), sha256: 'a'.repeat(64) }
  ];
  const m = buildManifest('org/m', 'main', 'd'.repeat(40), files, new Date(0));
  test('round trip; broken text is no manifest', () => {
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
    expect(m.files.map((x) => x.lfs)).toEqual([false, true]);
    expect(parseManifest('{')).toBeUndefined();
    expect(parseManifest(JSON.stringify({ ...m, files: [{ path: 'x' }] }))).toBeUndefined();
    expect(parseManifest(undefined)).toBeUndefined();
  });
  test('covers: same commit, every selected file with the same content', () => {
    expect(manifestCovers(m, 'd'.repeat(40), [f('config.json'), f('model.safetensors', true)])).toBe(true);
    expect(manifestCovers(m, 'e'.repeat(40), [f('config.json')])).toBe(false);
    expect(manifestCovers(m, 'd'.repeat(40), [f('other.json')])).toBe(false);
    expect(manifestCovers(m, 'd'.repeat(40), [{ ...f('model.safetensors', true), sha256: 'b'.repeat(64) }])).toBe(
      false
    );
  });
  test('an object holds a file when size and recorded hash agree', () => {
    const lfs = f('model.safetensors', true);
    const meta = objectMeta(lfs, lfs.sha256!, 'd'.repeat(40));
    expect(meta).toEqual({
      sha256: 'a'.repeat(64),
      'hf-commit': 'd'.repeat(40),
      size: '10',
      'git-oid': 'g'.repeat(40)
    });
    expect(objectHolds({ size: 10, meta }, lfs)).toBe(true);
    expect(objectHolds({ size: 11, meta }, lfs)).toBe(false);
    expect(objectHolds({ size: 10, meta: { ...meta, sha256: 'b'.repeat(64) } }, lfs)).toBe(false);
    expect(objectHolds(undefined, lfs)).toBe(false);
    expect(objectHolds({ size: 10, meta: { 'git-oid': 'g'.repeat(40) } }, f('config.json'))).toBe(true);
  });
  test('an earlier commit holding the same content is a copy source', () => {
    expect(findEarlierCopy([{ prefix: 'p/old/', manifest: m }], f('model.safetensors', true))).toEqual({
      key: 'p/old/model.safetensors',
      sha256: 'a'.repeat(64)
    });
    expect(
      findEarlierCopy([{ prefix: 'p/old/', manifest: m }], { ...f('x.bin', true), sha256: 'f'.repeat(64) })
    ).toBeUndefined();
  });
});

describe('progress', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
    [300 * 1024 ** 2, '300 MiB']
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));
  test.each([
    [850, '850 ms'],
    [1500, '1.5 s'],
    [42_000, '42 s'],
    [125_000, '2 min 05 s'],
    [3_725_000, '1 h 02 min']
  ])('formatDuration(%d) = %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
  test('formatRate in MB/s', () => expect(formatRate(50e6, 2000)).toBe('25.0 MB/s'));

  test('at most one line per interval, with bytes, %, MB/s and ETA; none at the end', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new FileProgress(
      'w.bin',
      100e6,
      (l) => lines.push(l),
      () => t,
      5000
    );
    for (let i = 1; i <= 100; i++) {
      t += 200; // 1 MB every 200 ms = 5 MB/s
      p.update(i * 1e6);
    }
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('  w.bin: 23.8 MiB / 95.4 MiB (25%), 5.0 MB/s, ETA 15 s');
  });
});

describe('hub protocol details', () => {
  test.each([
    ['<http://base/api/models/x/tree/main?cursor=2>; rel="next"', 'http://base/api/models/x/tree/main?cursor=2'],
    ['</api/models/x/tree/main?cursor=3>; rel="next"', 'http://base/api/models/x/tree/main?cursor=3'],
    ['<http://base/a>; rel="prev", <http://base/b>; rel="next"', 'http://base/b'],
    ['<http://base/a>; rel="last"', undefined],
    [undefined, undefined],
    // hf-mirror passes huggingface.co's Link through: the cursor goes to the configured endpoint instead
    [
      '<https://huggingface.co/api/models/x/tree/main?recursive=true&cursor=4>; rel="next"',
      'http://base/api/models/x/tree/main?recursive=true&cursor=4'
    ]
  ])('Link %j → %j', (link, next) =>
    expect(nextLink(link, 'http://base/api/models/x/tree/main', 'http://base')).toBe(next)
  );
  test('a mirror under a path prefix keeps its prefix; a link off the API is refused', () => {
    const link = '<https://huggingface.co/api/models/x/tree/main?cursor=5>; rel="next"';
    expect(nextLink(link, 'https://m.example/hf/api/models/x/tree/main', 'https://m.example/hf')).toBe(
      'https://m.example/hf/api/models/x/tree/main?cursor=5'
    );
    expect(() =>
      nextLink('<https://elsewhere.example/x?cursor=1>; rel="next"', 'http://base/api/', 'http://base')
    ).toThrow(/not a hub API path/);
  });
  test('Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(30_000).toUTCString(), 10_000)).toBe(20_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

test('CRC of a buffer larger than 16 MiB (where crc64-ecma182.js aborts) equals the reference over slices', () => {
  const big = Buffer.alloc(40 * 1024 * 1024, 7);
  let ref = '0';
  for (let off = 0; off < big.length; off += 1024 * 1024)
    ref = crcReference.crc64(big.subarray(off, off + 1024 * 1024), ref);
  expect(crc64(big)).toBe(ref);
});
