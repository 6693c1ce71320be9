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
  /** The stage registry (src/stages/index.ts). */
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

export async function runPipeline(opts: RunOptions): Promise<RunReport> {
  const now = opts.now ?? Date.now;
  const state: RunState = opts.state ?? {};
  const results: StageResult[] = [];
  const outputs: Record<string, string> = {};
  const markdown: string[] = [];
  const planLines: (PlanLine & { stage: StageName })[] = [];
  let failure: RunReport['failure'];

  for (const name of opts.config.stages) {
    if (failure || opts.signal.aborted) {
      const reason = failure ? `not run: the ${failure.stage} stage failed` : 'not run: the run was cancelled';
      results.push({ stage: name, status: 'not-run', summary: reason, durationMs: 0 });
      continue;
    }
    const ctx: StageContext = {
      config: opts.config,
      log: opts.log,
      signal: opts.signal,
      state,
      cleanup: opts.cleanup,
      env: opts.env
    };
    const startedAt = now();
    const result = await opts.log.group(`${opts.config.plan ? 'plan' : 'stage'}: ${name}`, async () => {
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
        if (opts.config.plan) {
          // Everything that needs no credential is planned (hub listing, names, commands, config.pbtxt); only
          // "is it already done?" needs OSS or the cluster, and is marked unknown without them.
          const line: PlanLine = await stage.plan({ ...ctx, planAccess: planAccess(opts.config, opts.env) });
          planLines.push({ ...line, stage: name });
          for (const l of line.detail ?? []) opts.log.info(`  ${l}`);
          const unknown = line.doneUnknown ? `; already done? unknown (${line.doneUnknown})` : '';
          r = {
            stage: name,
            status: line.action === 'run' ? 'planned' : 'skipped',
            summary: `${line.action === 'run' ? 'would run' : 'would skip'}: ${line.reason}${unknown}`,
            durationMs: now() - startedAt,
            startedAt: new Date(startedAt).toISOString()
          };
          if (line.detail?.length) markdown.push(planMarkdown(name, line.detail));
        } else {
          const outcome = await stage.run(ctx);
          Object.assign(outputs, outcome.outputs ?? {});
          if (outcome.markdown) markdown.push(outcome.markdown);
          r = {
            stage: name,
            status: outcome.status,
            summary: outcome.summary,
            durationMs: now() - startedAt,
            startedAt: new Date(startedAt).toISOString(),
            ...(outcome.details ? { details: outcome.details } : {})
          };
        }
      } catch (e) {
        const error = toPipelineError(e, name, opts.signal);
        failure = { stage: name, error };
        r = {
          stage: name,
          status: 'failed',
          summary: error.message,
          durationMs: now() - startedAt,
          startedAt: new Date(startedAt).toISOString(),
          error: { code: error.code, message: error.message, hint: error.hint }
        };
        // The annotation (with the hint) is written once, by the report; here the log keeps the details.
        for (const line of error.details) opts.log.info(`  ${line}`);
      }
      opts.log.info(`${name}: ${r.status} in ${formatDuration(r.durationMs)} — ${r.summary}`);
      return r;
    });
    results.push(result);
    opts.onStageEnd?.(result);
  }
  return {
    ok: failure === undefined && !opts.signal.aborted,
    results,
    outputs,
    markdown,
    state,
    ...(failure ? { failure } : {}),
    ...(opts.config.plan ? { plan: planLines } : {})
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
