/**
 * Bench rows for the bundled action: cold start, setup with a warm tool cache, and the whole pipeline in the
 * sandbox (first run and re-run), each against a baseline measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox } from '../sandbox/index.js';
import { NODE24, runMainAndPost, runStep } from '../scripts/lib/run-action.js';
import { sandboxInputs } from '../scripts/lib/sandbox-inputs.js';
import type { BenchRow } from './types.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

export async function benchAction(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const work = await mkdtemp(path.join(tmpdir(), 'arena-ft-bench-'));
  try {
    // Cold start: the bundle with nothing to do, against bare `node -e ''`.
    const bare: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      spawnSync(NODE24, ['-e', '']);
      bare.push(performance.now() - t);
      t = performance.now();
      await runStep({
        entry: 'main',
        inputs: { stages: 'none' },
        dirs: { jobDir: path.join(work, `cold-${i}`), toolCache: path.join(work, 'tc-cold') }
      });
      cold.push(performance.now() - t);
    }
    const coldMs = Math.round(median(cold));
    rows.push({
      name: 'bundle cold start (stages: none)',
      value: coldMs,
      unit: 'ms',
      goal: '≤ 1000 ms',
      met: coldMs <= 1000
    });
    rows.push({
      name: 'bundle cold start / bare node start',
      value: Number((median(cold) / median(bare)).toFixed(1)),
      unit: 'x',
      goal: 'reported',
      met: true
    });

    const sb = await startSandbox({ speed: 200 });
    try {
      const toolCache = path.join(work, 'tc');
      const inputs = await sandboxInputs(sb, { stages: 'setup' });
      const [firstSetup] = await timed(() =>
        runMainAndPost({ inputs, dirs: { jobDir: path.join(work, 'setup-0'), toolCache } })
      );
      const warm: number[] = [];
      for (let i = 1; i <= 3; i++) {
        const [ms] = await timed(() =>
          runMainAndPost({ inputs, dirs: { jobDir: path.join(work, `setup-${i}`), toolCache } })
        );
        warm.push(ms);
      }
      rows.push({
        name: 'setup, warm tool cache',
        value: Math.round(median(warm)),
        unit: 'ms',
        goal: '≤ 3000 ms',
        met: median(warm) <= 3000
      });
      rows.push({
        name: 'setup warm / setup cold',
        value: Number((median(warm) / firstSetup).toFixed(2)),
        unit: 'x',
        goal: '< 1',
        met: median(warm) < firstSetup
      });

      const all = await sandboxInputs(sb, { stages: 'all' });
      const [first, r1] = await timed(() =>
        runMainAndPost({ inputs: all, dirs: { jobDir: path.join(work, 'all-1'), toolCache } })
      );
      const [rerun, r2] = await timed(() =>
        runMainAndPost({ inputs: all, dirs: { jobDir: path.join(work, 'all-2'), toolCache } })
      );
      const ok = r1.main.exitCode === 0 && r2.main.exitCode === 0;
      rows.push({
        name: 'whole pipeline in the sandbox',
        value: Math.round(first / 100) / 10,
        unit: 's',
        goal: '≤ 60 s',
        met: ok && first <= 60_000
      });
      rows.push({
        name: 'pipeline re-run (all finished)',
        value: Math.round(rerun / 100) / 10,
        unit: 's',
        goal: '≤ 15 s',
        met: ok && rerun <= 15_000
      });
    } finally {
      await sb.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}
