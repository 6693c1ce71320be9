/**
 * What the canary asks of the cluster beyond src/k8s/client.ts, on @kubernetes/client-node itself: which
 * networking.istio.io version is served (discovery), server-side apply of the routing objects with the product's
 * field manager (KubernetesObjectApi), a Deployment's scale subresource, and one reading of a pod's Triton
 * metrics through a port-forward.
 */
import {
  ApisApi,
  AppsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject
} from '@kubernetes/client-node';
import { FIELD_MANAGER, KubeApiError, type KObj } from './types.js';
import type { forwardPort as ForwardPort } from './portforward.js';

/** The networking.istio.io versions a cluster may serve, newest first in preference. */
export type IstioVersion = 'v1' | 'v1beta1' | 'v1alpha3';

export interface MeshApi {
  /** The networking.istio.io version to write through, or undefined when Istio's CRDs are not installed. */
  istioVersion(): Promise<IstioVersion | undefined>;
  /** Server-side apply, field manager `arena-ft-pipeline`, taking over fields others set (the canary owns routing). */
  apply(obj: KObj): Promise<void>;
  scale(namespace: string, deployment: string, replicas: number): Promise<void>;
  /** Triton's `/metrics` text of one pod (port 8002). */
  metrics(namespace: string, pod: string): Promise<string>;
}

const PREFERRED: readonly IstioVersion[] = ['v1', 'v1beta1', 'v1alpha3'];

/** The client-node error's status and body, as the product's other API errors say them. */
function apiError(what: string, err: unknown): Error {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number') {
    let msg = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
    try {
      msg = (JSON.parse(msg) as { message?: string }).message ?? msg;
    } catch {
      // not JSON: keep the text
    }
    return new KubeApiError(e.code, 'Error', `${what}: ${e.code} ${msg}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function clientNodeMesh(kc: KubeConfig, forwardPort: typeof ForwardPort): MeshApi {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  return {
    async istioVersion() {
      const groups = await kc
        .makeApiClient(ApisApi)
        .getAPIVersions()
        .catch((e: unknown) => {
          throw apiError('GET /apis', e);
        });
      const g = groups.groups.find((x) => x.name === 'networking.istio.io');
      const served = new Set(g?.versions.map((v) => v.version) ?? []);
      return PREFERRED.find((v) => served.has(v));
    },
    async apply(obj) {
      await objects
        .patch(obj as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
        .catch((e: unknown) => {
          throw apiError(`apply ${obj.kind} ${obj.metadata.name}`, e);
        });
    },
    async scale(namespace, deployment, replicas) {
      await kc
        .makeApiClient(AppsV1Api)
        .patchNamespacedDeploymentScale(
          { name: deployment, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
        )
        .catch((e: unknown) => {
          throw apiError(`scale deployment ${deployment}`, e);
        });
    },
    async metrics(namespace, pod) {
      const fwd = await forwardPort(kc, namespace, pod, 8002);
      try {
        const res = await fetch(`http://127.0.0.1:${fwd.port}/metrics`, { signal: AbortSignal.timeout(30_000) });
        if (!res.ok) throw new Error(`GET /metrics of pod ${pod} answered ${res.status}`);
        return await res.text();
      } finally {
        await fwd.close();
      }
    }
  };
}
