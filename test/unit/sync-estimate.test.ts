/**
 * The sync estimate and `sync-mode: auto`'s choice (issue 17 points 1 and 6): pure, so property- and
 * table-tested; the README's estimate table is the estimator's output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  CLUSTER_SIDE,
  POD_START_SECONDS,
  RUNNER_SIDES,
  estimateSync,
  machineSeconds,
  slotRate,
  type EstimateInput
} from '../../src/stages/sync-estimate.js';
import {
  CLEAR_SAVING_SECONDS,
  CLEAR_SPEEDUP,
  TABLE_MODELS,
  decideSyncMode,
  estimateTable,
  runnerAfterClusterFailure,
  runnerPlace,
  tableInputs,
  type ModeInputs
} from '../../src/stages/sync-mode.js';
import { withTable } from '../../scripts/estimate-table.js';
import { formatDuration } from '../../src/util/format.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;

const filesArb = (maxSize: number) =>
  fc.uniqueArray(fc.record({ path: fc.string({ minLength: 1, maxLength: 8 }), size: fc.nat({ max: maxSize }) }), {
    minLength: 1,
    maxLength: 40,
    selector: (f) => f.path
  });
const placeArb = fc.constantFrom('overseas', 'china', 'in-region' as const);
const inputsArb: fc.Arbitrary<ModeInputs> = fc.record({
  mode: fc.constant('auto' as const),
  runnerLocation: placeArb,
  region: fc.constantFrom('oss-cn-beijing', 'oss-cn-hangzhou', 'oss-us-west-1', 'oss-cn-hongkong'),
  hubEndpoint: fc.constantFrom('https://huggingface.co', 'https://hf-mirror.com', 'http://127.0.0.1:8080'),
  hubClusterEndpoint: fc.constantFrom('https://hf-mirror.com', 'http://10.0.0.5:8080', 'https://huggingface.co'),
  partSizeBytes: fc.integer({ min: 1, max: 64 }).map((n) => n * MiB),
  partsInFlight: fc.integer({ min: 1, max: 32 }),
  filesInParallel: fc.integer({ min: 1, max: 16 }),
  shards: fc.integer({ min: 1, max: 64 }),
  parallelism: fc.integer({ min: 1, max: 64 }),
  kubeconfig: fc.boolean()
});

function input(m: ModeInputs, files: EstimateInput['files']): EstimateInput {
  const runner = RUNNER_SIDES[runnerPlace(m).place];
  return {
    ...m,
    files,
    runner,
    cluster: { ...CLUSTER_SIDE, runnerOss: runner.oss },
    podStartSeconds: POD_START_SECONDS
  };
}

describe('the estimator', () => {
  test('a slot streaming each part into its upload moves at the slower of its two connections', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (down, up) => {
        const link = (c: number) => ({ perConnection: c, aggregate: Infinity, rttSeconds: 0 });
        expect(slotRate(link(down), link(up))).toBe(Math.min(down, up));
      })
    );
  });

  test('more bytes never take less time, in either mode', () => {
    fc.assert(
      fc.property(
        inputsArb,
        filesArb(20e9),
        fc.nat({ max: 39 }),
        fc.integer({ min: 1, max: 5e9 }),
        (m, files, i, more) => {
          const bigger = files.map((f, j) => (j === i % files.length ? { ...f, size: f.size + more } : f));
          const a = estimateSync(input(m, files));
          const b = estimateSync(input(m, bigger));
          expect(b.runnerSeconds).toBeGreaterThanOrEqual(a.runnerSeconds);
          // on one shard (more shards may be cut differently): the same files on one pod
          const one = { ...m, shards: 1 };
          expect(estimateSync(input(one, bigger)).clusterSeconds).toBeGreaterThanOrEqual(
            estimateSync(input(one, files)).clusterSeconds
          );
        }
      )
    );
  });

  test('no machine beats its card or its slots; the cluster pays a pod start and carries the largest file on one pod', () => {
    fc.assert(
      fc.property(inputsArb, filesArb(20e9), (m, files) => {
        const bytes = files.reduce((s, f) => s + f.size, 0);
        const e = input(m, files);
        const est = estimateSync(e);
        expect(est.runnerSeconds).toBeGreaterThanOrEqual(bytes / e.runner.nic);
        expect(est.runnerSeconds).toBeGreaterThanOrEqual(
          bytes / (m.partsInFlight * slotRate(e.runner.hub, e.runner.oss))
        );
        const largest = Math.max(...files.map((f) => f.size));
        const perPod = Math.min(CLUSTER_SIDE.nic, m.partsInFlight * slotRate(e.cluster.hub, e.cluster.oss));
        expect(est.clusterSeconds).toBeGreaterThanOrEqual(POD_START_SECONDS + largest / perPod);
      })
    );
  });

  test('more parts in flight never slow one machine down', () => {
    fc.assert(
      fc.property(inputsArb, filesArb(5e9), fc.integer({ min: 1, max: 8 }), (m, files, extra) => {
        const side = RUNNER_SIDES[runnerPlace(m).place];
        const run = { files, partSizeBytes: m.partSizeBytes, filesInParallel: m.filesInParallel, side, share: 1 };
        expect(machineSeconds({ ...run, partsInFlight: m.partsInFlight + extra })).toBeLessThanOrEqual(
          machineSeconds({ ...run, partsInFlight: m.partsInFlight })
        );
      })
    );
  });
});

describe('sync-mode auto', () => {
  test('every small repository (≤ 100 MB, the demo’s and the tests’) stays on the runner, wherever the runner is', () => {
    fc.assert(
      fc.property(inputsArb, filesArb(100e6 / 40), (m, files) => {
        expect(decideSyncMode(m, files).mode).toBe('runner');
      })
    );
  });

  test('the cluster only when it can work and is clearly faster; the reason names the mode and both estimates', () => {
    fc.assert(
      fc.property(inputsArb, filesArb(20e9), (m, files) => {
        const d = decideSyncMode(m, files);
        expect(d.reason.startsWith(`${d.mode}: sync-mode auto, `)).toBe(true);
        const fmt = (s: number) => (Number.isFinite(s) ? formatDuration(s * 1000) : 'never (unreachable)');
        expect(d.reason).toContain(`est. ${fmt(d.runnerSeconds)} on this runner`);
        expect(d.reason).toContain(`, ${fmt(d.clusterSeconds)} in the cluster`);
        if (d.mode === 'cluster') {
          expect(m.kubeconfig).toBe(true);
          expect(d.clusterSeconds * CLEAR_SPEEDUP).toBeLessThanOrEqual(d.runnerSeconds);
          expect(d.runnerSeconds - d.clusterSeconds).toBeGreaterThanOrEqual(CLEAR_SAVING_SECONDS);
        }
        if (!m.kubeconfig) expect(d.reason).toContain('no kubeconfig in this run');
      })
    );
  });

  test('an explicit mode is kept, with both estimates', () => {
    const m = tableInputs();
    for (const mode of ['runner', 'cluster'] as const) {
      const d = decideSyncMode({ ...m, mode }, TABLE_MODELS[0].files);
      expect(d.mode).toBe(mode);
      expect(d.reason).toMatch(new RegExp(`^${mode}: set by sync-mode; est\\. .+ on this runner .+ in the cluster`));
    }
  });

  test('after a failed cluster sync the runner syncs only when the cluster failed, not on cancel or the hub’s or OSS’s answer', () => {
    for (const code of ['SYNC_IMAGE_PULL', 'SYNC_SHARD_FAILED', 'SYNC_JOB_DELETED', 'K8S_FORBIDDEN', 'KUBE_FORBIDDEN'])
      expect([code, runnerAfterClusterFailure(code)]).toEqual([code, true]);
    for (const code of ['SYNC_CANCELLED', 'HF_GATED_REPO', 'HF_UNAUTHORIZED', 'OSS_ACCESS_DENIED', 'CONFIG_INVALID'])
      expect([code, runnerAfterClusterFailure(code)]).toEqual([code, false]);
  });

  test('where the runner is: the input, else GitHub-hosted means overseas, anything else in-region', () => {
    expect(runnerPlace({ runnerLocation: 'china', runnerEnvironment: 'github-hosted' }).place).toBe('china');
    expect(runnerPlace({ runnerLocation: 'auto', runnerEnvironment: 'github-hosted' }).place).toBe('overseas');
    expect(runnerPlace({ runnerLocation: 'auto', runnerEnvironment: 'self-hosted' }).place).toBe('in-region');
    expect(runnerPlace({ runnerLocation: 'auto' }).place).toBe('in-region');
  });
});

test('the README’s estimate table is the estimator’s output (npm run estimate-table writes it)', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(withTable(readme, estimateTable())).toBe(readme);
  // the block holds each model's row
  for (const { name } of TABLE_MODELS) expect(readme).toContain(`| ${name} |`);
});
