import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findArenaRoot } from '../../src/tools/arena.js';
import { HttpStatusError, isRetryable } from '../../src/tools/download.js';
import { expandTemplate, parseChecksumFile, toolArch } from '../../src/tools/install.js';
import { kubectlSource } from '../../src/tools/kubectl.js';
import { arenaSource } from '../../src/tools/arena.js';
import { PipelineError } from '../../src/errors.js';

describe('tools: pure helpers', () => {
  it.each([
    ['X64', 'amd64'],
    ['x64', 'amd64'],
    ['ARM64', 'arm64'],
    [undefined, 'amd64']
  ])('maps runner arch %s to %s', (runner, want) => expect(toolArch(runner, 'x64')).toBe(want));

  it('refuses other architectures', () => {
    expect(() => toolArch('ARM', 'arm')).toThrow(PipelineError);
  });

  it('expands templates', () => {
    expect(expandTemplate('https://m/v{version}/{arch}/{arch}', '1.2.3', 'arm64')).toBe('https://m/v1.2.3/arm64/arm64');
  });

  it.each([
    ['a'.repeat(64), 'a'.repeat(64)],
    [`${'B'.repeat(64)}  kubectl\n`, 'b'.repeat(64)],
    ['not a checksum', undefined],
    ['a'.repeat(63), undefined]
  ])('parses checksum file %j', (text, want) => expect(parseChecksumFile(text)).toBe(want));

  it.each([
    [new HttpStatusError(404, 'u'), false],
    [new HttpStatusError(403, 'u'), false],
    [new HttpStatusError(429, 'u'), true],
    [new HttpStatusError(503, 'u'), true],
    [new TypeError('fetch failed'), true]
  ])('retries %s: %s', (e, want) => expect(isRetryable(e)).toBe(want));

  it('treats the official URLs as official and anything else as a mirror', () => {
    const k = kubectlSource(
      { version: '1.34.5', urlTemplate: 'https://dl.k8s.io/release/v{version}/bin/linux/{arch}/kubectl' },
      'amd64'
    );
    expect(k).toMatchObject({ mirror: false, url: 'https://dl.k8s.io/release/v1.34.5/bin/linux/amd64/kubectl' });
    const a = arenaSource(
      {
        version: '0.15.2',
        urlTemplate: 'https://mirror/arena-installer-{version}-linux-{arch}.tar.gz',
        sha256: 'ab'.repeat(32)
      },
      'arm64'
    );
    expect(a).toMatchObject({
      mirror: true,
      url: 'https://mirror/arena-installer-0.15.2-linux-arm64.tar.gz',
      binDir: 'bin'
    });
  });

  it('finds bin/arena at the top or one folder down', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'arena-root-'));
    expect(await findArenaRoot(dir)).toBeUndefined();
    await mkdir(path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'bin', 'arena'), '');
    expect(await findArenaRoot(dir)).toBe(path.join(dir, 'arena-installer-0.15.2-linux-amd64'));
    await rm(dir, { recursive: true });
  });
});
