/**
 * Peak memory of what users run: the sync stage through the shipped bundles, `dist/cli/index.js run --stages sync`
 * and the action's `dist/main/index.js` (as a runner starts it), each with the product's default sync settings,
 * against the bench's hub and OSS servers (own processes). The peak RSS is read by a preload that prints
 * `process.resourceUsage().maxRSS` at exit. Sizes: SHIPPED_BENCH_GIB (default "1,4"); entries: SHIPPED_BENCH_ENTRIES
 * (default "cli,main"); other inputs to try: SHIPPED_BENCH_SET="sync-parts-in-flight=2,sync-part-size=8".
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runStep } from '../scripts/lib/run-action.js';
import { peakRssMiB, RSS_PRELOAD, runShippedCli, syncInputs } from './cli-sync.js';
import { server } from './sync.js';
import type { BenchRow } from './types.js';

const GiB = 1024 ** 3;

export async function benchShipped(): Promise<BenchRow[]> {
  const sizes = (process.env.SHIPPED_BENCH_GIB ?? '1,4').split(',').map(Number);
  const which = new Set((process.env.SHIPPED_BENCH_ENTRIES ?? 'cli,main').split(','));
  const extra = Object.fromEntries(
    (process.env.SHIPPED_BENCH_SET ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])
  );
  const [hub, oss] = await Promise.all([server('hub'), server('oss')]);
  const rows: BenchRow[] = [];
  try {
    const inputs = (repo: string, prefix: string): Record<string, string> => ({
      ...syncInputs(hub, oss, repo, prefix),
      ...extra
    });
    for (const gib of sizes) {
      const repo = `shipped/m${gib}`;
      await hub.call({
        op: 'declare',
        spec: { id: repo, files: [{ path: 'model.safetensors', size: Math.round(gib * GiB), seed: `shipped-${gib}` }] }
      });
      await hub.call({ op: 'warm', repo });
      if (which.has('cli')) {
        const res = await runShippedCli(inputs(repo, `cli-${gib}`), RSS_PRELOAD);
        if (res.code !== 0)
          throw new Error(`dist/cli sync of ${gib} GiB exited ${res.code}: ${res.stderr.slice(-600)}`);
        const mib = peakRssMiB(res.stderr);
        rows.push({
          name: `peak RSS, dist/cli syncing ${gib} GiB`,
          value: mib,
          unit: 'MiB',
          goal: '≤ 200',
          met: mib <= 200
        });
      }
      if (which.has('main')) {
        const work = await mkdtemp(path.join(tmpdir(), 'shipped-main-'));
        const res = await runStep({
          entry: 'main',
          inputs: inputs(repo, `main-${gib}`),
          dirs: { jobDir: work, toolCache: path.join(work, 'tc') },
          env: { NODE_OPTIONS: RSS_PRELOAD.join(' ') }
        });
        if (res.exitCode !== 0) throw new Error(`dist/main sync of ${gib} GiB exited ${res.exitCode}`);
        const mib = peakRssMiB(res.stderr);
        rows.push({
          name: `peak RSS, dist/main syncing ${gib} GiB`,
          value: mib,
          unit: 'MiB',
          goal: '≤ 200',
          met: mib <= 200
        });
      }
    }
  } finally {
    await Promise.all([hub.stop(), oss.stop()]);
  }
  return rows;
}
