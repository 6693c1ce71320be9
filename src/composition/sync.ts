/** The sync stage's clients: the hub over HTTP, the bucket through ali-oss. */
import { HubClient } from '../hf/client.js';
import { OssStore } from '../oss/client.js';
import type { SyncClients } from '../stages/sync.js';

export const syncClients: SyncClients = {
  hub: (opts) => new HubClient(opts),
  oss: (conn, opts) => OssStore.connect(conn, opts)
};
