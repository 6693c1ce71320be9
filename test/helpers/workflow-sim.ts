/**
 * A small interpreter of this repository's workflows for tests: parses them with GitHub's own parser
 * (@actions/workflow-parser), evaluates `if:`, `with:`, `secrets:`, `outputs:` and matrices with GitHub's own
 * expression evaluator (@actions/expressions), follows calls into the reusable workflows of this repository, and
 * hands every step that runs this action to a callback — which records it, or runs the bundled action.
 * Jobs run in `needs` order; a failed job fails its dependants as GitHub does (`success()` is the default `if`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';

export const ACTION_REF = 'arena-ft/arena-ft-pipeline@v1';
export const WORKFLOW_REF = /^arena-ft\/arena-ft-pipeline\/(\.github\/workflows\/[^@]+)@v1$/;

export interface Event {
  /** `pull_request`, `workflow_dispatch`, `release`. */
  name: string;
  /** The `github.event` payload. */
  payload: Record<string, unknown>;
  repository: string;
  /** Repository secrets the caller has (fork pull requests get none). */
  secrets: Record<string, string>;
}

export interface Invocation {
  /** `<workflow file>/<job id>[<matrix index>]`. */
  readonly job: string;
  readonly stepId?: string;
  readonly with: Record<string, string>;
}

export type RunAction = (inv: Invocation) => Promise<{ outputs: Record<string, string>; ok: boolean }>;

export interface JobRecord {
  readonly job: string;
  readonly status: 'success' | 'failure' | 'skipped';
  readonly outputs: Record<string, string>;
}

type Json = unknown;

function toData(value: Json): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

function fromData(value: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(value, data.replacer)) as Json;
}

/** Evaluates one expression (the text inside `${{ }}`) in a context of plain JSON values. */
export function evaluateExpression(
  expr: string,
  ctx: Record<string, Json>,
  status: { failed: boolean } = { failed: false }
): Json {
  const lexed = new Lexer(expr).lex();
  const statusFns = [
    { name: 'success', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(!status.failed) },
    { name: 'failure', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(status.failed) },
    { name: 'always', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(true) },
    { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(false) }
  ];
  const parser = new Parser(lexed.tokens, Object.keys(ctx), statusFns);
  const tree = parser.parse();
  const dict = new data.Dictionary(...Object.entries(ctx).map(([key, v]) => ({ key, value: toData(v) })));
  const fns = new Map(statusFns.map((f) => [f.name, f]));
  return fromData(new Evaluator(tree, dict, fns).evaluate());
}

/** Evaluates a YAML value that may hold `${{ }}`: one whole expression keeps its type, else string interpolation. */
export function interpolate(value: Json, ctx: Record<string, Json>, status?: { failed: boolean }): Json {
  if (typeof value === 'string') {
    const whole = value.match(/^\s*\$\{\{([\s\S]*?)\}\}\s*$/);
    if (whole) return evaluateExpression(whole[1], ctx, status);
    return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, e: string) => stringOf(evaluateExpression(e, ctx, status)));
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, ctx, status));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, ctx, status)]));
  }
  return value;
}

/** How the runner turns an evaluated value into an input string. */
export function stringOf(v: Json): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** `if:` may be written with or without `${{ }}`. */
function condition(text: Json, ctx: Record<string, Json>, status: { failed: boolean }): boolean {
  if (text === undefined) return !status.failed;
  const s = String(text);
  const inner = s.match(/^\s*\$\{\{([\s\S]*)\}\}\s*$/);
  return truthy(evaluateExpression(inner ? inner[1] : s, ctx, status));
}

function truthy(v: Json): boolean {
  return !(v === false || v === null || v === undefined || v === 0 || v === '');
}

/** A parsed workflow: YAML of any shape, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Yaml = Record<string, any>;

export function readWorkflow(root: string, file: string): Yaml {
  return parseYaml(readFileSync(path.join(root, file), 'utf8'));
}

/** GitHub's parser's errors for a workflow file (empty when valid). */
export function workflowErrors(root: string, file: string): string[] {
  const content = readFileSync(path.join(root, file), 'utf8');
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

function topoOrder(jobs: Record<string, { needs?: string | string[] }>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const needs = jobs[id].needs;
    for (const n of typeof needs === 'string' ? [needs] : (needs ?? [])) visit(n);
    order.push(id);
  };
  Object.keys(jobs).forEach(visit);
  return order;
}

function inputsWithDefaults(def: Yaml | undefined, given: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(def ?? {})) {
    out[name] =
      name in given ? coerce(given[name], spec.type) : (spec.default ?? (spec.type === 'boolean' ? false : ''));
  }
  return out;
}

function coerce(v: Json, type: string | undefined): Json {
  if (type === 'boolean') return v === true || v === 'true';
  if (type === 'number') return Number(v);
  return v;
}

/**
 * Runs a workflow file for an event (or, for a reusable workflow, for a call with inputs and secrets).
 * Returns the jobs' records and the workflow_call outputs.
 */
export async function simulate(
  root: string,
  file: string,
  event: Event,
  runAction: RunAction,
  call?: { inputs: Record<string, Json>; secrets: Record<string, string> }
): Promise<{ jobs: JobRecord[]; outputs: Record<string, string> }> {
  const wf = readWorkflow(root, file);
  const on = wf.on ?? wf[true as unknown as string]; // YAML 1.1 "on" can parse as true
  const inputs = call
    ? inputsWithDefaults(on?.workflow_call?.inputs, call.inputs)
    : ((event.payload.inputs as Record<string, Json>) ?? {});
  const secrets = call ? call.secrets : event.secrets;
  const github = {
    event_name: event.name,
    event: event.payload,
    repository: event.repository,
    ref: 'refs/heads/main',
    sha: '0'.repeat(40)
  };
  const jobsDef: Yaml = wf.jobs;
  const records: Record<string, JobRecord> = {};
  for (const id of topoOrder(jobsDef)) {
    const job = jobsDef[id];
    const needIds: string[] = typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
    const needs = Object.fromEntries(
      needIds.map((n) => [n, { result: records[n].status, outputs: records[n].outputs }])
    );
    const failed = needIds.some((n) => records[n].status !== 'success');
    const skippedNeed = needIds.some((n) => records[n].status === 'skipped');
    const baseCtx = { github, inputs, needs, secrets, vars: {}, env: { ...(wf.env ?? {}) } };
    // A dependency that was skipped also fails the default success() check, as on GitHub.
    const status = { failed: failed && !(skippedNeed && !needIds.some((n) => records[n].status === 'failure')) };
    const run = job.if === undefined ? !failed : condition(job.if, baseCtx, status);
    if (!run) {
      records[id] = { job: `${file}/${id}`, status: 'skipped', outputs: {} };
      continue;
    }
    const matrixRaw = job.strategy?.matrix ? interpolate(job.strategy.matrix, baseCtx) : undefined;
    const matrices: Record<string, Json>[] = matrixRaw
      ? ((matrixRaw as { include?: Record<string, Json>[] }).include ?? [{}])
      : [undefined as unknown as Record<string, Json>];
    let jobFailed = false;
    let outputs: Record<string, string> = {};
    for (const [i, matrix] of matrices.entries()) {
      const ctx = { ...baseCtx, matrix: matrix ?? {}, env: { ...baseCtx.env, ...(job.env ?? {}) } };
      const label = `${file}/${id}${matrix ? `[${i}]` : ''}`;
      if (typeof job.uses === 'string') {
        const m = job.uses.match(WORKFLOW_REF);
        if (!m) throw new Error(`${label}: calls ${job.uses}, which is not a workflow of this repository`);
        const withValues = interpolate(job.with ?? {}, ctx) as Record<string, Json>;
        const callSecrets =
          job.secrets === 'inherit'
            ? secrets
            : Object.fromEntries(
                Object.entries((interpolate(job.secrets ?? {}, ctx) as Record<string, Json>) ?? {}).map(([k, v]) => [
                  k,
                  stringOf(v)
                ])
              );
        const sub = await simulate(root, m[1], event, runAction, { inputs: withValues, secrets: callSecrets });
        if (sub.jobs.some((j) => j.status === 'failure')) jobFailed = true;
        outputs = sub.outputs;
        continue;
      }
      const stepOutputs: Record<string, { outputs: Record<string, string> }> = {};
      for (const step of job.steps ?? []) {
        const stepCtx = { ...ctx, steps: stepOutputs, env: { ...ctx.env, ...(step.env ?? {}) } };
        if (step.if !== undefined && !condition(step.if, stepCtx, { failed: jobFailed })) continue;
        if (step.uses === ACTION_REF) {
          const withValues = Object.fromEntries(
            Object.entries(step.with ?? {}).map(([k, v]) => [k, stringOf(interpolate(v, stepCtx))])
          );
          const res = await runAction({ job: label, stepId: step.id, with: withValues });
          if (step.id) stepOutputs[step.id] = { outputs: res.outputs };
          if (!res.ok) {
            jobFailed = true;
            break;
          }
        }
      }
      const jobCtx = { ...ctx, steps: stepOutputs };
      outputs = Object.fromEntries(
        Object.entries(job.outputs ?? {}).map(([k, v]) => [k, stringOf(interpolate(v, jobCtx))])
      );
    }
    records[id] = { job: `${file}/${id}`, status: jobFailed ? 'failure' : 'success', outputs };
  }
  const jobsCtx = Object.fromEntries(
    Object.entries(records).map(([id, r]) => [id, { result: r.status, outputs: r.outputs }])
  );
  const wfOutputs = Object.fromEntries(
    Object.entries(on?.workflow_call?.outputs ?? {}).map(([k, v]) => [
      k,
      stringOf(interpolate((v as { value: string }).value, { jobs: jobsCtx, inputs, github }))
    ])
  );
  return { jobs: Object.values(records), outputs: wfOutputs };
}
