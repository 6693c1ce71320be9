/**
 * setup: the pinned tools (kubectl, arena) from the tool cache or a verified download, on PATH; the cluster
 * context from the kubeconfig input (written 0600, exported as KUBECONFIG) or an already exported KUBECONFIG;
 * then one request to the API server to prove the credentials work.
 */
import { existsSync } from 'node:fs';
import { lstat, symlink, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { PipelineError, oneLine } from '../errors.js';
import type { ClusterVersion } from '../kubeconfig/check.js';
import { parseKubeconfig } from '../kubeconfig/parse.js';
import { writeKubeconfig } from '../kubeconfig/write.js';
import type { Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import { arenaSource } from '../tools/arena.js';
import type { DownloadOptions } from '../tools/download.js';
import { installTool, toolArch, type Installed } from '../tools/install.js';
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
  const installDeps = {
    log: ctx.log,
    tempDir: tempDir(ctx.env),
    addPath: (dir: string) => {
      host.addPath(dir);
      ctx.env.PATH = `${dir}${path.delimiter}${ctx.env.PATH ?? ''}`;
    },
    download: { ...deps.download, signal: ctx.signal }
  };
  const { kubectl: kspec, arena: aspec } = ctx.config.tools;
  const kubectl = await installTool(kubectlSource(kspec, arch), installDeps);
  await verifyKubectl(kubectl.binary, kspec.version);
  const arena = await installTool(arenaSource(aspec, arch), installDeps);
  await linkArenaCharts(ctx, arena, host);
  await verifyArena(arena.binary, aspec.version, ctx.env);
  return { arch, kubectl, arena };
}

/**
 * Arena looks for its charts in $HOME/charts, then /charts (CHARTS_FOLDER in some builds): point both at the
 * cached charts without needing root.
 */
async function linkArenaCharts(ctx: StageContext, arena: Installed, host: SetupHost): Promise<void> {
  const charts = path.join(arena.dir, 'charts');
  if (!existsSync(charts)) return;
  host.exportVariable('CHARTS_FOLDER', charts);
  ctx.env.CHARTS_FOLDER = charts;
  const home = ctx.env.HOME;
  if (!home || !existsSync(home)) return;
  const link = path.join(home, 'charts');
  const there = await lstat(link).catch(() => undefined);
  // A link left by an earlier job whose tool cache is gone dangles (existsSync follows it): replace it.
  if (there?.isSymbolicLink() && !existsSync(link)) await unlink(link);
  else if (there) return;
  await symlink(charts, link);
  ctx.log.info(`Linked ${link} → ${charts} (Arena's chart folder)`);
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
      const how = (i: Installed) =>
        i.fromCache ? 'cached' : i.verified ? 'downloaded, sha256 verified' : 'downloaded, NOT verified';
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

export const setupStage: Stage = createSetupStage();
