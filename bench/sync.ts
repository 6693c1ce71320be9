/**
 * Sync bench (issue 5, point 8): the sandbox hub + OSS run in this process on loopback; each transfer runs in a
 * child process (bench/sync-child.ts) so its time, peak RSS and disk writes are its own. Ratios are measured in
 * the same run. Sizes can be lowered for a quick look with SYNC_BENCH_SCALE (e.g. 0.25).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Config } from '../src/config/types.js';
import { testConfig } from '../test/helpers/config.js';
import type { BenchRow } from './types.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const PART = 8 * MiB;
const IN_FLIGHT = 3;
const REPEATS = Number(process.env.SYNC_BENCH_REPEATS ?? 5);
/**
 * Streaming's gain over download-then-upload is the overlap of two network transfers; on loopback with every
 * process sharing 2 cores the transfers are CPU-bound instead and overlap little. So that ratio is measured over a
 * modelled link of this bandwidth in front of the hub/CDN and of OSS (the sandbox paces body bytes), as on a runner.
 */
const LINK = Number(process.env.SYNC_BENCH_LINK_MIBPS ?? 64) * MiB;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssKiB: number;
  diskWriteBytes: number;
  details?: Record<string, number | string>;
}

/** The measured child is bundled like the shipped action (plain node, no TypeScript loader in its memory). */
async function bundleChild(): Promise<string> {
  const outfile = path.join(here, `.sync-child-${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(here, 'sync-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'error'
  });
  return outfile;
}

async function child(script: string, job: object): Promise<ChildResult> {
  const prof = process.env.SYNC_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.SYNC_BENCH_PROF] : [];
  // e.g. SYNC_BENCH_NODE_ARGS=--trace-gc to see what the measured process spends its time on
  const extra = process.env.SYNC_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const { stdout, stderr } = await run(process.execPath, [...prof, ...extra, script, JSON.stringify(job)], {
    maxBuffer: 16 * MiB,
    env: { ...process.env, NODE_OPTIONS: '' }
  });
  if (stderr) process.stderr.write(stderr);
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** A sandbox server in its own process (bench/sync-server.ts, which says what `args` a kind takes), driven by JSON lines. */
export async function server(kind: 'hub' | 'oss' | 'kube', args: readonly string[] = []) {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'sync-server.ts'), kind, ...args],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' }
    }
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, string>;
  const info = await next();
  return {
    info,
    async call(cmd: object): Promise<Record<string, unknown>> {
      proc.stdin!.write(JSON.stringify(cmd) + '\n');
      return next();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.stdin!.end();
      })
  };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function benchSync(): Promise<BenchRow[]> {
  const scale = Number(process.env.SYNC_BENCH_SCALE ?? 1);
  const small = Math.round(GiB * scale);
  const large = Math.round(4 * GiB * scale);
  const ratioSize = Math.round(256 * MiB * scale);
  const script = await bundleChild();
  const [hub, oss] = await Promise.all([server('hub'), server('oss')]);
  const rows: BenchRow[] = [];
  try {
    const files = [
      { path: 'config.json', content: '{"model_type":"bloom"}' },
      { path: 'small.safetensors', size: small, seed: 'bench-1g' },
      { path: 'large.safetensors', size: large, seed: 'bench-4g' }
    ];
    const many = Array.from({ length: 50 }, (_, i) => ({
      path: `shard-${String(i).padStart(2, '0')}.json`,
      content: `{"i":${i}}`
    }));
    await hub.call({ op: 'declare', spec: { id: 'bench/small', files: [files[0], files[1]] } });
    await hub.call({ op: 'declare', spec: { id: 'bench/large', files: [files[0], files[2]] } });
    await hub.call({ op: 'declare', spec: { id: 'bench/many', files: many } });
    await hub.call({
      op: 'declare',
      spec: { id: 'bench/ratio', files: [{ path: 'ratio.safetensors', size: ratioSize, seed: 'bench-ratio' }] }
    });
    const cfgOf = (repo: string, include: string[] = []): Config =>
      testConfig({
        model: { repo, revision: 'main', name: repo.split('/')[1], version: 'v1' },
        hf: { endpoint: hub.info.endpoint, token: hub.info.token, include, exclude: [] },
        oss: {
          endpoint: oss.info.endpoint,
          bucket: oss.info.bucket,
          region: oss.info.region,
          accessKeyId: oss.info.accessKeyId,
          accessKeySecret: oss.info.accessKeySecret,
          prefix: 'bench'
        },
        sync: {
          partSizeBytes: PART,
          partsInFlight: Number(process.env.SYNC_BENCH_IN_FLIGHT ?? IN_FLIGHT),
          filesInParallel: 2,
          retries: 5
        }
      });
    // Warm the hub's hash cache (it hashes big generated files once) so no measure pays for it.
    for (const repo of ['bench/small', 'bench/large', 'bench/ratio']) await hub.call({ op: 'warm', repo });
    const ratioCommit = (await hub.call({ op: 'commit', repo: 'bench/ratio' })).sha as string;

    // Ratios: pairs run back to back, order alternating, median of the pair ratios (the box is shared and noisy).
    const pairs: { raw: ChildResult; synced: ChildResult; syncedOverLink: ChildResult; twoPhase: ChildResult }[] = [];
    const link = async (bytesPerSecond: number | null) => {
      await hub.call({ op: 'link', bytesPerSecond });
      await oss.call({ op: 'link', bytesPerSecond });
    };
    for (let i = 0; i < REPEATS; i++) {
      const name = `r${i}`;
      const rawJob = {
        mode: 'raw',
        config: cfgOf('bench/ratio'),
        commit: ratioCommit,
        path: 'ratio.safetensors',
        key: `bench/raw/${name}`
      };
      const syncJob = {
        mode: 'sync',
        config: { ...cfgOf('bench/ratio'), oss: { ...cfgOf('bench/ratio').oss, prefix: `bench/${name}` } }
      };
      const tmp = await mkdtemp(path.join(tmpdir(), 'sync-bench-2phase-'));
      const twoJob = {
        mode: 'two-phase',
        config: cfgOf('bench/ratio'),
        commit: ratioCommit,
        path: 'ratio.safetensors',
        key: `bench/2phase/${name}`,
        tmpDir: tmp,
        partSize: PART
      };
      const linkedJob = {
        mode: 'sync',
        config: { ...cfgOf('bench/ratio'), oss: { ...cfgOf('bench/ratio').oss, prefix: `bench/${name}-link` } }
      };
      const res = new Map<object, ChildResult>();
      for (const job of i % 2 === 0 ? [rawJob, syncJob] : [syncJob, rawJob]) res.set(job, await child(script, job));
      await link(LINK);
      try {
        for (const job of i % 2 === 0 ? [linkedJob, twoJob] : [twoJob, linkedJob])
          res.set(job, await child(script, job));
      } finally {
        await link(null);
      }
      await rm(tmp, { recursive: true, force: true });
      pairs.push({
        raw: res.get(rawJob)!,
        synced: res.get(syncJob)!,
        syncedOverLink: res.get(linkedJob)!,
        twoPhase: res.get(twoJob)!
      });
    }
    if (process.env.SYNC_BENCH_RATIOS_ONLY) {
      process.stderr.write(
        `bench sync: ${JSON.stringify(pairs.map((p) => ({ raw: Math.round(p.raw.ms), sync: Math.round(p.synced.ms), twoPhase: Math.round(p.twoPhase.ms), rawCpu: Math.round(p.raw.cpuMs), syncCpu: Math.round(p.synced.cpuMs) })))}\n`
      );
      return [];
    }
    const synced = await child(script, { mode: 'sync', config: cfgOf('bench/small') });
    const syncedLarge = await child(script, { mode: 'sync', config: cfgOf('bench/large') });

    await child(script, { mode: 'sync', config: cfgOf('bench/many', ['*.json']) });
    const before = (await oss.call({ op: 'writes' })).bytes as number;
    const resync = await child(script, { mode: 'sync', config: cfgOf('bench/many', ['*.json']) });
    const sentBytes = ((await oss.call({ op: 'writes' })).bytes as number) - before;
    if (process.env.SYNC_BENCH_VERBOSE)
      process.stderr.write(`bench sync: ${JSON.stringify({ pairs, synced, syncedLarge, resync }, null, 1)}\n`);

    const mbps = (bytes: number, ms: number) => round(bytes / 1e6 / (ms / 1000), 1);
    const ratio = median(pairs.map((p) => p.raw.ms / p.synced.ms));
    const twoPhaseRatio = median(pairs.map((p) => p.twoPhase.ms / p.syncedOverLink.ms));
    const disk =
      synced.diskWriteBytes + syncedLarge.diskWriteBytes + pairs.reduce((s, p) => s + p.synced.diskWriteBytes, 0);
    const rss1 = round(synced.maxRssKiB / 1024, 0);
    const rss4 = round(syncedLarge.maxRssKiB / 1024, 0);
    const size = (b: number) => (b >= GiB ? `${round(b / GiB, 2)} GiB` : `${round(b / MiB, 0)} MiB`);
    rows.push(
      {
        name: `sync throughput / raw GET→PUT pipe (${size(ratioSize)}, median of ${REPEATS})`,
        value: round(ratio),
        unit: 'ratio',
        goal: '≥ 0.9',
        met: ratio >= 0.9
      },
      {
        name: `two-phase (disk, then upload) time / streamed time, over a ${round(LINK / MiB, 0)} MiB/s link each way`,
        value: round(twoPhaseRatio),
        unit: 'ratio',
        goal: '≥ 1.6',
        met: twoPhaseRatio >= 1.6
      },
      { name: `peak RSS syncing ${size(small)}`, value: rss1, unit: 'MiB', goal: '≤ 200', met: rss1 <= 200 },
      {
        name: `peak RSS syncing ${size(large)}`,
        value: rss4,
        unit: 'MiB',
        goal: '≤ 200, not growing with size',
        met: rss4 <= 200 && rss4 <= rss1 * 1.15
      },
      { name: 'bytes written to the runner disk by the sync', value: disk, unit: 'B', goal: '0', met: disk === 0 },
      {
        name: 're-sync of 50 unchanged files: bytes sent',
        value: sentBytes,
        unit: 'B',
        goal: '0',
        met: sentBytes === 0
      },
      {
        name: 're-sync of 50 unchanged files: time',
        value: round(resync.ms / 1000),
        unit: 's',
        goal: '≤ 1',
        met: resync.ms <= 1000
      },
      {
        name: `sync throughput, ${size(large)} file`,
        value: mbps(large, syncedLarge.ms),
        unit: 'MB/s',
        goal: 'info',
        met: true
      },
      ...(
        [
          ['raw GET→PUT pipe', (p: (typeof pairs)[number]) => p.raw.ms],
          ['streamed sync', (p: (typeof pairs)[number]) => p.synced.ms],
          ['streamed sync over the modelled link', (p: (typeof pairs)[number]) => p.syncedOverLink.ms],
          ['two-phase over the modelled link', (p: (typeof pairs)[number]) => p.twoPhase.ms]
        ] as const
      ).map(([what, ms]) => ({
        name: `${what} throughput (median)`,
        value: mbps(ratioSize, median(pairs.map(ms))),
        unit: 'MB/s',
        goal: 'info',
        met: true
      })),
      {
        name: 'peak RSS of the raw pipe (baseline process)',
        value: round(median(pairs.map((p) => p.raw.maxRssKiB)) / 1024, 0),
        unit: 'MiB',
        goal: 'info',
        met: true
      },
      {
        // What hashing costs per byte, less sensitive than the time ratio to what else runs on the box.
        name: `CPU of the sync process beyond the raw pipe's, per ${size(ratioSize)} (median)`,
        value: round(median(pairs.map((p) => p.synced.cpuMs - p.raw.cpuMs))),
        unit: 'ms',
        goal: 'info',
        met: true
      }
    );
  } finally {
    await Promise.all([hub.stop(), oss.stop()]);
    await rm(script, { force: true });
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
