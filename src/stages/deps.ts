/**
 * What the cluster stages (storage, convert, deploy, smoke) need from the outside world, as interfaces: the
 * composition root (src/composition/cluster.ts) builds the real ones from the config, tests pass their own.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { retryingArena, type ArenaRunner } from '../arena/exec.js';
import type { forwardPort } from '../k8s/portforward.js';
import { KUBE_ATTEMPTS, type KubeApi } from '../k8s/types.js';
import type { Timers } from '../k8s/wait.js';
import type { StageContext } from '../pipeline/types.js';
import type { TritonClient, TritonClientOptions } from '../triton/client.js';
import type { RetryOptions } from '../util/retry.js';
import { arenaEffectChecker } from './arena-effects.js';

/** The OSS calls the cluster stages make (a subset of src/oss's OssStore). */
export interface ObjectStoreLike {
  head(key: string): Promise<{ size: number } | undefined>;
  getText(key: string): Promise<string | undefined>;
  putObject(key: string, body: Buffer): Promise<void>;
  list(prefix: string): Promise<{ keys: { key: string; size: number }[] }>;
}

export interface ClusterDeps {
  kube(ctx: Pick<StageContext, 'config' | 'env'>): { api: KubeApi; kc: KubeConfig };
  oss(ctx: Pick<StageContext, 'config' | 'signal'>): ObjectStoreLike;
  arena: ArenaRunner;
  forwardPort: typeof forwardPort;
  /** A KServe v2 client of the server behind a local (port-forwarded) port. */
  triton(port: number, opts: TritonClientOptions): TritonClient;
  timers?: Timers;
  /** The wait between retries of API and arena calls (tests pass one that does not wait). */
  retrySleep?: RetryOptions['sleep'];
  /** Called when a watched job or rollout ends, with the moment the stage noticed (for the bench). */
  onNoticed?: (what: 'job' | 'rollout', obj: unknown, noticedAtMs: number) => void;
}

/**
 * The arena runner a stage uses: transient API failures retried with the API calls' budget, each re-run only
 * after the Kubernetes API shows that the failed call left nothing (src/arena/exec.ts).
 */
export function stageArena(
  deps: ClusterDeps,
  api: KubeApi,
  onRetry?: (why: string, attempt: number, delayMs: number) => void
): ArenaRunner {
  return retryingArena(deps.arena, {
    attempts: KUBE_ATTEMPTS,
    check: arenaEffectChecker(api),
    ...(deps.retrySleep ? { sleep: deps.retrySleep } : {}),
    ...(onRetry ? { onRetry } : {})
  });
}

/** The log line of an arena re-run. */
export function arenaRetryLog(ctx: Pick<StageContext, 'log'>): (why: string, attempt: number, delayMs: number) => void {
  return (why, attempt, delay) =>
    ctx.log.warning(
      `arena failed on a transient Kubernetes API error (${why}); the API shows it created nothing, running it again in ${delay} ms (attempt ${attempt + 1})`
    );
}
