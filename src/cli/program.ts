/**
 * The CLI's commands: `run` (the pipeline with inputs from flags and the environment) and `sandbox`. Loaded by
 * src/cli.ts once the Node version is known to be good.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load.js';
import { INPUTS, SECRET_INPUTS } from '../config/inputs.js';
import type { Config } from '../config/types.js';
import { isPipelineError, describeError } from '../errors.js';
import { cleanUp, MemoryCleanupRegistry, removeKubeconfig, runStages, runSyncShard } from '../composition/index.js';
import type { RunState } from '../pipeline/types.js';
import { ConsoleLogger } from './console-logger.js';
import { envName, inputGetter, parseSets, CONVENTIONAL_ENV } from './env-inputs.js';
import { defaultToolCache, prepareWorkdirs } from './workdirs.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

export const EXIT_HELP = [
  'Exit codes:',
  '  0    every selected stage succeeded or was skipped (a plan: nothing wrong found)',
  '  1    a stage failed (what this run started is cleaned up before exit)',
  '  2    bad usage or configuration (nothing was started)',
  '  3    this Node is too old',
  '  130  cancelled by Ctrl-C or SIGTERM (what this run started is cleaned up before exit)'
].join('\n');

/**
 * Outside a runner the @actions/* libraries still print workflow commands (`::debug::`, `::set-env`, `::add-path::`)
 * that only a runner understands: keep them off the terminal (ARENA_FT_DEBUG=1 keeps `::debug::` lines).
 */
export function hideWorkflowCommands(stream: NodeJS.WriteStream = process.stdout): void {
  const write = stream.write.bind(stream) as (chunk: string) => boolean;
  const keep = (line: string) =>
    !/^::[a-z-]+( [^:]*)?::/.test(line) || (!!process.env.ARENA_FT_DEBUG && line.startsWith('::debug::'));
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const kept = text
      .split('\n')
      .filter((line, i, all) => keep(line) || (i === all.length - 1 && line === ''))
      .join('\n');
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    if (kept === '' || kept === '\n') {
      cb?.();
      return true;
    }
    return write(kept);
  }) as typeof stream.write;
}

interface RunOptions {
  config?: string;
  stages?: string;
  plan?: boolean;
  set: string[];
  toolCache?: string;
  tempDir?: string;
}

/**
 * `--config` names a file anywhere (the action's "inside the workspace" rule protects a runner's checkout, not a
 * user's machine): the spec is read from its folder, as that folder's workspace.
 */
function specLocation(file: string, cwd: string): { workspace: string; name: string } | { error: string } {
  const abs = path.resolve(cwd, file);
  try {
    if (!statSync(abs).isFile()) return { error: `--config ${file}: ${abs} is not a file` };
  } catch (e) {
    return { error: `--config ${file}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  return { workspace: path.dirname(abs), name: path.basename(abs) };
}

function readConfig(opts: RunOptions, log: ConsoleLogger): Config | undefined {
  const sets = parseSets(opts.set);
  let workspace = process.cwd();
  if (opts.config) {
    const where = specLocation(opts.config, process.cwd());
    if ('error' in where) {
      log.error(where.error);
      log.hint('pass the path of your model spec YAML file.');
      return undefined;
    }
    workspace = where.workspace;
    sets['model-spec'] = where.name;
  }
  if (opts.stages) sets.stages = opts.stages;
  if (opts.plan) sets.plan = 'true';
  const getInput = inputGetter(sets, process.env);
  for (const name of SECRET_INPUTS) {
    const v = getInput(name);
    if (v) log.secret(v);
  }
  try {
    return loadConfig({ getInput, env: process.env, workspace });
  } catch (e) {
    // Each problem once: a single problem is the message itself, several are listed under a count.
    const message = describeError(e);
    log.error(message);
    if (isPipelineError(e)) {
      for (const d of e.details) if (d !== message) log.error(`  ${d}`);
      log.hint(e.hint);
    }
    return undefined;
  }
}

async function runCommand(opts: RunOptions): Promise<number> {
  hideWorkflowCommands();
  const log = new ConsoleLogger();
  const config = readConfig(opts, log);
  if (!config) return EXIT.usage;

  const dirs = prepareWorkdirs({ toolCache: opts.toolCache, tempDir: opts.tempDir }, process.env);
  log.debug(`tool cache ${dirs.toolCache}, temp ${dirs.temp}`);
  // A signal that arrives after the run is over still must not leave the temp folder behind.
  process.once('exit', () => dirs.remove());
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    log.warning(`${sig}: cancelling; what this run started is being cleaned up (send it again to stop at once)`);
    controller.abort(new Error(`cancelled by ${sig}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const cleanup = new MemoryCleanupRegistry();
  const state: RunState = {};
  try {
    const report = await runStages({
      config,
      log,
      signal: controller.signal,
      env: process.env,
      cleanup,
      state
    });
    if (!report.ok && cleanup.list().length > 0) {
      await cleanUp(cleanup.list(), config, { log, env: process.env, signal: AbortSignal.timeout(5 * 60_000) });
    }
    log.info('');
    for (const r of report.results) {
      // A failed stage's message is printed once, on stderr below.
      const summary = r.status === 'failed' && r.error ? `${r.error.code} (see below)` : r.summary;
      log.info(
        `${r.stage.padEnd(8)} ${r.status.padEnd(8)} ${(r.durationMs / 1000).toFixed(1).padStart(7)} s  ${summary}`
      );
    }
    if (report.failure) {
      log.error(`${report.failure.stage}: ${report.failure.error.message}`);
      log.hint(report.failure.error.hint);
    }
    if (controller.signal.aborted) return EXIT.cancelled;
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    if (typeof state.kubeconfigPath === 'string') await removeKubeconfig(state.kubeconfigPath);
    dirs.remove();
  }
}

export function buildProgram(): Command {
  const program = new Command('arena-ft-pipeline')
    .description('HuggingFace model → OSS → FasterTransformer conversion → Triton on ACK, through Arena')
    .addHelpText('after', `\n${EXIT_HELP}`)
    // Before the commands are added, so they inherit it: usage errors exit 2, help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  addRunCommand(program);
  addSyncShardCommand(program);
  addSandboxCommand(program);
  return program;
}

/** `run`: the pipeline, with the action's inputs from flags, ARENA_FT_* and conventional variables. */
function addRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the pipeline against the cluster and OSS bucket your environment points at')
    .option('-c, --config <model.yaml>', 'model spec YAML, any path (model, hf, convert, serve, smoke settings)')
    .option(
      '-s, --stages <list>',
      'stages to run: all, or a comma list of setup,sync,storage,convert,deploy,smoke,canary,gc (all leaves out canary and gc)'
    )
    .option('--plan', 'dry run: say what each stage would do, change nothing')
    .addOption(
      new Option('--set <name=value>', 'any action input, e.g. --set oss-bucket=models (repeatable)')
        .argParser((v: string, prev: string[] = []) => [...prev, v])
        .default([])
    )
    .option(
      '--tool-cache <dir>',
      `where kubectl and arena are kept between runs (env ARENA_FT_TOOL_CACHE; default ${defaultToolCache({ XDG_CACHE_HOME: '$XDG_CACHE_HOME' }).replace(/^.*\$XDG_CACHE_HOME/, '$XDG_CACHE_HOME')} or ~/.cache/arena-ft-pipeline/tools)`
    )
    .option(
      '--temp-dir <dir>',
      "where this run's scratch folder is made and removed at exit (env ARENA_FT_TEMP_DIR; default the OS temp folder)"
    )
    .addHelpText(
      'after',
      [
        '',
        "Inputs are the action's (see the README); besides --set, each can come from ARENA_FT_<NAME>",
        `(e.g. ${envName('oss-bucket')}). Conventional variables also work: ${Object.values(CONVENTIONAL_ENV).join(', ')},`,
        'and KUBECONFIG when no kubeconfig input is given.',
        `Known inputs: ${INPUTS.map((i) => i.name).join(', ')}.`,
        '',
        EXIT_HELP
      ].join('\n')
    )
    .action(async (opts: RunOptions) => {
      process.exitCode = await runCommand(opts);
    });
}

/** `sync-shard`: what a cluster-mode sync pod runs (src/stages/sync-shard-pod.ts). */
function addSyncShardCommand(program: Command): void {
  program
    .command('sync-shard')
    .description(
      'inside a cluster-mode sync pod: sync this pod’s shard (plan from ARENA_FT_SYNC_PLAN, index from JOB_COMPLETION_INDEX, credentials from the env its Secret fills)'
    )
    .action(async () => {
      const controller = new AbortController();
      // the pod is being deleted (cancel, or the Job replacing it): stop; unfinished uploads stay for the next pod
      const onSignal = (sig: NodeJS.Signals) => controller.abort(new Error(`${sig} received`));
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const code = await runSyncShard({
        env: process.env,
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
        signal: controller.signal
      });
      // open keep-alive sockets must not hold the pod up (stdout to a pipe is written synchronously on Linux)
      process.exit(code);
    });
}

/** `sandbox`: the local sandbox, from a source checkout only. */
function addSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('start the local sandbox (from a source checkout): prints one JSON line, serves until Ctrl-C')
    .action(() => {
      // dist/cli/index.js (the bin) or src/cli/program.ts: the checkout is the nearest folder with sandbox/cli.ts
      const here = path.dirname(fileURLToPath(import.meta.url));
      const root = [path.resolve(here, '../..'), path.resolve(here, '..')].find((d) =>
        existsSync(path.join(d, 'sandbox/cli.ts'))
      );
      if (!root) {
        process.stderr.write(
          'arena-ft-pipeline sandbox: the sandbox ships with the source checkout only (npm run sandbox there)\n'
        );
        process.exitCode = EXIT.usage;
        return;
      }
      const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'sandbox/cli.ts')], {
        stdio: 'inherit'
      });
      child.on('exit', (code) => (process.exitCode = code ?? EXIT.failed));
    });
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    process.stderr.write(`arena-ft-pipeline: ${describeError(err)}\n`);
    process.exitCode = EXIT.usage;
  }
}
