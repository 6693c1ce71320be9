import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findArenaRoot } from '../../src/tools/arena.js';
import { HttpStatusError, isRetryable } from '../../src/tools/download.js';
import { expandTemplate, parseChecksumFile, toolArch } from '../../src/tools/install.js';
import { kubectlSource } from '../../src/tools/kubectl.js';
import { arenaSource } from '../../src/tools/arena.js';
import { PipelineError } from '../../src/errors.js';
import { arenaVersionOf } from '../../src/tools/verify.js';
import { ARENA_HOME_VAR, arenaChildEnv } from '../../src/arena/env.js';
import { chartsAction, isToolCacheCharts, type ChartsState } from '../../src/tools/arena-layout.js';

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
      binDir: 'bin',
      sha256: 'ab'.repeat(32),
      shaInput: 'arena-sha256',
      addToPath: false
    });
    // Arena's releases publish no checksum file: none is fetched; dl.k8s.io publishes one for kubectl
    expect(a.checksumUrl).toBeUndefined();
    expect(k.checksumUrl).toBe('https://dl.k8s.io/release/v1.34.5/bin/linux/amd64/kubectl.sha256');
  });

  it('uses a shipped digest for its version and arch only', () => {
    const spec = { version: '0.15.2', urlTemplate: 'https://m/arena-installer-{version}-linux-{arch}.tar.gz' };
    const table = { '0.15.2': { amd64: 'cd'.repeat(32) } };
    expect(arenaSource(spec, 'amd64', table).shippedSha256).toBe('cd'.repeat(32));
    expect(arenaSource(spec, 'arm64', table).shippedSha256).toBeUndefined();
    expect(arenaSource({ ...spec, version: '0.15.1' }, 'amd64', table).shippedSha256).toBeUndefined();
    expect(arenaSource(spec, 'amd64').shippedSha256).toBeUndefined();
  });

  it.each([
    ['arena: v0.15.2+6853599\n  BuildDate: x\n', '0.15.2'],
    ['arena: v0.15.2\n', '0.15.2'],
    ['arena: v0.15.2+6853599.dirty\n', '0.15.2'],
    ['arena: v0.16.0-rc1+abc\n', '0.16.0-rc1'],
    ['Version: v0.15.2\n', undefined],
    ['', undefined]
  ])('reads the version from `arena version` output %j', (out, want) => expect(arenaVersionOf(out)).toBe(want));

  it('finds bin/arena at the top or one folder down', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'arena-root-'));
    expect(await findArenaRoot(dir)).toBeUndefined();
    await mkdir(path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'arena-installer-0.15.2-linux-amd64', 'bin', 'arena'), '');
    expect(await findArenaRoot(dir)).toBe(path.join(dir, 'arena-installer-0.15.2-linux-amd64'));
    await rm(dir, { recursive: true });
  });
});

describe('tools: ~/charts decisions', () => {
  const charts = '/cache/arena/0.15.2/amd64/charts';
  it.each<[string, ChartsState, string]>([
    ['absent', { kind: 'absent' }, 'create'],
    ['our link', { kind: 'link', target: charts, dangling: false }, 'keep'],
    ['a dangling link', { kind: 'link', target: '/gone/charts', dangling: true }, 'replace'],
    ['an older tool-cache copy', { kind: 'link', target: '/tc/arena/0.15.1/amd64/charts', dangling: false }, 'replace'],
    ["a user's link", { kind: 'link', target: '/home/me/my-charts', dangling: false }, 'leave'],
    ["a user's folder", { kind: 'other' }, 'leave']
  ])('%s → %s', (_what, state, want) => expect(chartsAction(state, charts).do).toBe(want));

  it('recognises tool-cache chart copies by their layout only', () => {
    expect(isToolCacheCharts('/opt/hostedtoolcache/arena/0.15.2/amd64/charts')).toBe(true);
    expect(isToolCacheCharts('/home/me/arena/charts')).toBe(false);
    expect(isToolCacheCharts('/home/me/charts')).toBe(false);
  });

  it("gives arena processes the run's HOME and an explicit KUBECONFIG", () => {
    expect(arenaChildEnv({ HOME: '/home/me', PATH: '/bin' })).toEqual({ HOME: '/home/me', PATH: '/bin' });
    expect(arenaChildEnv({ HOME: '/home/me', [ARENA_HOME_VAR]: '/t/home' })).toMatchObject({
      HOME: '/t/home',
      KUBECONFIG: '/home/me/.kube/config'
    });
    expect(arenaChildEnv({ HOME: '/home/me', KUBECONFIG: '/k', [ARENA_HOME_VAR]: '/t/home' })).toMatchObject({
      HOME: '/t/home',
      KUBECONFIG: '/k'
    });
  });
});
