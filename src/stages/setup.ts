/**
 * setup: the pinned tools (kubectl, arena) from the tool cache or a verified download, on PATH; the cluster
 * context from the kubeconfig input (written 0600, exported as KUBECONFIG) or an already exported KUBECONFIG;
 * then one request to the API server to prove the credentials work.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { PipelineError, oneLine } from '../errors.js';
import type { ClusterVersion } from '../kubeconfig/check.js';
import { parseKubeconfig } from '../config/kubeconfig.js';
import { writeKubeconfig } from '../kubeconfig/write.js';
import type { Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import { arenaSource } from '../tools/arena.js';
import { ARENA_HOME_VAR, arenaChildEnv } from '../arena/env.js';
import { linkUserCharts, prepareArenaLayout } from '../tools/arena-layout.js';
import type { DownloadOptions } from '../tools/download.js';
import { installTool, toolArch, verificationText, type Installed } from '../tools/install.js';
import { kubectlSource } from '../tools/kubectl.js';
import { verifyArena, verifyKubectl } from '../tools/verify.js';

/** What the setup stage changes in the job's environment (core's functions in the action; fakes in tests). */
export interface SetupHost {
  addPath(dir: string): void;
  exportVariable(name: string, value: string): void;
}

export interface SetupDeps {
  readonly host?: SetupHost;
  readonly download?: Omit<DownloadOptions, 'followRedirects'>;
  /** Connectivity check time limit (ms). */
  readonly connectTimeoutMs?: number;
}

const actionsHost: SetupHost = {
  addPath: (dir) => core.addPath(dir),
  exportVariable: (name, value) => core.exportVariable(name, value)
};

function tempDir(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP || os.tmpdir();
}

async function installTools(ctx: StageContext, deps: SetupDeps, host: SetupHost) {
  const arch = toolArch(ctx.env.RUNNER_ARCH);
  const addPath = (dir: string) => {
    host.addPath(dir);
    ctx.env.PATH = `${dir}${path.delimiter}${ctx.env.PATH ?? ''}`;
  };
  const installDeps = {
    log: ctx.log,
    tempDir: tempDir(ctx.env),
    addPath,
    download: { ...deps.download, signal: ctx.signal }
  };
  const { kubectl: kspec, arena: aspec } = ctx.config.tools;
  const kubectl = await installTool(kubectlSource(kspec, arch), installDeps);
  await verifyKubectl(kubectl.binary, kspec.version);
  const arena = await installTool(arenaSource(aspec, arch), installDeps);
  const binDir = await setUpArena(ctx, host, { arena, kubectl, arch, addPath });
  // Through the PATH entry users get, with the environment the product's arena processes get.
  await verifyArena(path.join(binDir, 'arena'), aspec.version, arenaChildEnv(ctx.env));
  return { arch, kubectl, arena };
}

/**
 * What Arena's install.sh does for `--only-binary`, without root (see tools/arena-layout.ts for why each part):
 * `arena` and `arena-kubectl` (→ the pinned kubectl) in a directory of their own on PATH, the run's own HOME for
 * the product's arena processes, and `~/charts` for the user's own arena steps when it clobbers nothing.
 */
async function setUpArena(
  ctx: StageContext,
  host: SetupHost,
  o: { arena: Installed; kubectl: Installed; arch: string; addPath: (dir: string) => void }
): Promise<string> {
  const { arena: aspec, kubectl: kspec } = ctx.config.tools;
  const charts = path.join(o.arena.dir, 'charts');
  if (!existsSync(charts)) {
    throw new PipelineError(
      'TOOL_ARCHIVE_INVALID',
      `The Arena installer ${aspec.version} (${o.arena.dir}) has no charts/ folder, which arena needs to submit jobs`,
      'Point arena-url at an arena-installer-<version>-linux-<arch>.tar.gz release asset (it holds bin/ and charts/).'
    );
  }
  // Keyed by what it links to, so parallel runs with other versions never rewrite each other's links.
  const runDir = path.join(tempDir(ctx.env), `arena-ft-arena-${aspec.version}-${o.arch}-kubectl-${kspec.version}`);
  const layout = await prepareArenaLayout(runDir, { arena: o.arena.binary, kubectl: o.kubectl.binary, charts });
  o.addPath(layout.binDir);
  host.exportVariable(ARENA_HOME_VAR, layout.home);
  ctx.env[ARENA_HOME_VAR] = layout.home;
  ctx.log.info(
    `arena and arena-kubectl (→ ${o.kubectl.binary}) on PATH from ${layout.binDir}; this action's arena commands run with HOME=${layout.home} (charts → ${charts})`
  );
  const home = ctx.env.HOME;
  if (home && existsSync(home)) {
    const outcome = await linkUserCharts(home, charts);
    if (outcome.warning) ctx.log.warning(outcome.message);
    else ctx.log.info(outcome.message);
  }
  return layout.binDir;
}

async function setUpCluster(
  ctx: StageContext,
  deps: SetupDeps,
  host: SetupHost
): Promise<{ text: string; version?: ClusterVersion }> {
  const { kubeconfig, context } = ctx.config.cluster;
  let kubeconfigPath: string | undefined;
  if (kubeconfig) {
    const info = parseKubeconfig(kubeconfig, context);
    for (const s of info.secrets) ctx.log.secret(s);
    kubeconfigPath = await writeKubeconfig(info.yaml, tempDir(ctx.env));
    ctx.state.kubeconfigPath = kubeconfigPath;
    host.exportVariable('KUBECONFIG', kubeconfigPath);
    ctx.env.KUBECONFIG = kubeconfigPath;
    ctx.log.info(`Wrote the kubeconfig (context "${info.context}") to ${kubeconfigPath} and exported KUBECONFIG`);
  } else if (ctx.env.KUBECONFIG) {
    kubeconfigPath = ctx.env.KUBECONFIG.split(path.delimiter)[0];
    if (!existsSync(kubeconfigPath)) {
      throw new PipelineError(
        'KUBECONFIG_MISSING',
        `KUBECONFIG points at ${kubeconfigPath}, which does not exist`,
        'Run the step that writes the kubeconfig (e.g. aliyun/ack-set-context) before this one, or pass the kubeconfig input.'
      );
    }
    ctx.log.info(`Using the exported KUBECONFIG (${kubeconfigPath})`);
  } else {
    ctx.log.info('No kubeconfig input and no exported KUBECONFIG: tools only, no cluster check.');
    return { text: 'no cluster credentials given' };
  }
  // Loaded on demand: @kubernetes/client-node is most of the bundle, and runs without a cluster never need it.
  const { checkConnectivity } = await import('../kubeconfig/check.js');
  const version = await checkConnectivity({
    kubeconfigPath,
    ...(context ? { context } : {}),
    ...(deps.connectTimeoutMs ? { timeoutMs: deps.connectTimeoutMs } : {}),
    // the same injected wait as the tool downloads' retries (tests never sleep for real)
    ...(deps.download?.sleep ? { sleep: deps.download.sleep } : {}),
    onRetry: (err, attempt, delay) =>
      ctx.log.warning(`Cluster check attempt ${attempt} failed (${oneLine(err)}); retrying in ${delay} ms`),
    signal: ctx.signal
  });
  ctx.log.info(`Cluster ${version.server} answers: Kubernetes ${version.version} (${version.platform})`);
  return { text: `cluster ${version.version}`, version };
}

export function createSetupStage(deps: SetupDeps = {}): Stage {
  const host = deps.host ?? actionsHost;
  return {
    name: 'setup',
    async run(ctx): Promise<StageOutcome> {
      const tools = await installTools(ctx, deps, host);
      const cluster = await setUpCluster(ctx, deps, host);
      const how = (i: Installed) => verificationText(i);
      const { kubectl, arena } = ctx.config.tools;
      // Installing is the work this stage can skip; the kubeconfig and the cluster check are redone every run.
      const cached = tools.kubectl.fromCache && tools.arena.fromCache;
      return {
        status: cached ? 'skipped' : 'done',
        summary: `kubectl ${kubectl.version} (${how(tools.kubectl)}), arena ${arena.version} (${how(tools.arena)}), ${cluster.text}`,
        details: {
          arch: tools.arch,
          ...(cluster.version ? { server: cluster.version.version } : {})
        },
        outputs: ctx.state.kubeconfigPath ? { 'kubeconfig-path': String(ctx.state.kubeconfigPath) } : {}
      };
    },
    async plan(ctx) {
      const { kubectl, arena } = ctx.config.tools;
      const arch = toolArch(ctx.env.RUNNER_ARCH);
      const cachedK = tc.find('kubectl', kubectl.version, arch);
      const cachedA = tc.find('arena', arena.version, arch);
      const parts = [
        `kubectl ${kubectl.version} ${cachedK ? 'from the tool cache' : 'download'}`,
        `arena ${arena.version} ${cachedA ? 'from the tool cache' : 'download'}`,
        ctx.config.cluster.kubeconfig
          ? 'write the kubeconfig and check the cluster'
          : ctx.env.KUBECONFIG
            ? 'check the cluster (exported KUBECONFIG)'
            : 'no cluster check'
      ];
      return { action: 'run', reason: parts.join(', ') };
    }
  };
}
