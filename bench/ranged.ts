/**
 * Parallel ranged transfers (issue 17, point 5, first row): one large file over a modelled link whose every
 * connection is capped at c and whose total is capped at 8c (the sandbox network model, on the hub with its
 * CDN and on OSS alike), synced by the shipped CLI (`dist/cli/index.js run --stages sync`) once with one part in
 * flight (one connection at a time: the single stream) and once with eight (eight ranged GETs, eight
 * UploadParts). Rates are file bytes over the CLI's wall time, start-up included. Size: RANGED_BENCH_MIB
 * (default 2048); c: RANGED_BENCH_CONN_MIBPS (default 8: at 16 MiB/s, 128 MiB/s in all, a 2-core machine runs out of CPU for the sandbox hub, the sandbox OSS and the CLI together before the link is full, and the row would measure that instead; a real US runner gets a few MB/s per connection to cn-beijing).
 */
import { runShippedCli, syncInputs } from './cli-sync.js';
import { server } from './sync.js';
import type { BenchRow } from './types.js';

const MiB = 1024 * 1024;

export async function benchRanged(): Promise<BenchRow[]> {
  const sizeMiB = Number(process.env.RANGED_BENCH_MIB ?? 2048);
  const c = Number(process.env.RANGED_BENCH_CONN_MIBPS ?? 8) * MiB;
  const [hub, oss] = await Promise.all([server('hub'), server('oss')]);
  try {
    const link = { perConnectionBytesPerSec: c, aggregateBytesPerSec: 8 * c };
    await hub.call({ op: 'network', config: { hub: { runner: link } } });
    await oss.call({ op: 'network', config: { oss: { runner: link } } });
    const repo = `ranged/m${sizeMiB}`;
    const spec = { id: repo, files: [{ path: 'model.safetensors', size: sizeMiB * MiB, seed: `ranged-${sizeMiB}` }] };
    await hub.call({ op: 'declare', spec });
    await hub.call({ op: 'warm', repo });
    const rate = async (inFlight: number): Promise<number> => {
      const inputs = {
        ...syncInputs(hub, oss, repo, `ranged-${inFlight}`),
        'sync-parts-in-flight': String(inFlight)
      };
      const res = await runShippedCli(inputs);
      if (res.code !== 0)
        throw new Error(`sync with ${inFlight} in flight exited ${res.code}: ${res.stderr.slice(-600)}`);
      return (sizeMiB * MiB) / (res.ms / 1000);
    };
    const single = await rate(1);
    const parallel = await rate(8);
    const ofLink = parallel / (8 * c);
    const speedup = parallel / single;
    return [
      {
        name: `ranged sync of ${sizeMiB} MiB over c=${c / MiB} MiB/s per connection, 8c in all: share of 8c`,
        value: Math.round(ofLink * 100) / 100,
        unit: '× 8c',
        goal: '≥ 0.8',
        met: ofLink >= 0.8
      },
      {
        name: `ranged sync of ${sizeMiB} MiB: 8 parts in flight / the single stream`,
        value: Math.round(speedup * 100) / 100,
        unit: '×',
        goal: '≥ 4',
        met: speedup >= 4
      }
    ];
  } finally {
    await Promise.all([hub.stop(), oss.stop()]);
  }
}
