/**
 * A sandbox server (hub or oss) in its own process for the sync bench: in production the hub, OSS and the runner
 * are different machines, so here each gets its own event loop (one process serving both would make streaming and
 * two-phase look alike: the same single thread would do all the work either way).
 * argv[2]: 'hub' | 'oss' | 'kube'. Prints its info as one JSON line, then answers JSON commands on stdin, one per line:
 * {"op":"declare","spec":...} → {"ok":true}; {"op":"commit","repo":..} → {"sha":..}; {"op":"warm","repo":..};
 * {"op":"writes"} → {"bytes": body bytes of PUT/POST requests so far};
 * {"op":"link","bytesPerSecond":N|null} → models a network link of that bandwidth in front of the server;
 * {"op":"network","config":{...}} → the sandbox network model (sandbox/README.md "Network model"; `{}` turns it off).
 * The info line also carries the cluster-side endpoint (`clusterEndpoint`), which the model's `cluster` profile shapes.
 * 'kube' (argv[3]: the scenario clock's speed; argv[4]: an image whose containers run the shipped CLI): the sandbox's
 * API server, Job controller and kubelet, whose pods of that image are real processes of `dist/cli/index.js`; its
 * info is the pipeline's kubeconfig (deploy/rbac.yaml's ServiceAccount) and namespace. It starts its own OSS too (the
 * operator needs one), which the cluster bench does not use: the pods reach the 'oss' server through their inputs.
 * Stops when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { FaultRegistry } from '../sandbox/faults.js';
import { startHub, type RepoSpec } from '../sandbox/hub/index.js';
import { startOss } from '../sandbox/oss/index.js';
import { NetworkModel, type NetworkConfig } from '../sandbox/network.js';
import { startSandbox } from '../sandbox/index.js';
import { NODE24, REPO_ROOT } from '../scripts/lib/run-action.js';

async function main(): Promise<void> {
  const faults = new FaultRegistry();
  faults.recordLimit = 1_000_000;
  const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  let stop: () => Promise<void>;
  let handle: (cmd: {
    op: string;
    spec?: RepoSpec;
    repo?: string;
    bytesPerSecond?: number | null;
    config?: NetworkConfig;
  }) => Promise<unknown>;
  const network = new NetworkModel();
  const configure = (config: NetworkConfig | undefined) => {
    network.configure(config ?? {});
    return { ok: true };
  };
  const link = (services: ('hub' | 'cdn' | 'oss')[], bps: number | null | undefined) => {
    for (const s of services) faults.setLinkRate(s, bps ?? undefined);
    return { ok: true };
  };
  if (process.argv[2] === 'kube') {
    const sb = await startSandbox({
      pieces: ['kube'],
      seedDemo: false,
      speed: Number(process.argv[3]),
      images: { [process.argv[4]]: { command: [NODE24, path.join(REPO_ROOT, 'dist/cli/index.js')] } }
    });
    stop = () => sb.stop();
    out({ kubeconfig: readFileSync(sb.info.kube!.pipelineKubeconfig!, 'utf8'), namespace: sb.info.kube!.namespace });
    handle = async () => ({ ok: true });
  } else if (process.argv[2] === 'hub') {
    const hub = await startHub({ faults, network });
    stop = () => hub.stop();
    out({ endpoint: hub.endpoint, token: hub.token, clusterEndpoint: hub.clusterEndpoint });
    handle = async (c) => {
      if (c.op === 'link') return link(['hub', 'cdn'], c.bytesPerSecond);
      if (c.op === 'network') return configure(c.config);
      if (c.op === 'declare') hub.declareRepo(c.spec!);
      if (c.op === 'commit') return { sha: hub.commitOf(c.repo!, 'main') };
      if (c.op === 'warm')
        await fetch(`${hub.endpoint}/api/models/${c.repo}/tree/main?recursive=true`).then((r) => r.text());
      return { ok: true };
    };
  } else {
    const root = await mkdtemp(path.join(tmpdir(), 'sync-bench-oss-'));
    const oss = await startOss({ faults, root, network });
    stop = async () => {
      await oss.stop();
      await rm(root, { recursive: true, force: true });
    };
    out({
      endpoint: oss.endpoint,
      bucket: oss.bucket,
      region: oss.region,
      accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret,
      clusterEndpoint: oss.internalEndpoint
    });
    handle = async (c) => {
      if (c.op === 'link') return link(['oss'], c.bytesPerSecond);
      if (c.op === 'network') return configure(c.config);
      if (c.op === 'writes') {
        const bytes = faults.requests
          .filter((r) => r.method === 'PUT' || r.method === 'POST')
          .reduce((s, r) => s + Number(r.headers['content-length'] ?? 0), 0);
        return { bytes };
      }
      return { ok: true };
    };
  }
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    // a bad command is answered, not fatal: the bench reads `error`
    if (line.trim()) out(await handle(JSON.parse(line)).catch((err: Error) => ({ error: err.message })));
  }
  await stop();
}

void main();
