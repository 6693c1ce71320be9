#!/usr/bin/env node
/**
 * The same pipeline outside GitHub Actions.
 *   arena-ft-pipeline run --config model.yaml [--stages sync,convert] [--plan] [--set name=value ...]
 *   arena-ft-pipeline sandbox
 * Exit codes: 0 every selected stage succeeded (or was skipped); 1 a stage failed; 2 bad usage or configuration;
 * 130 cancelled (SIGINT/SIGTERM).
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { loadConfig } from './config/load.js';
import { INPUTS, SECRET_INPUTS } from './config/inputs.js';
import { isPipelineError, describeError } from './errors.js';
import { runPipeline } from './pipeline/runner.js';
import { MemoryCleanupRegistry, runCleanup } from './pipeline/cleanup.js';
import { defaultStages } from './stages/index.js';
import { ConsoleLogger } from './cli/console-logger.js';
import { envName, inputGetter, parseSets, CONVENTIONAL_ENV } from './cli/env-inputs.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

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

async function runCommand(opts: { config?: string; stages?: string; plan?: boolean; set: string[] }): Promise<number> {
  hideWorkflowCommands();
  const log = new ConsoleLogger();
  const sets = parseSets(opts.set);
  if (opts.config) sets['model-spec'] = opts.config;
  if (opts.stages) sets.stages = opts.stages;
  if (opts.plan) sets.plan = 'true';
  const getInput = inputGetter(sets, process.env);
  for (const name of SECRET_INPUTS) {
    const v = getInput(name);
    if (v) log.secret(v);
  }
  let config;
  try {
    config = loadConfig({ getInput, env: process.env, workspace: process.cwd() });
  } catch (e) {
    log.error(describeError(e));
    if (isPipelineError(e)) for (const d of e.details) log.error(`  ${d}`);
    if (isPipelineError(e)) log.info(`what to do: ${e.hint}`);
    return EXIT.usage;
  }
  const controller = new AbortController();
  const onSignal = (sig: string) => {
    log.warning(`${sig}: cancelling; what this run started is being cleaned up`);
    controller.abort(new Error(`cancelled by ${sig}`));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const cleanup = new MemoryCleanupRegistry();
  const report = await runPipeline({
    config,
    stages: defaultStages(),
    log,
    signal: controller.signal,
    env: process.env,
    cleanup
  });
  if (!report.ok && cleanup.list().length > 0) {
    await runCleanup(cleanup.list(), { log, env: process.env, signal: new AbortController().signal });
  }
  log.info('');
  for (const r of report.results) {
    log.info(
      `${r.stage.padEnd(8)} ${r.status.padEnd(8)} ${(r.durationMs / 1000).toFixed(1).padStart(7)} s  ${r.summary}`
    );
  }
  if (report.failure) {
    log.error(`${report.failure.stage}: ${report.failure.error.message}`);
    log.info(`what to do: ${report.failure.error.hint}`);
  }
  if (controller.signal.aborted) return EXIT.cancelled;
  return report.ok ? EXIT.ok : EXIT.failed;
}

export function buildProgram(): Command {
  const program = new Command('arena-ft-pipeline')
    .description('HuggingFace model → OSS → FasterTransformer conversion → Triton on ACK, through Arena')
    .addHelpText('after', `\nExit codes: 0 success, 1 a stage failed, 2 bad usage or configuration, 130 cancelled.`)
    // Before the commands are added, so they inherit it: usage errors exit 2, help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  program
    .command('run')
    .description('run the pipeline against the cluster and OSS bucket your environment points at')
    .option('-c, --config <model.yaml>', 'model spec YAML (model, hf, convert, serve, smoke settings)')
    .option('-s, --stages <list>', 'stages to run: all, or a comma list of setup,sync,storage,convert,deploy,smoke')
    .option('--plan', 'dry run: say what each stage would do, change nothing')
    .addOption(
      new Option('--set <name=value>', 'any action input, e.g. --set oss-bucket=models (repeatable)')
        .argParser((v: string, prev: string[] = []) => [...prev, v])
        .default([])
    )
    .addHelpText(
      'after',
      [
        '',
        "Inputs are the action's (see the README); besides --set, each can come from ARENA_FT_<NAME>",
        `(e.g. ${envName('oss-bucket')}). Conventional variables also work: ${Object.values(CONVENTIONAL_ENV).join(', ')},`,
        'and KUBECONFIG when no kubeconfig input is given.',
        `Known inputs: ${INPUTS.map((i) => i.name).join(', ')}.`
      ].join('\n')
    )
    .action(async (opts) => {
      process.exitCode = await runCommand(opts);
    });
  program
    .command('sandbox')
    .description('start the local sandbox (from a source checkout): prints one JSON line, serves until Ctrl-C')
    .action(() => {
      // dist/cli/index.js (the bin) or src/cli.ts: the checkout is the nearest folder with sandbox/cli.ts
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
  return program;
}

const invokedDirectly =
  !!process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(path.resolve(process.argv[1]));
if (invokedDirectly || process.env.ARENA_FT_CLI === '1') {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err) => {
      process.stderr.write(`arena-ft-pipeline: ${describeError(err)}\n`);
      process.exit(EXIT.usage);
    });
}
