/**
 * What the cluster stages (storage, convert, deploy, smoke) need from the outside world, gathered in one place
 * so tests can swap any of it: the Kubernetes API, the OSS objects, the arena runner, timers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { OssStore } from '../oss/client.js';
import { arenaEffectChecker, retryingArena, runArena, type ArenaRunner } from '../arena/exec.js';
import type { RetryOptions } from '../util/retry.js';
import type { StageContext } from '../pipeline/types.js';
import { ClientNodeKubeApi, KUBE_ATTEMPTS, loadKubeConfig, type KubeRetryOptions } from './client.js';
import type { KubeApi } from './types.js';
import type { Timers } from './wait.js';
import { forwardPort } from './portforward.js';

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
  timers?: Timers;
  /** The wait between retries of API and arena calls (tests pass one that does not wait). */
  retrySleep?: RetryOptions['sleep'];
  /** Called when a watched job or rollout ends, with the moment the stage noticed (for the bench). */
  onNoticed?: (what: 'job' | 'rollout', obj: unknown, noticedAtMs: number) => void;
}

/** The `kube` dependency: one client per Config, its request retries waiting with `retry.sleep`. */
export function kubeFactory(retry: KubeRetryOptions = {}): ClusterDeps['kube'] {
  const cache = new WeakMap<Config, { api: KubeApi; kc: KubeConfig }>();
  return (ctx) => {
    let k = cache.get(ctx.config);
    if (!k) {
      const kc = loadKubeConfig(ctx.config, ctx.env);
      k = { api: new ClientNodeKubeApi(kc, retry), kc };
      cache.set(ctx.config, k);
    }
    return k;
  };
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

export const defaultDeps: ClusterDeps = {
  kube: kubeFactory(),
  oss(ctx) {
    return OssStore.fromConfig(ctx.config.oss, {
      attempts: Math.max(1, ctx.config.sync.retries + 1),
      signal: ctx.signal
    });
  },
  arena: runArena,
  forwardPort
};
