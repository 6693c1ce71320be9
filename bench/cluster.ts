/**
 * The sync in the cluster against the sync on the runner (issue 17, point 5, second row), through the shipped CLI
 * (`dist/cli/index.js run --stages sync`) and the sandbox: a 40-file repo on the bench's hub, the bench's OSS, and
 * the sandbox's API server, Job controller and kubelet, whose sync pods are real processes of the same bundled CLI
 * (`sync-shard`). Each runs in its own process (bench/sync-server.ts).
 *
 * The network model (sandbox/network.ts) stands for a runner in the US and an ACK cluster next to OSS: the runner's
 * link to OSS crosses the Pacific (few MB/s per connection, a modest total, a long RTT), its link to the hub is
 * near; the cluster reaches the hub through a mirror and OSS through the internal endpoint, both faster. LINK below
 * holds the figures; the rows' names repeat them.
 *
 * Rows: (A) wall time of `sync-mode: runner` / wall time of `sync-mode: cluster` with 4 shards, 4 pods at once,
 * both CLI start to exit (listing, Job, pods' start, transfer, the runner's final checks and manifest). (B) the
 * runner CLI's peak RSS while the pods sync the 40 files / its peak while they sync a repo of 4 tiny files (the
 * same mode, code paths and Kubernetes traffic with next to no bytes: what remains is what the cluster's transfer
 * costs the runner). The tiny run goes first, so its pods pull the image and the timed run's pods find it on their
 * nodes, as on a cluster that has run the sync before.
 * Size: CLUSTER_BENCH_MIB (default 160, over 36 weight files of varying size plus 4 small files); scenario clock
 * speed of the sandbox kubelet (pod scheduling, image pull, container creation): CLUSTER_BENCH_SPEED (default 1).
 */
import { runShippedCli, syncInputs, peakRssMiB, RSS_PRELOAD } from './cli-sync.js';
import { server } from './sync.js';
import type { BenchRow } from './types.js';

const MiB = 1024 * 1024;
const IMAGE = 'ghcr.io/example/arena-ft-pipeline-sync';

/**
 * The modelled links (MiB/s, ms), side → service: a US runner's and a cn-beijing ACK cluster's, with every rate
 * scaled down 8× from the real figures (runner → OSS 4 MiB/s per connection and 16 in all; the cluster's OSS internal
 * endpoint 128 per connection, 1 GiB in all; an HF mirror 32 per connection) so the bench moves its bytes in
 * minutes; the round trips are real. The cluster's caps stay above what a 2-core machine running the hub, OSS and
 * 4 pods sustains, so its measured rate is the machine's: the ratio understates the modelled one.
 */
export const LINK = {
  runner: {
    hub: { perConnection: 8, aggregate: 64, rttMs: 20 },
    oss: { perConnection: 0.5, aggregate: 2, rttMs: 180 }
  },
  cluster: {
    hub: { perConnection: 4, aggregate: 32, rttMs: 30 },
    oss: { perConnection: 16, aggregate: 128, rttMs: 1 }
  }
} as const;

type Profile = { perConnection: number; aggregate: number; rttMs: number };
const profile = (p: Profile) => ({
  perConnectionBytesPerSec: p.perConnection * MiB,
  aggregateBytesPerSec: p.aggregate * MiB,
  rttMs: p.rttMs
});
const words = (p: Profile) => `${p.perConnection}/conn ${p.aggregate} all ${p.rttMs} ms`;

/** 4 small files and 36 weight files of 6–14 units, scaled so the whole repo is `totalMiB`. */
export function repoFiles(totalMiB: number, seed: string) {
  const units = Array.from({ length: 36 }, (_, i) => 6 + ((i * 7) % 9));
  const unit = (totalMiB * MiB) / units.reduce((a, b) => a + b, 0);
  return [
    { path: 'config.json', content: '{"model_type":"bloom","n_layer":36}' },
    { path: 'generation_config.json', content: '{"max_new_tokens":64}' },
    { path: 'tokenizer.json', content: JSON.stringify({ version: '1.0', seed }) },
    { path: 'tokenizer_config.json', content: '{"padding_side":"left"}' },
    ...units.map((u, i) => ({
      path: `model-${String(i + 1).padStart(5, '0')}-of-00036.safetensors`,
      size: Math.round(u * unit),
      seed: `${seed}-${i}`
    }))
  ];
}

export async function benchCluster(): Promise<BenchRow[]> {
  const totalMiB = Number(process.env.CLUSTER_BENCH_MIB ?? 160);
  const speed = Number(process.env.CLUSTER_BENCH_SPEED ?? 1);
  const [hub, oss, kube] = await Promise.all([server('hub'), server('oss'), server('kube', [String(speed), IMAGE])]);
  try {
    for (const [s, service] of [
      [hub, 'hub'],
      [oss, 'oss']
    ] as const) {
      const config = {
        [service]: { runner: profile(LINK.runner[service]), cluster: profile(LINK.cluster[service]) }
      };
      const res = await s.call({ op: 'network', config });
      if (res.error) throw new Error(`the ${service} server refused the network model: ${String(res.error)}`);
    }
    const declare = async (repo: string, files: object[]) => {
      await hub.call({ op: 'declare', spec: { id: repo, files } });
      await hub.call({ op: 'warm', repo });
    };
    const big = 'cluster/m40';
    const tiny = 'cluster/tiny';
    await declare(big, repoFiles(totalMiB, 'cluster-bench'));
    await declare(
      tiny,
      Array.from({ length: 4 }, (_, i) => ({ path: `part-${i}.bin`, size: 4096, seed: `tiny-${i}` }))
    );
    // 1 MiB parts: the bench's files are a few MiB, and with 8 MiB parts most would go up as one PUT, leaving the
    // runner 2 connections (sync-files-in-parallel) where a real model's GiB-sized files keep 4 parts in flight
    const same = { 'sync-part-size': '1' };
    const cluster = {
      ...same,
      'sync-mode': 'cluster',
      'sync-shards': '4',
      'sync-parallelism': '4',
      'sync-image': `${IMAGE}:bench`,
      'hf-cluster-endpoint': hub.info.clusterEndpoint,
      'oss-cluster-endpoint': oss.info.clusterEndpoint,
      kubeconfig: kube.info.kubeconfig,
      namespace: kube.info.namespace
    };
    const run = async (what: string, inputs: Record<string, string>) => {
      const res = await runShippedCli(inputs, RSS_PRELOAD);
      if (res.code !== 0) throw new Error(`${what} exited ${res.code}: ${res.stderr.slice(-800)}`);
      return { seconds: res.ms / 1000, peakMiB: peakRssMiB(res.stderr) };
    };
    const baseline = await run('the cluster sync of 4 tiny files', {
      ...syncInputs(hub, oss, tiny, 'tiny'),
      ...cluster
    });
    const inCluster = await run(`the cluster sync of ${big}`, { ...syncInputs(hub, oss, big, 'cluster'), ...cluster });
    const onRunner = await run(`the runner sync of ${big}`, { ...syncInputs(hub, oss, big, 'runner'), ...same });
    process.stderr.write(
      `bench: cluster: runner mode ${onRunner.seconds.toFixed(1)} s (peak ${onRunner.peakMiB} MiB), ` +
        `cluster mode ${inCluster.seconds.toFixed(1)} s (runner peak ${inCluster.peakMiB} MiB), ` +
        `tiny cluster sync ${baseline.seconds.toFixed(1)} s (runner peak ${baseline.peakMiB} MiB)\n`
    );
    const speedup = onRunner.seconds / inCluster.seconds;
    const rss = inCluster.peakMiB / baseline.peakMiB;
    const links =
      `runner OSS ${words(LINK.runner.oss)}, hub ${words(LINK.runner.hub)}; ` +
      `cluster OSS ${words(LINK.cluster.oss)}, hub ${words(LINK.cluster.hub)} (MiB/s)`;
    return [
      {
        name: `40 files, ${totalMiB} MiB over ${links}: runner-mode sync time / cluster-mode (4 pods)`,
        value: Math.round(speedup * 100) / 100,
        unit: '×',
        goal: '≥ 3',
        met: speedup >= 3
      },
      {
        name:
          `runner CLI peak RSS while 4 pods sync the 40 files / while they sync 4 tiny files ` +
          `(${inCluster.peakMiB} / ${baseline.peakMiB} MiB; runner mode: ${onRunner.peakMiB} MiB)`,
        value: Math.round(rss * 100) / 100,
        unit: '×',
        goal: '≤ 1.15',
        met: rss <= 1.15
      }
    ];
  } finally {
    await Promise.all([hub.stop(), oss.stop(), kube.stop()]);
  }
}
