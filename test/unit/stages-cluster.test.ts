import { describe, expect, it } from '@jest/globals';
import { markerProblem, type ConvertMarker } from '../../src/stages/convert.js';
import { retireOldVersions } from '../../src/stages/smoke.js';
import { LINEAGE_LABEL } from '../../src/stages/lineage.js';
import { deleteServingVersion, deleteTrainingJob } from '../../src/arena/cleanup.js';
import type { ArenaRunner } from '../../src/arena/exec.js';
import type { ClusterDeps } from '../../src/stages/deps.js';
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
  it('reads what arena answered, never a failure to run as "not found"', async () => {
    const { run } = recordingArena({
      v9: {
        exitCode: 0,
        stderr: `time="x" level=info msg="The serving job 'bloom' does not exist,skip to delete it."`
      },
      j9: { exitCode: 0, stderr: `time="x" level=info msg="The training job 'j9' does not exist,skip to delete it"` },
      v2: {
        exitCode: 1,
        stderr: 'time="x" level=error msg="exec: \\"arena-kubectl\\": executable file not found in $PATH"'
      },
      j2: { exitCode: 1, stderr: 'Error from server (NotFound): configmaps "j2-pytorchjob" not found' }
    });
    expect(await deleteServingVersion(run, {}, 'ns', 'bloom', 'v9')).toEqual({
      kind: 'absent',
      message: "The serving job 'bloom' does not exist,skip to delete it."
    });
    expect(await deleteTrainingJob(run, {}, 'ns', 'j9')).toMatchObject({ kind: 'absent' });
    expect(await deleteServingVersion(run, {}, 'ns', 'bloom', 'v1')).toEqual({ kind: 'ran' });
    expect(await deleteServingVersion(run, {}, 'ns', 'bloom', 'v2')).toMatchObject({
      kind: 'failed',
      message: expect.stringMatching(/executable file not found/)
    });
    expect(await deleteTrainingJob(run, {}, 'ns', 'j2')).toMatchObject({ kind: 'failed' });
    const missing: ArenaRunner = async () => {
      throw new Error('spawn arena ENOENT');
    };
    expect(await deleteTrainingJob(missing, {}, 'ns', 'j1')).toEqual({ kind: 'failed', message: 'spawn arena ENOENT' });
  });
});

/** An API with nothing but `items` to list: every object to delete is already gone. */
function memoryApi(items: KObj[]): KubeApi {
  return {
    list: async () => ({ items, resourceVersion: '1' }),
    get: async () => undefined,
    delete: async () => false
  } as unknown as KubeApi;
}

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
    const api = memoryApi(items);
    const { run, calls } = recordingArena();
    const { ctx } = testContext({ ...cfg, keepVersions: keep });
    const retired = await retireOldVersions(api, { arena: run } as unknown as ClusterDeps, ctx);
    expect(retired).toEqual(deleted);
    expect(calls.map((c) => c[3])).toEqual(deleted.map((v) => `--version=${v}`));
  });
});
