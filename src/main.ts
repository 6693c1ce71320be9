/** The action's main step: inputs → config → pipeline → report. */
import * as core from '@actions/core';
import { loadConfig } from './config/load.js';
import { SECRET_INPUTS } from './config/inputs.js';
import type { Config } from './config/types.js';
import { parseKubeconfig } from './config/kubeconfig.js';
import { isPipelineError, PipelineError } from './errors.js';
import {
  MemoryCleanupRegistry,
  runModelsPlan,
  runStages,
  savePostState,
  type PostState,
  type StateStore
} from './composition/index.js';
import type { RunState } from './pipeline/types.js';
import { actionsSink, writeEarlyFailure, writeReport } from './report/index.js';
import { ActionsLogger } from './report/logger.js';

const log = new ActionsLogger();
const store: StateStore = { save: (n, v) => core.saveState(n, v), get: (n) => core.getState(n) };

/** Masks every credential among the inputs before anything else reads them. */
function maskSecretInputs(): void {
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name);
    if (!value) continue;
    log.secret(value);
    if (name === 'kubeconfig') {
      try {
        for (const s of parseKubeconfig(value, core.getInput('kube-context') || undefined).secrets) log.secret(s);
      } catch {
        // An invalid kubeconfig is reported by the config check, without its content.
      }
    }
  }
}

/** The validated inputs, or undefined after reporting why they are not (the step fails). */
async function configOrReport(): Promise<Config | undefined> {
  try {
    return loadConfig({ getInput: (name) => core.getInput(name), env: process.env });
  } catch (e) {
    const err = isPipelineError(e)
      ? e
      : new PipelineError('CONFIG_INVALID', String(e), 'Check the inputs against the README.');
    for (const d of err.details) core.info(d);
    await writeEarlyFailure(err);
    process.exitCode = 1;
    return undefined;
  }
}

/** The models workflow's plan job: decide which model versions to build, run no stage. */
async function planModelsFile(file: string): Promise<void> {
  try {
    await runModelsPlan(
      {
        file,
        select: core.getInput('models-select'),
        baseRef: core.getInput('models-base-ref'),
        versionSuffix: core.getInput('models-version-suffix'),
        workspace: process.env.GITHUB_WORKSPACE ?? process.cwd()
      },
      actionsSink
    );
  } catch (e) {
    const err = isPipelineError(e) ? e : new PipelineError('MODELS_FILE_INVALID', String(e), 'Check the models file.');
    await writeEarlyFailure(err);
    process.exitCode = 1;
  }
}

/** Aborted on the runner's cancel (SIGINT, then SIGTERM): the stages stop, the post step cleans up. */
function cancelSignal(): AbortSignal {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      core.warning(`Received ${sig}: cancelling; the post step cleans up what is unfinished.`);
      controller.abort(new Error(`cancelled (${sig})`));
    });
  }
  return controller.signal;
}

/**
 * The stages, with what is left unfinished saved after each (the post step undoes it with the same handlers as
 * the CLI, src/composition/), then the report.
 */
async function runAndReport(config: Config): Promise<void> {
  const signal = cancelSignal();
  const post: PostState = { cleanup: [], finished: false };
  const cleanup = new MemoryCleanupRegistry([], (records) => {
    post.cleanup = [...records];
    savePostState(store, post);
  });
  savePostState(store, post);
  const state: RunState = {};
  const report = await runStages({
    config,
    log,
    signal,
    env: process.env,
    cleanup,
    state,
    onStageEnd: () => {
      if (typeof state.kubeconfigPath === 'string') post.kubeconfigPath = state.kubeconfigPath;
      savePostState(store, post);
    }
  });
  post.finished = report.ok;
  post.cleanup = [...cleanup.list()];
  savePostState(store, post);
  await writeReport(config, report);
  if (!report.ok) process.exitCode = 1;
}

async function main(): Promise<void> {
  maskSecretInputs();
  const config = await configOrReport();
  if (!config) return;
  const modelsFile = core.getInput('models-file');
  if (modelsFile) return planModelsFile(modelsFile);
  await runAndReport(config);
}

main().catch((e: unknown) => {
  core.setFailed(`arena-ft-pipeline crashed: ${e instanceof Error ? e.message : String(e)}`);
});
