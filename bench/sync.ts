/**
 * Sync bench (issue 5, point 8): the sandbox hub + OSS run in this process on loopback; each transfer runs in a
 * child process (bench/sync-child.ts) so its time, peak RSS and disk writes are its own. Ratios are measured in
 * the same run. Sizes can be lowered for a quick look with SYNC_BENCH_SCALE (e.g. 0.25).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FaultRegistry } from '../sandbox/faults.js';
import { startHub } from '../sandbox/hub/index.js';
import { startOss } from '../sandbox/oss/index.js';
import type { Config } from '../src/config/types.js';
import { testConfig } from '../test/helpers/config.js';
import type { BenchRow } from './types.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PART = 16 * MiB;
const IN_FLIGHT = 4;

interface ChildResult {
  ms: number;
  maxRssKiB: number;
  diskWriteBytes: number;
  details?: Record<string, number | string>;
}

async function child(job: object): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(here, 'sync-child.ts'), JSON.stringify(job)], {
    maxBuffer: 16 * MiB,
    env: { ...process.env, NODE_OPTIONS: '' }
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function benchSync(): Promise<BenchRow[]> {
  const scale = Number(process.env.SYNC_BENCH_SCALE ?? 1);
  const small = Math.round(GiB * scale);
  const large = Math.round(4 * GiB * scale);
  const faults = new FaultRegistry();
  faults.recordLimit = 200_000;
  const root = await mkdtemp(path.join(tmpdir(), 'sync-bench-'));
  const hub = await startHub({ faults });
  const oss = await startOss({ faults, root });
  const rows: BenchRow[] = [];
  try {
    const files = [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'small.safetensors', size: small, seed: 'bench-1g' },
      { path: 'large.safetensors', size: large, seed: 'bench-4g' }
    ];
    const many = Array.from({ length: 50 }, (_, i) => ({ path: `shard-${String(i).padStart(2, '0')}.json`, content: `{"i":${i}}` }));
    hub.declareRepo({ id: 'bench/small', files: [files[0], files[1]] });
    hub.declareRepo({ id: 'bench/large', files: [files[0], files[2]] });
    hub.declareRepo({ id: 'bench/many', files: many });
    const cfgOf = (repo: string, include: string[] = []): Config =>
      testConfig({
        model: { repo, revision: 'main', name: repo.split('/')[1], version: 'v1' },
        hf: { endpoint: hub.endpoint, token: hub.token, include, exclude: [] },
        oss: { endpoint: oss.endpoint, bucket: oss.bucket, region: oss.region, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, prefix: 'bench' },
        sync: { partSizeBytes: PART, partsInFlight: IN_FLIGHT, filesInParallel: 2, retries: 5 }
      });
    // Warm the hub's hash cache (it hashes big generated files once) so no measure pays for it.
    for (const repo of ['bench/small', 'bench/large']) {
      await fetch(`${hub.endpoint}/api/models/${repo}/tree/main?recursive=true`).then((r) => r.text());
    }
    const smallCommit = hub.commitOf('bench/small', 'main');

    const raw = await child({ mode: 'raw', config: cfgOf('bench/small'), commit: smallCommit, path: 'small.safetensors', key: 'bench/raw/small.safetensors' });
    const synced = await child({ mode: 'sync', config: cfgOf('bench/small') });
    const tmp = await mkdtemp(path.join(tmpdir(), 'sync-bench-2phase-'));
    const twoPhase = await child({ mode: 'two-phase', config: cfgOf('bench/small'), commit: smallCommit, path: 'small.safetensors', key: 'bench/2phase/small.safetensors', tmpDir: tmp, partSize: PART });
    await rm(tmp, { recursive: true, force: true });
    const syncedLarge = await child({ mode: 'sync', config: cfgOf('bench/large') });

    await child({ mode: 'sync', config: cfgOf('bench/many', ['*.json']) });
    const before = faults.requests.length;
    const resync = await child({ mode: 'sync', config: cfgOf('bench/many', ['*.json']) });
    const sentBytes = faults.requests
      .slice(before)
      .filter((r) => r.service === 'oss' && (r.method === 'PUT' || r.method === 'POST'))
      .reduce((s, r) => s + Number(r.headers['content-length'] ?? 0), 0);

    const mbps = (bytes: number, ms: number) => round(bytes / 1e6 / (ms / 1000), 1);
    const ratio = raw.ms / synced.ms;
    const rss1 = round(synced.maxRssKiB / 1024, 0);
    const rss4 = round(syncedLarge.maxRssKiB / 1024, 0);
    const size = (b: number) => (b >= GiB ? `${round(b / GiB, 2)} GiB` : `${round(b / MiB, 0)} MiB`);
    rows.push(
      { name: `sync throughput / raw GET→PUT pipe (${size(small)})`, value: round(ratio), unit: 'ratio', goal: '≥ 0.8', met: ratio >= 0.8 },
      { name: 'sync throughput (streamed, verified)', value: mbps(small, synced.ms), unit: 'MB/s', goal: 'info', met: true },
      { name: 'raw GET→PUT pipe throughput', value: mbps(small, raw.ms), unit: 'MB/s', goal: 'info', met: true },
      { name: 'two-phase time / streamed time', value: round(twoPhase.ms / synced.ms), unit: 'ratio', goal: '≥ 1.6', met: twoPhase.ms / synced.ms >= 1.6 },
      { name: `peak RSS syncing ${size(small)}`, value: rss1, unit: 'MiB', goal: '≤ 200', met: rss1 <= 200 },
      { name: `peak RSS syncing ${size(large)}`, value: rss4, unit: 'MiB', goal: '≤ 200, not growing with size', met: rss4 <= 200 && rss4 <= rss1 * 1.15 },
      { name: 'bytes written to the runner disk by the sync', value: synced.diskWriteBytes + syncedLarge.diskWriteBytes, unit: 'B', goal: '0', met: synced.diskWriteBytes + syncedLarge.diskWriteBytes === 0 },
      { name: 're-sync of 50 unchanged files: bytes sent', value: sentBytes, unit: 'B', goal: '0', met: sentBytes === 0 },
      { name: 're-sync of 50 unchanged files: time', value: round(resync.ms / 1000), unit: 's', goal: '≤ 1', met: resync.ms <= 1000 }
    );
  } finally {
    await hub.stop();
    await oss.stop();
    await rm(root, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchSync().then(
    (rows) => console.table(rows),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    }
  );
}
