/**
 * Runs the selected stages in order: each in a log group, timed, ending as done / skipped (with the reason) /
 * failed. The first failure stops the run; later stages are `not-run`. Plan mode asks each stage what it would
 * do instead of doing it.
 */
import type { Config, StageName } from '../config/types.js';
import { PipelineError, describeError, isPipelineError, outsideFault } from '../errors.js';
import { formatDuration } from '../util/format.js';
import type {
  CleanupRegistry,
  Logger,
  PlanAccess,
  PlanLine,
  RunState,
  Stage,
  StageContext,
  StageResult
} from './types.js';

export interface RunOptions {
  readonly config: Config;
  /** The stage registry (src/composition/stages.ts builds the real one). */
  readonly stages: ReadonlyMap<StageName, Stage>;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  readonly cleanup: CleanupRegistry;
  readonly state?: RunState;
  readonly now?: () => number;
  /** Called after each stage (the action saves post state here). */
  readonly onStageEnd?: (result: StageResult) => void;
}

export interface RunReport {
  readonly ok: boolean;
  readonly results: readonly StageResult[];
  /** Step outputs the stages set. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Extra Markdown for the job summary, in stage order. */
  readonly markdown: readonly string[];
  readonly state: RunState;
  readonly failure?: { readonly stage: StageName; readonly error: PipelineError };
  readonly plan?: readonly (PlanLine & { stage: StageName })[];
}

/** Any thrown value as a PipelineError (cancellation and bugs included). */
export function toPipelineError(e: unknown, stage: StageName, signal: AbortSignal): PipelineError {
  if (isPipelineError(e)) return e;
  if (signal.aborted) {
    return new PipelineError(
      'CANCELLED',
      `The ${stage} stage was cancelled`,
      'The run was cancelled; the post step removes what this run left unfinished. Re-run to continue: finished work is skipped.',
      { cause: e }
    );
  }
  // An outside service failing is not a bug: it gets its own code and what to do.
  const outside = outsideFault(e, stage);
  if (outside) return outside;
  return new PipelineError(
    'INTERNAL',
    `The ${stage} stage failed unexpectedly: ${describeError(e)}`,
    'This is a bug in arena-ft-pipeline: re-run with ACTIONS_STEP_DEBUG=true and report the log.',
    { cause: e }
  );
}

/** What the stages of one run have produced so far. */
interface RunSoFar {
  readonly state: RunState;
  readonly results: StageResult[];
  readonly outputs: Record<string, string>;
  readonly markdown: string[];
  readonly planLines: (PlanLine & { stage: StageName })[];
  failure?: RunReport['failure'];
}

/** Runs (or plans) the selected stages in order; after a failure or a cancel the rest are marked not run. */
export async function runPipeline(opts: RunOptions): Promise<RunReport> {
  const run: RunSoFar = { state: opts.state ?? {}, results: [], outputs: {}, markdown: [], planLines: [] };
  for (const name of opts.config.stages) {
    if (run.failure || opts.signal.aborted) {
      const reason = run.failure ? `not run: the ${run.failure.stage} stage failed` : 'not run: the run was cancelled';
      run.results.push({ stage: name, status: 'not-run', summary: reason, durationMs: 0 });
      continue;
    }
    const result = await opts.log.group(`${opts.config.plan ? 'plan' : 'stage'}: ${name}`, () =>
      runOneStage(opts, run, name)
    );
    run.results.push(result);
    opts.onStageEnd?.(result);
  }
  return {
    ok: run.failure === undefined && !opts.signal.aborted,
    results: run.results,
    outputs: run.outputs,
    markdown: run.markdown,
    state: run.state,
    ...(run.failure ? { failure: run.failure } : {}),
    ...(opts.config.plan ? { plan: run.planLines } : {})
  };
}

/** One stage, planned or run; its failure becomes the run's failure (with its details in the log). */
async function runOneStage(opts: RunOptions, run: RunSoFar, name: StageName): Promise<StageResult> {
  const now = opts.now ?? Date.now;
  const ctx: StageContext = {
    config: opts.config,
    log: opts.log,
    signal: opts.signal,
    state: run.state,
    cleanup: opts.cleanup,
    env: opts.env
  };
  const startedAt = now();
  const timing = () => ({ durationMs: now() - startedAt, startedAt: new Date(startedAt).toISOString() });
  let r: StageResult;
  try {
    const stage = opts.stages.get(name);
    if (!stage) {
      throw new PipelineError(
        'STAGE_NOT_AVAILABLE',
        `The ${name} stage is not available in this build`,
        'Use a released version of the action, or leave this stage out of the "stages" input.'
      );
    }
    r = {
      ...(opts.config.plan ? await planStage(opts, run, stage, ctx) : await runStage(run, stage, ctx)),
      ...timing()
    };
  } catch (e) {
    const error = toPipelineError(e, name, opts.signal);
    run.failure = { stage: name, error };
    r = {
      stage: name,
      status: 'failed',
      summary: error.message,
      ...timing(),
      error: { code: error.code, message: error.message, hint: error.hint }
    };
    // The annotation (with the hint) is written once, by the report; here the log keeps the details.
    for (const line of error.details) opts.log.info(`  ${line}`);
  }
  opts.log.info(`${name}: ${r.status} in ${formatDuration(r.durationMs)} — ${r.summary}`);
  return r;
}

type Untimed = Omit<StageResult, 'durationMs' | 'startedAt'>;

/**
 * Everything that needs no credential is planned (hub listing, names, commands, config.pbtxt); only "is it
 * already done?" needs OSS or the cluster, and is marked unknown without them.
 */
async function planStage(opts: RunOptions, run: RunSoFar, stage: Stage, ctx: StageContext): Promise<Untimed> {
  const line: PlanLine = await stage.plan({ ...ctx, planAccess: planAccess(opts.config, opts.env) });
  run.planLines.push({ ...line, stage: stage.name });
  for (const l of line.detail ?? []) opts.log.info(`  ${l}`);
  if (line.detail?.length) run.markdown.push(planMarkdown(stage.name, line.detail));
  const unknown = line.doneUnknown ? `; already done? unknown (${line.doneUnknown})` : '';
  return {
    stage: stage.name,
    status: line.action === 'run' ? 'planned' : 'skipped',
    summary: `${line.action === 'run' ? 'would run' : 'would skip'}: ${line.reason}${unknown}`
  };
}

async function runStage(run: RunSoFar, stage: Stage, ctx: StageContext): Promise<Untimed> {
  const outcome = await stage.run(ctx);
  Object.assign(run.outputs, outcome.outputs ?? {});
  if (outcome.markdown) run.markdown.push(outcome.markdown);
  return {
    stage: stage.name,
    status: outcome.status,
    summary: outcome.summary,
    ...(outcome.details ? { details: outcome.details } : {})
  };
}

/** What a plan may look at in this run. */
export function planAccess(config: Config, env: NodeJS.ProcessEnv): PlanAccess {
  const oss = config.oss.accessKeyId !== '' && config.oss.accessKeySecret !== '';
  const cluster = Boolean(config.cluster.kubeconfig || env.KUBECONFIG);
  const missing = [...(oss ? [] : ['no OSS credentials']), ...(cluster ? [] : ['no kubeconfig'])];
  return { oss, cluster, ...(missing.length ? { missing: `${missing.join(', ')} in this run` } : {}) };
}

/** A stage's full plan as a folded block of the job summary (commands and generated files carry no secret). */
export function planMarkdown(stage: StageName, detail: readonly string[]): string {
  const body = detail.map((l) => l.replace(/```/g, "'''")).join('\n');
  return `<details><summary>plan: ${stage}</summary>\n\n\`\`\`text\n${body}\n\`\`\`\n\n</details>`;
}
