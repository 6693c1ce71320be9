import { describe, expect, it } from '@jest/globals';
import { markerProblem, type ConvertMarker } from '../../src/stages/convert.js';
import { retireOldVersions } from '../../src/stages/smoke.js';
import { LINEAGE_LABEL } from '../../src/stages/lineage.js';
import { deleteServingVersion, deleteTrainingJob } from '../../src/arena/cleanup.js';
import type { ArenaRunner } from '../../src/arena/exec.js';
import type { ClusterDeps } from '../../src/k8s/cluster.js';
import type { KObj, KubeApi } from '../../src/k8s/types.js';
import { testConfig, testContext } from '../helpers/config.js';

const cfg = testConfig();
const marker = (over: Partial<ConvertMarker> = {}): ConvertMarker => ({
  version: 'v1',
  jobName: 'j',
  parameters: { tensorParallel: 1, dataType: 'fp16', processes: 1, image: 'i', input: 'x/' },
  durationSeconds: 3,
  fileCount: 2,
  files: [
    { key: 'a/1-gpu/config.ini', size: 10 },
    { key: 'a/1-gpu/model.wte.bin', size: 20 }
  ],
  finishedAt: '2026-01-01T00:00:00Z',
  ...over
});
const listing = [
  { key: 'a/1-gpu/config.ini', size: 10 },
  { key: 'a/1-gpu/model.wte.bin', size: 20 }
];

describe('convert marker', () => {
  it.each([
    ['valid', marker(), listing, undefined],
    ['absent', undefined, listing, 'no marker'],
    ['other tp', marker({ parameters: { ...marker().parameters, tensorParallel: 2 } }), listing, 'tp 2'],
    [
      'file gone',
      marker(),
      listing.slice(0, 1),
      '1 converted file(s) are missing or changed, e.g. a/1-gpu/model.wte.bin'
    ],
    ['file changed', marker(), [listing[0], { ...listing[1], size: 21 }], 'missing or changed'],
    ['empty list', marker({ files: [] }), listing, 'lists no files']
  ] as [string, ConvertMarker | undefined, typeof listing, string | undefined][])('%s', (_n, m, l, problem) => {
    const why = markerProblem(cfg, m, l);
    if (problem === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(problem);
  });
});

function recordingArena(answers: Record<string, { exitCode: number; stderr?: string }> = {}) {
  const calls: string[][] = [];
  const run: ArenaRunner = async (args) => {
    calls.push([...args]);
    const a = answers[args[0] === 'serve' ? args[3].replace('--version=', '') : args[1]] ?? { exitCode: 0 };
    return { exitCode: a.exitCode, stdout: '', stderr: a.stderr ?? '' };
  };
  return { run, calls };
}

describe('cluster cleanup through arena', () => {
  it('treats a serving version or job that is already gone as deleted', async () => {
    const { run } = recordingArena({
      v9: { exitCode: 1, stderr: 'Not found serving job bloom with version v9' },
      j9: { exitCode: 1, stderr: 'ERRO[0000] Failed to find the job j9' }
    });
    expect(await deleteServingVersion(run, {}, 'ns', 'bloom', 'v9')).toBe(false);
    expect(await deleteTrainingJob(run, {}, 'ns', 'j9')).toBe(false);
    expect(await deleteServingVersion(run, {}, 'ns', 'bloom', 'v1')).toBe(true);
  });
  it('throws on another arena failure', async () => {
    const { run } = recordingArena({ v2: { exitCode: 1, stderr: 'forbidden' } });
    await expect(deleteServingVersion(run, {}, 'ns', 'bloom', 'v2')).rejects.toMatchObject({ code: 'ARENA_FAILED' });
  });
});

describe('retention', () => {
  const dep = (version: string, created: string, name = 'bloom-560m', lineage = 'release'): KObj => ({
    metadata: {
      name: `${name}-${version}`,
      creationTimestamp: created,
      labels: { servingName: name, servingVersion: version, [LINEAGE_LABEL]: lineage }
    }
  });
  it.each([
    [2, ['v0'], []],
    [2, ['v0', 'old'], ['old']],
    [3, ['v0', 'old', 'older'], ['older']],
    [1, ['v0', 'old'], ['v0', 'old']]
  ])('keep %p of current + %p deletes %p', async (keep, others, deleted) => {
    const items = [
      dep('v1', '2026-01-05T00:00:00Z'),
      ...others.map((v, i) => dep(v, `2026-01-0${4 - i}T00:00:00Z`)),
      dep('zz', '2026-01-01T00:00:00Z', 'other-model'),
      // another lineage (a pull request's previews) of the same serving name is never retired by a release
      dep('p1', '2025-12-01T00:00:00Z', 'bloom-560m', 'pr-42')
    ];
    const api = { list: async () => ({ items, resourceVersion: '1' }) } as unknown as KubeApi;
    const { run, calls } = recordingArena();
    const { ctx } = testContext({ ...cfg, keepVersions: keep });
    const retired = await retireOldVersions(api, { arena: run } as unknown as ClusterDeps, ctx);
    expect(retired).toEqual(deleted);
    expect(calls.map((c) => c[3])).toEqual(deleted.map((v) => `--version=${v}`));
  });
});
