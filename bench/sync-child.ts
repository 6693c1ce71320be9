/**
 * One measured transfer in its own process (so its peak RSS and disk writes are its own), driven by bench/sync.ts.
 * argv[2] is JSON: { mode: 'sync' | 'raw' | 'two-phase', config, repo, path?, tmpDir? }.
 * Prints one JSON line: { ms, maxRssKiB, diskWriteBytes, details? }.
 */
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import OSS from 'ali-oss';
import type { Config } from '../src/config/types.js';
import { ossClientOptions } from '../src/oss/client.js';
import { createSyncStage } from '../src/stages/sync.js';
import { syncClients } from '../src/composition/sync.js';
import { testContext } from '../test/helpers/config.js';

interface Job {
  mode: 'sync' | 'raw' | 'two-phase';
  config: Config;
  commit: string;
  path?: string;
  key?: string;
  tmpDir?: string;
  partSize?: number;
}

/** Bytes this process caused to be written to storage so far. */
async function diskWrites(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8').catch(() => '');
  return Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? 0);
}

async function fetchFile(cfg: Config, commit: string, file: string): Promise<Readable> {
  // fetch follows the CDN redirect and drops Authorization cross-origin (the Fetch spec).
  const res = await fetch(`${cfg.hf.endpoint}/${cfg.model.repo}/resolve/${commit}/${file}`, {
    headers: { authorization: `Bearer ${cfg.hf.token}` }
  });
  if (!res.ok || !res.body) throw new Error(`GET ${file}: ${res.status}`);
  return Readable.fromWeb(res.body as never);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as Job;
  if (process.env.SYNC_BENCH_MEM) {
    const mb = (n: number) => Math.round(n / 1048576);
    const show = () => {
      const m = process.memoryUsage();
      process.stderr.write(
        `mem rss=${mb(m.rss)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)}\n`
      );
    };
    show();
    setInterval(show, 500).unref();
  }
  const cfg = job.config;
  const writesBefore = await diskWrites();
  const t0 = performance.now();
  let details: unknown;
  if (job.mode === 'sync') {
    const { ctx } = testContext(cfg);
    const out = await createSyncStage({ clients: syncClients, progressIntervalMs: 60_000 }).run(ctx);
    details = out.details;
  } else if (job.mode === 'raw') {
    const client = new OSS(ossClientOptions(cfg.oss));
    await client.putStream(job.key!, await fetchFile(cfg, job.commit, job.path!));
  } else {
    const file = path.join(job.tmpDir!, path.basename(job.path!));
    await pipeline(await fetchFile(cfg, job.commit, job.path!), createWriteStream(file));
    details = { downloadMs: performance.now() - t0 };
    const client = new OSS(ossClientOptions(cfg.oss));
    await client.multipartUpload(job.key!, file, { partSize: job.partSize, parallel: cfg.sync.partsInFlight });
    await rm(file, { force: true });
  }
  const ms = performance.now() - t0;
  const diskWriteBytes = (await diskWrites()) - writesBefore;
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    JSON.stringify({ ms, cpuMs, maxRssKiB: process.resourceUsage().maxRSS, diskWriteBytes, details }) + '\n'
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
