/**
 * The sandbox HuggingFace Hub and its CDN origin: two local servers on random ports. Declare repos (inline or
 * generated files), move branches, and inject faults through the shared FaultRegistry (services 'hub', 'cdn').
 */
import { randomBytes } from 'node:crypto';
import type { FaultRegistry } from '../faults.js';
import { startCdn, UrlSigner } from './cdn.js';
import { Hasher, type Content, type FileSpec } from './content.js';
import { startHubServer } from './hub.js';
import { RepoStore, type RepoSpec } from './repos.js';
import type { NetworkModel } from '../network.js';

export type { FileSpec, GeneratedFileSpec, InlineFileSpec } from './content.js';
export { generate, generatorKey } from './content.js';
export type { RepoSpec } from './repos.js';

export interface HubOptions {
  faults: FaultRegistry;
  /** The one valid access token; must start with `hf_` (default: a random one). */
  token?: string;
  /** Tree listing page size (default 1000, or 50 with expand=true, as on the Hub). */
  pageSize?: number;
  /**
   * Mirror mode: behave as hf-mirror.com does, whose tree listings carry the upstream's own
   * `Link: <https://huggingface.co/api/...&cursor=...>; rel="next"` (padeoe/hf-mirror-site#65). The origin named
   * there (tests pass a local recorder instead of https://huggingface.co, so nothing leaves the machine).
   */
  mirrorOf?: string;
  /** Lifetime of the signed CDN URLs a resolve redirects to (default 3600). */
  urlTtlSeconds?: number;
  /** Clock for URL expiry and commit dates (default Date.now). */
  now?: () => number;
  /** Shapes the runner and cluster endpoints of the hub and its CDN (default: no shaping). */
  network?: NetworkModel;
}

export interface HubHandle {
  endpoint: string;
  cdnEndpoint: string;
  /** The hub as the cluster's pods reach it; its resolve redirects to `cdnClusterEndpoint`. */
  clusterEndpoint: string;
  cdnClusterEndpoint: string;
  token: string;
  declareRepo(spec: RepoSpec): void;
  /** Commit a change on `branch` (created from main when missing); returns the new commit sha. */
  moveBranch(repo: string, branch: string, change: { files?: FileSpec[]; remove?: string[] }): string;
  /** The commit sha a branch, tag, sha or HEAD resolves to now. */
  commitOf(repo: string, rev: string): string;
  stop(): Promise<void>;
}

export async function startHub(opts: HubOptions): Promise<HubHandle> {
  const token = opts.token ?? `hf_sandbox${randomBytes(12).toString('hex')}`;
  if (!token.startsWith('hf_')) throw new Error('the hub token must start with hf_ (real tokens do)');
  const now = opts.now ?? Date.now;
  const hasher = new Hasher();
  const store = new RepoStore(hasher, now);
  const signer = new UrlSigner(opts.urlTtlSeconds ?? 3600, now);
  const cdnObjects = new Map<string, Content>();
  const cdn = await startCdn(opts.faults, now, signer, cdnObjects, opts.network);
  const hub = await startHubServer({
    faults: opts.faults,
    token,
    pageSize: opts.pageSize,
    mirrorOf: opts.mirrorOf,
    now,
    store,
    signer,
    cdnObjects,
    cdnEndpoint: (side) => (side === 'cluster' ? cdn.clusterEndpoint : cdn.endpoint),
    network: opts.network
  });
  return {
    endpoint: hub.endpoint,
    cdnEndpoint: cdn.endpoint,
    clusterEndpoint: hub.clusterEndpoint,
    cdnClusterEndpoint: cdn.clusterEndpoint,
    token,
    declareRepo: (spec) => store.declare(spec),
    moveBranch: (repo, branch, change) => store.moveBranch(repo, branch, change),
    commitOf: (repo, rev) => store.commitOf(repo, rev),
    async stop() {
      await Promise.all([hub.stop(), cdn.stop(), hasher.stop()]);
    }
  };
}
