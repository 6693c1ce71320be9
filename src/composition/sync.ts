/** The sync stage's clients: the hub over HTTP, the bucket through ali-oss, and (cluster mode) the Kubernetes API. */
import { HubClient } from '../hf/client.js';
import { ClientNodeKubeApi, loadKubeConfig } from '../k8s/client.js';
import type { KubeApi } from '../k8s/types.js';
import { OssStore } from '../oss/client.js';
import type { StageContext } from '../pipeline/types.js';
import type { SyncClients } from '../stages/sync.js';

export const syncClients: SyncClients = {
  hub: (opts) => new HubClient(opts),
  oss: (conn, opts) => OssStore.connect(conn, opts)
};

/** The Kubernetes API of the run's kubeconfig (loaded only when the cluster mode runs). */
export function syncKube(ctx: Pick<StageContext, 'config' | 'env'>): KubeApi {
  return new ClientNodeKubeApi(loadKubeConfig(ctx.config.cluster, ctx.env));
}
