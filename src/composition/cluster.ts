/**
 * The cluster stages' dependencies built from the config (the interfaces are in src/stages/deps.ts): one
 * Kubernetes client per Config, the OSS store, the arena runner, port-forwarding.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { runArena } from '../arena/exec.js';
import { ClientNodeKubeApi, loadKubeConfig, type KubeRetryOptions } from '../k8s/client.js';
import { forwardPort } from '../k8s/portforward.js';
import type { KubeApi } from '../k8s/types.js';
import { OssStore } from '../oss/client.js';
import { TritonClient } from '../triton/client.js';
import { clientNodeMesh } from '../k8s/mesh.js';
import type { MeshFactory } from '../stages/canary.js';
import type { ClusterDeps } from '../stages/deps.js';

/** The `kube` dependency: one client per Config, its request retries waiting with `retry.sleep`. */
export function kubeFactory(retry: KubeRetryOptions = {}): ClusterDeps['kube'] {
  const cache = new WeakMap<Config, { api: KubeApi; kc: KubeConfig }>();
  return (ctx) => {
    let k = cache.get(ctx.config);
    if (!k) {
      const kc = loadKubeConfig(ctx.config.cluster, ctx.env);
      k = { api: new ClientNodeKubeApi(kc, retry), kc };
      cache.set(ctx.config, k);
    }
    return k;
  };
}

export const defaultDeps: ClusterDeps = {
  kube: kubeFactory(),
  oss(ctx) {
    return OssStore.connect(ctx.config.oss, {
      attempts: Math.max(1, ctx.config.sync.retries + 1),
      signal: ctx.signal
    });
  },
  arena: runArena,
  forwardPort,
  triton: (port, opts) => new TritonClient(port, opts)
};

/** The canary stage's mesh client (Service, Istio kinds, scaling, metrics through port-forward). */
export const canaryMesh: MeshFactory = (kc, deps) => clientNodeMesh(kc, deps.forwardPort);
