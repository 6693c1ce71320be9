/**
 * The cleanup handlers, one per record kind, built from the config: the action's main and post steps and the CLI
 * all take them from here (so the CLI's cleanup after a failure or Ctrl-C undoes the same things the post step
 * does). Each adapter is imported only when a record of its kind is left (the post bundle stays small, and a
 * clean run loads none of them).
 */
import { rm } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import type { KubeApi } from '../k8s/types.js';
import type { CleanupHandler, CleanupHandlers } from '../pipeline/cleanup.js';
import type { TeardownDeps } from '../stages/teardown.js';

/** Retries of each OSS call while cleaning up (as many as a sync's, at least one). */
const ossAttempts = (config: Config) => Math.max(1, config.sync.retries + 1);

/**
 * The API client cleanup uses: the config's kubeconfig when the inputs still validate, else the exported
 * KUBECONFIG (ctx.env holds the one the setup stage wrote).
 */
async function cleanupApi(config: Config | undefined, env: NodeJS.ProcessEnv): Promise<KubeApi> {
  const { ClientNodeKubeApi, loadKubeConfig } = await import('../k8s/client.js');
  return new ClientNodeKubeApi(loadKubeConfig(config?.cluster ?? {}, env));
}

async function teardownDeps(config: Config | undefined, ctx: Parameters<CleanupHandler>[1]): Promise<TeardownDeps> {
  const { runArena } = await import('../arena/exec.js');
  return { arena: runArena, api: await cleanupApi(config, ctx.env), env: ctx.env, log: ctx.log };
}

/** `config` undefined: the inputs no longer validate; only what needs no configuration can be undone. */
export function cleanupHandlers(config: Config | undefined): CleanupHandlers {
  return {
    file: async (record) => {
      await rm(record.path, { force: true, recursive: true });
    },
    // `arena delete` / `arena serve delete`, each confirmed (and finished) through the Kubernetes API
    // (src/stages/teardown.ts), with ctx.env's KUBECONFIG and the PATH the setup stage exported.
    pytorchjob: async (record, ctx) => {
      const { removeTrainingJob } = await import('../stages/teardown.js');
      return removeTrainingJob(await teardownDeps(config, ctx), record.namespace, record.name);
    },
    serving: async (record, ctx) => {
      const { removeServingVersion } = await import('../stages/teardown.js');
      return removeServingVersion(await teardownDeps(config, ctx), record.namespace, record.name, record.version);
    },
    'sync-job': async (record, ctx) => {
      if (!config) throw new Error('no valid OSS configuration to abort the sync Job’s uploads with');
      const [{ removeSyncJob }, { OssStore }] = await Promise.all([
        import('../stages/sync-cluster.js'),
        import('../oss/client.js')
      ]);
      const store = OssStore.connect(config.oss, { attempts: ossAttempts(config), signal: ctx.signal });
      return removeSyncJob(await cleanupApi(config, ctx.env), store, record, ctx.log);
    },
    'multipart-upload': async (record, ctx) => {
      if (!config) throw new Error('no valid OSS configuration to abort the upload with');
      const [{ abortUploads }, { OssStore }] = await Promise.all([
        import('../oss/cleanup.js'),
        import('../oss/client.js')
      ]);
      const store = OssStore.connect(config.oss, { attempts: ossAttempts(config), signal: ctx.signal });
      const { failed } = await abortUploads(store, [record]);
      if (failed.length > 0) throw new Error(failed[0].error);
    }
  };
}
