/**
 * What the cluster stages (storage, convert, deploy, smoke) need from the outside world, gathered in one place
 * so tests can swap any of it: the Kubernetes API, the OSS objects, the arena runner, timers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { OssStore } from '../oss/client.js';
import { runArena, type ArenaRunner } from '../arena/exec.js';
import type { StageContext } from '../pipeline/types.js';
import { ClientNodeKubeApi, loadKubeConfig } from './client.js';
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
  /** Called when a watched job or rollout ends, with the moment the stage noticed (for the bench). */
  onNoticed?: (what: 'job' | 'rollout', obj: unknown, noticedAtMs: number) => void;
}

const kubeCache = new WeakMap<Config, { api: KubeApi; kc: KubeConfig }>();

export const defaultDeps: ClusterDeps = {
  kube(ctx) {
    let k = kubeCache.get(ctx.config);
    if (!k) {
      const kc = loadKubeConfig(ctx.config, ctx.env);
      k = { api: new ClientNodeKubeApi(kc), kc };
      kubeCache.set(ctx.config, k);
    }
    return k;
  },
  oss(ctx) {
    return OssStore.fromConfig(ctx.config.oss, {
      attempts: Math.max(1, ctx.config.sync.retries + 1),
      signal: ctx.signal
    });
  },
  arena: runArena,
  forwardPort
};
