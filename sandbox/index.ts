/**
 * Starts the whole sandbox in-process: hub + CDN, OSS, release server, Kubernetes API, operator (with the
 * FT converter and the Triton simulator), and the admin API over all of them. Tests call `startSandbox`
 * (random ports, isolated state in a temp dir, clean stop); `npm run sandbox` (sandbox/cli.ts) prints its info.
 */
import { mkdtemp, rm, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { FaultRegistry } from './faults.js';
import { ScenarioClock } from './clock.js';
import type { SandboxInfo } from './types.js';
import { startHub } from './hub/index.js';
import { startOss } from './oss/index.js';
import { startReleases } from './releases/index.js';
import { startKube } from './kube/index.js';
import { startOperator } from './operator/index.js';
import { createStartTriton } from './triton/index.js';
import { demoModelFiles, DEMO_MODEL } from './models/demo.js';
import { startAdmin } from './admin/index.js';
import { installArenaStandIn } from './install-arena.js';
import { NetworkModel, type NetworkConfig } from './network.js';
import type { ProcessImage } from './operator/process.js';
import { Router, startTraffic, type PortLookup, type TrafficHandle, type TrafficOptions } from './mesh/index.js';

export type Piece = 'hub' | 'oss' | 'releases' | 'kube';

export interface SandboxOptions {
  /** Which pieces to start (default all). The operator starts with 'kube' (it needs 'oss'). */
  pieces?: Piece[];
  /** Hub tree page size (small in tests to exercise pagination). */
  hubPageSize?: number;
  /** Scenario clock speed (scenario seconds per real second). */
  speed?: number;
  /** Seed the demo model repo on the hub (default true). */
  seedDemo?: boolean;
  /** Unpack the Arena stand-in into a bin dir (returned as `arenaBinDir`) for tests that run the arena adapter. */
  installArena?: boolean;
  /**
   * The RBAC manifest (YAML text) whose ServiceAccount the pipeline's kubeconfig (`info.kube.pipelineKubeconfig`) runs
   * as. Default: the repository's `deploy/rbac.yaml`, the manifest the README documents.
   */
  rbacManifest?: string;
  /**
   * The network model (see sandbox/README.md "Network model"): per service (`hub` with its CDN, `oss`) and client
   * side (`runner`, `cluster`), `{ perConnectionBytesPerSec?, aggregateBytesPerSec?, rttMs? }`. Default: no shaping.
   * `POST /network` on the admin API changes it at run time.
   */
  network?: NetworkConfig;
  /**
   * Images the kubelet runs as real child processes: image (or repository) → the host command standing for its
   * entrypoint, e.g. `{ 'ghcr.io/org/arena-ft-pipeline-sync': { command: [process.execPath, 'dist/cli/index.js'] } }`
   * (see sandbox/operator/README.md "Images that run for real"). Default: none.
   */
  images?: Record<string, ProcessImage>;
  /** Install Istio's networking CRDs (VirtualService, DestinationRule) in the API server (default false). */
  istio?: boolean;
}

/** The repository's least-privilege manifest: what the README tells users to apply. */
export const RBAC_MANIFEST = fileURLToPath(new URL('../deploy/rbac.yaml', import.meta.url));

/** The manifest's objects, and the ServiceAccount the pipeline runs as (the first one, in its namespace). */
export function parseRbacManifest(text: string): {
  objects: import('./kube/index.js').KubeObject[];
  serviceAccount: { name: string; namespace?: string };
} {
  const objects = parseAllDocuments(text)
    .map((d) => d.toJS() as import('./kube/index.js').KubeObject | null)
    .filter((o): o is import('./kube/index.js').KubeObject => !!o);
  const sa = objects.find((o) => o.kind === 'ServiceAccount');
  if (!sa) throw new Error('the RBAC manifest has no ServiceAccount to run the pipeline as');
  return { objects, serviceAccount: { name: sa.metadata.name, namespace: sa.metadata.namespace } };
}

export type Hub = Awaited<ReturnType<typeof startHub>>;
export type Oss = Awaited<ReturnType<typeof startOss>>;
export type Releases = Awaited<ReturnType<typeof startReleases>>;
export type Kube = Awaited<ReturnType<typeof startKube>>;
export type Operator = ReturnType<typeof startOperator>;

export interface Sandbox {
  info: SandboxInfo;
  dir: string;
  faults: FaultRegistry;
  clock: ScenarioClock;
  /** The live network model (`sb.network.configure(...)`): shapes the hub, CDN and OSS endpoints of both sides. */
  network: NetworkModel;
  hub?: Hub;
  oss?: Oss;
  releases?: Releases;
  kube?: Kube;
  operator?: Operator;
  /** The data plane: routes a request for a Service by its VirtualService weights or its endpoints. */
  router?: Router;
  /** Simulated users calling a Service through the router (stop them before `stop`). */
  traffic?(o: TrafficOptions): TrafficHandle;
  /** A directory holding only `arena` (the stand-in) and `arena-kubectl` (the real kubectl), when installArena was set. */
  arenaBinDir?: string;
  /** Directory of Arena's charts, when installArena was set. */
  arenaChartDir?: string;
  /** A HOME whose `charts` is Arena's charts (for ARENA_FT_ARENA_HOME), when installArena was set. */
  arenaHome?: string;
  stop(): Promise<void>;
}

export { DEMO_MODEL };

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const pieces = new Set<Piece>(opts.pieces ?? ['hub', 'oss', 'releases', 'kube']);
  const dir = await mkdtemp(path.join(tmpdir(), 'arena-ft-sandbox-'));
  const faults = new FaultRegistry();
  const clock = new ScenarioClock(opts.speed ?? 50);
  const network = new NetworkModel();
  if (opts.network) network.configure(opts.network);
  const stops: (() => Promise<void>)[] = [];
  const sb: Sandbox = {
    info: {} as SandboxInfo,
    dir,
    faults,
    clock,
    network,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    if (pieces.has('hub')) {
      const hub = await startHub({ faults, pageSize: opts.hubPageSize, network });
      stops.push(() => hub.stop());
      sb.hub = hub;
      if (opts.seedDemo !== false) {
        hub.declareRepo({ id: DEMO_MODEL.repo, files: demoModelFiles() });
      }
      sb.info.hub = { endpoint: hub.endpoint, token: hub.token };
      sb.info.cluster = { ...sb.info.cluster, hub: { endpoint: hub.clusterEndpoint } };
    }
    if (pieces.has('oss') || pieces.has('kube')) {
      const root = path.join(dir, 'oss');
      await mkdir(root, { recursive: true });
      const oss = await startOss({ faults, root, network });
      stops.push(() => oss.stop());
      sb.oss = oss;
      sb.info.oss = {
        endpoint: oss.endpoint,
        bucket: oss.bucket,
        region: oss.region,
        accessKeyId: oss.accessKeyId,
        accessKeySecret: oss.accessKeySecret
      };
      sb.info.cluster = { ...sb.info.cluster, oss: { endpoint: oss.internalEndpoint } };
    }
    if (pieces.has('releases')) {
      const releasesDir = path.join(dir, 'releases');
      await mkdir(releasesDir, { recursive: true });
      const releases = await startReleases({ faults, dir: releasesDir });
      stops.push(() => releases.stop());
      sb.releases = releases;
      sb.info.releases = { endpoint: releases.endpoint };
    }
    if (pieces.has('kube')) {
      const kubeDir = path.join(dir, 'kube');
      await mkdir(kubeDir, { recursive: true });
      const kube = await startKube({ faults, clock, dir: kubeDir, gracefulPodDeletion: true, istio: opts.istio });
      stops.push(() => kube.stop());
      sb.kube = kube;
      const ossAccess = sb.info.oss;
      const operator = startOperator({
        store: kube.store,
        pods: kube.pods,
        clock,
        oss: ossAccess,
        startTriton: createStartTriton({ oss: ossAccess, clock }),
        images: opts.images
      });
      stops.splice(stops.length - 1, 0, () => operator.stop()); // stop controllers before the API server
      sb.operator = operator;
      const router = new Router(kube.store, kube.pods as unknown as PortLookup);
      sb.router = router;
      sb.traffic = (o) => startTraffic(router, clock, o);
      // the pipeline runs as the manifest's ServiceAccount, bound to exactly the manifest's rules; the admin
      // kubeconfig is for the sandbox's own pieces and for tests' setup
      const manifest = parseRbacManifest(opts.rbacManifest ?? (await readFile(RBAC_MANIFEST, 'utf8')));
      kube.applyManifest(manifest.objects);
      const sa = await kube.serviceAccountKubeconfig(manifest.serviceAccount.name, manifest.serviceAccount.namespace);
      sb.info.kube = {
        // `kubeconfig` keeps its meaning for tools outside the suite (cluster-admin); the pipeline's is separate
        kubeconfig: kube.kubeconfigPath,
        pipelineKubeconfig: sa.path,
        namespace: kube.namespace,
        user: sa.user,
        adminKubeconfig: kube.kubeconfigPath,
        readOnlyKubeconfig: kube.readOnlyKubeconfigPath
      };
    }
    if (opts.installArena) {
      const installed = await installArenaStandIn(path.join(dir, 'arena'));
      sb.arenaBinDir = installed.binDir;
      sb.arenaChartDir = installed.chartDir;
      sb.arenaHome = installed.home;
    }
    const admin = await startAdmin(sb);
    stops.push(() => admin.stop());
    sb.info.admin = { endpoint: admin.endpoint };
    return sb;
  } catch (err) {
    await sb.stop();
    throw err;
  }
}
