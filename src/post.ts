/**
 * The post step (runs even when the job failed or was cancelled): undoes what an unfinished run left running,
 * then removes the kubeconfig file the main step wrote.
 */
import * as core from '@actions/core';
import { loadConfig } from './config/load.js';
import type { Config } from './config/types.js';
import {
  cleanUp,
  loadPostState,
  POST_CLEANUP_BUDGET_MS,
  removeKubeconfig,
  type StateStore
} from './composition/index.js';
import { ActionsLogger } from './report/logger.js';

async function post(): Promise<void> {
  const log = new ActionsLogger();
  const store: StateStore = { save: (n, v) => core.saveState(n, v), get: (n) => core.getState(n) };
  const state = loadPostState(store);
  if (state.cleanup.length > 0) {
    if (state.finished) {
      log.warning(`The run finished but left ${state.cleanup.length} cleanup record(s); leaving them in place.`);
    } else {
      // The post step gets the same inputs as the main step: the OSS credentials come from there, never from state.
      let config: Config | undefined;
      try {
        config = loadConfig({ getInput: (name) => core.getInput(name), env: process.env });
      } catch {
        log.warning('The inputs no longer validate; only records that need no configuration are cleaned up.');
      }
      await log.group(`cleanup: ${state.cleanup.length} unfinished item(s)`, async () => {
        const env = { ...process.env, ...(state.kubeconfigPath ? { KUBECONFIG: state.kubeconfigPath } : {}) };
        await cleanUp(state.cleanup, config, { log, env, signal: AbortSignal.timeout(POST_CLEANUP_BUDGET_MS) });
      });
    }
  }
  if (state.kubeconfigPath && (await removeKubeconfig(state.kubeconfigPath))) {
    log.info(`Removed the kubeconfig ${state.kubeconfigPath}`);
  }
}

post().catch((e: unknown) => {
  core.warning(`arena-ft-pipeline post step: ${e instanceof Error ? e.message : String(e)}`);
});
