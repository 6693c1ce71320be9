/**
 * A small interpreter of this repository's workflows for tests: parses them with GitHub's own parser
 * (@actions/workflow-parser), evaluates `if:`, `with:`, `secrets:`, `outputs:`, `runs-on`, `concurrency`,
 * `environment` and matrices with GitHub's own expression evaluator (@actions/expressions), follows calls into
 * the reusable workflows of this repository, and hands every step that runs this action to a callback — which
 * records it, or runs the bundled action. Jobs run in `needs` order; a failed job fails its dependants as GitHub
 * does (`success()` is the default `if`).
 *
 * It applies GitHub's rules a linter does not see (./github-rules.ts, each citing the doc): the permission
 * narrowing check at start-up, before any `if:`; no expressions in `uses:`; environment secrets (readable only by
 * a job that declares the environment, winning over passed secrets; deployment refs); a fork's read-only token
 * and missing OIDC token; the OIDC `sub` of each job; the `job` context of a called workflow (its own repository
 * and commit); `run:` steps are executed with bash when the event names a workspace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';

import {
  REPOSITORY_DEFAULT,
  StartupFailure,
  checkNarrowing,
  checkSecretName,
  checkUsesLiteral,
  environmentAllows,
  forkToken,
  oidcSubject,
  parsePermissions,
  type Permissions
} from './github-rules.js';

export const THIS_REPO = 'arena-ft/arena-ft-pipeline';
/** A step running this action by reference (what a caller writes). */
export const ACTION_REF = /^arena-ft\/arena-ft-pipeline@([^/]+)$/;
/** A step running this action from the checkout of the workflow's own commit (what the reusable workflows do). */
export const ACTION_PATH = './.arena-ft-pipeline';
export const WORKFLOW_REF = /^arena-ft\/arena-ft-pipeline\/(\.github\/workflows\/[^@]+)@(.+)$/;
export const LOCAL_WORKFLOW = /^\.\/(\.github\/workflows\/.+)$/;
/** The commit every ref of this repository resolves to unless an event says otherwise. */
export const DEFAULT_SHA = 'a'.repeat(40);

export { StartupFailure };

export interface Environment {
  /** Environment secrets (names checked as GitHub checks them). */
  readonly secrets: Record<string, string>;
  /** Deployment branches and tags allowed (`main`, `tag:v*`); undefined: any ref. */
  readonly refs?: readonly string[];
}

export interface Event {
  /** `pull_request`, `workflow_dispatch`, `release`. */
  name: string;
  /** The `github.event` payload. */
  payload: Record<string, unknown>;
  repository: string;
  /** Repository secrets the caller has (fork pull requests get none). */
  secrets: Record<string, string>;
  environments?: Record<string, Environment>;
  /** A pull request from a fork: no secrets, read-only token, no OIDC token. */
  fork?: boolean;
  /**
   * Unconfirmed variant of the start-up check for forks: the caller's grant is capped to the fork's read-only
   * token before nested jobs are checked (see /work/shared/reference/actions.md). Off by default.
   */
  forkCapsStartup?: boolean;
  /** `github.ref` (default: refs/heads/main; refs/pull/N/merge for pull requests). */
  ref?: string;
  sha?: string;
  /** Ref of this repository (`v1`, a sha) → the commit it names. */
  refs?: Record<string, string>;
  /** Run `run:` steps with bash in this directory. */
  workspace?: string;
  /** Alibaba STS AssumeRoleWithOIDC: the credentials for a token with this `sub`, or throws (trust policy). */
  assumeRole?: (sub: string, inputs: Record<string, string>) => { id: string; secret: string; token: string };
}

export interface Invocation {
  /** `<workflow file>/<job id>[<matrix index>]`. */
  readonly job: string;
  readonly stepId?: string;
  readonly with: Record<string, string>;
  /** The commit of this repository the action step runs. */
  readonly actionSha: string;
  /** The environment the job declares. */
  readonly environment?: string;
  /** The OIDC token's `sub` when the job may request one. */
  readonly oidcSub?: string;
  /** The job's GITHUB_TOKEN permissions. */
  readonly token: Permissions;
}

export type RunAction = (inv: Invocation) => Promise<{ outputs: Record<string, string>; ok: boolean }>;

export interface JobRecord {
  readonly job: string;
  readonly status: 'success' | 'failure' | 'skipped';
  readonly outputs: Record<string, string>;
  /** The name GitHub shows (per matrix leg). */
  readonly names: readonly string[];
  readonly environment?: string;
  /** Evaluated job-level concurrency groups (per matrix leg). */
  readonly concurrency: readonly string[];
  /** Why it failed, when it did before or around the action. */
  readonly error?: string;
  /** `run:` steps executed or skipped, by id or text. */
  readonly runSteps: readonly string[];
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
    const whole = value.match(/^\s*\$\{\{((?:(?!\}\})[\s\S])*)\}\}\s*$/);
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

/** `on:` of a workflow (YAML 1.1 may read the key `on` as true). */
export function triggers(wf: Yaml): Yaml {
  return wf.on ?? wf[true as unknown as string];
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

/** Which workflow file of this repository a job's `uses:` calls, and at which commit. */
function calledWorkflow(
  where: string,
  uses: string,
  callerSha: string,
  event: Event
): { file: string; sha: string } | undefined {
  checkUsesLiteral(where, uses);
  const remote = uses.match(WORKFLOW_REF);
  if (remote) return { file: remote[1], sha: resolveRef(remote[2], event) };
  // "Reusing workflows": a workflow called as ./.github/workflows/x.yml comes from the caller's own commit.
  const local = uses.match(LOCAL_WORKFLOW);
  if (local) return { file: local[1], sha: callerSha };
  return undefined;
}

function resolveRef(ref: string, event: Event): string {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  return event.refs?.[ref] ?? DEFAULT_SHA;
}

/**
 * The start-up check GitHub makes before any job runs or any `if:` is evaluated: no expressions in `uses:`,
 * and every nested job asks for no more than its caller grants. Throws StartupFailure.
 */
export function startupCheck(root: string, file: string, event: Event, allowed?: Permissions, sha?: string): void {
  const wf = readWorkflow(root, file);
  const top = parsePermissions(wf.permissions, allowed ?? REPOSITORY_DEFAULT);
  for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
    const perms = parsePermissions(job.permissions, top);
    if (allowed) checkNarrowing(`${file}/${id}`, perms, allowed);
    for (const step of job.steps ?? []) if (typeof step.uses === 'string') checkUsesLiteral(`${file}/${id}`, step.uses);
    if (typeof job.uses !== 'string') continue;
    const called = calledWorkflow(`${file}/${id}`, job.uses, sha ?? DEFAULT_SHA, event);
    if (!called) throw new Error(`${file}/${id}: calls ${job.uses}, which is not a workflow of this repository`);
    const grant = !allowed && event.fork && event.forkCapsStartup ? forkToken(perms) : perms;
    startupCheck(root, called.file, event, grant, called.sha);
  }
}

/** Runs a `run:` step with bash as the runner does; returns what it wrote to GITHUB_OUTPUT. */
function runShell(script: string, cwd: string, env: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wf-step-'));
  const out = path.join(dir, 'output');
  try {
    execFileSync('bash', ['-e', '-c', script], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env, GITHUB_OUTPUT: out },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      // no outputs written
    }
    return Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function defaultRef(event: Event): string {
  if (event.ref) return event.ref;
  if (event.name === 'pull_request') {
    const n = (event.payload.pull_request as { number?: number } | undefined)?.number ?? 0;
    return `refs/pull/${n}/merge`;
  }
  if (event.name === 'release') {
    return `refs/tags/${(event.payload.release as { tag_name?: string } | undefined)?.tag_name ?? ''}`;
  }
  return 'refs/heads/main';
}

interface Call {
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  /** What the caller job grants (the called jobs' token can only be narrower). */
  grant?: Permissions;
  /** The commit of this repository the called workflow file comes from. */
  sha?: string;
}

/**
 * Runs a workflow file for an event (or, for a reusable workflow, for a call with inputs and secrets).
 * Returns the jobs' records and the workflow_call outputs. A start-up failure rejects with StartupFailure.
 */
export async function simulate(
  root: string,
  file: string,
  event: Event,
  runAction: RunAction,
  call?: Call
): Promise<{ jobs: JobRecord[]; outputs: Record<string, string> }> {
  if (!call) startupCheck(root, file, event);
  for (const env of Object.values(event.environments ?? {})) Object.keys(env.secrets).forEach(checkSecretName);
  Object.keys(event.secrets).forEach(checkSecretName);
  const wf = readWorkflow(root, file);
  const on = triggers(wf);
  const inputs = call
    ? inputsWithDefaults(on?.workflow_call?.inputs, call.inputs)
    : ((event.payload.inputs as Record<string, Json>) ?? {});
  const passedSecrets = event.fork ? {} : call ? call.secrets : event.secrets;
  const github = {
    event_name: event.name,
    event: event.payload,
    repository: event.repository,
    ref: defaultRef(event),
    sha: event.sha ?? '0'.repeat(40),
    run_id: '1234'
  };
  // The `job` context's workflow_* properties: the called workflow's own file (the caller's for a top-level one).
  const ownSha = call ? (call.sha ?? DEFAULT_SHA) : github.sha;
  const ownRepo = call ? THIS_REPO : event.repository;
  const top = parsePermissions(wf.permissions, call?.grant ?? REPOSITORY_DEFAULT);
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
    const jobCtxBase = { workflow_sha: ownSha, workflow_repository: ownRepo, status: 'success' };
    const baseCtx = {
      github,
      inputs,
      needs,
      secrets: passedSecrets,
      vars: {},
      env: { ...(wf.env ?? {}) },
      job: jobCtxBase
    };
    // A dependency that was skipped also fails the default success() check, as on GitHub.
    const status = { failed: failed && !(skippedNeed && !needIds.some((n) => records[n].status === 'failure')) };
    const run = job.if === undefined ? !failed : condition(job.if, baseCtx, status);
    const record = (r: Omit<JobRecord, 'job'>) => (records[id] = { job: `${file}/${id}`, ...r });
    if (!run) {
      record({ status: 'skipped', outputs: {}, names: [], concurrency: [], runSteps: [] });
      continue;
    }
    const declared = parsePermissions(job.permissions, top);
    const token = event.fork ? forkToken(declared) : declared;
    const matrixRaw = job.strategy?.matrix ? interpolate(job.strategy.matrix, baseCtx) : undefined;
    const matrices: Record<string, Json>[] = matrixRaw
      ? ((matrixRaw as { include?: Record<string, Json>[] }).include ?? [{}])
      : [undefined as unknown as Record<string, Json>];
    let jobFailed = false;
    let error: string | undefined;
    let outputs: Record<string, string> = {};
    const names: string[] = [];
    const groups: string[] = [];
    const runSteps: string[] = [];
    let environment: string | undefined;
    for (const [i, matrix] of matrices.entries()) {
      const ctx = { ...baseCtx, matrix: matrix ?? {}, env: { ...baseCtx.env, ...(job.env ?? {}) } };
      const label = `${file}/${id}${matrix ? `[${i}]` : ''}`;
      names.push(
        job.name !== undefined
          ? stringOf(interpolate(job.name, ctx))
          : matrix
            ? `${id} (${Object.values(matrix).map(stringOf).join(', ')})`
            : id
      );
      if (job.concurrency !== undefined) {
        const c = interpolate(job.concurrency, ctx);
        groups.push(typeof c === 'string' ? c : stringOf((c as { group?: Json }).group));
      }
      if (typeof job.uses === 'string') {
        const called = calledWorkflow(label, job.uses, ownSha, event);
        if (!called) throw new Error(`${label}: calls ${job.uses}, which is not a workflow of this repository`);
        const withValues = interpolate(job.with ?? {}, ctx) as Record<string, Json>;
        const callSecrets =
          job.secrets === 'inherit'
            ? passedSecrets
            : Object.fromEntries(
                Object.entries((interpolate(job.secrets ?? {}, ctx) as Record<string, Json>) ?? {}).map(([k, v]) => [
                  k,
                  stringOf(v)
                ])
              );
        const sub = await simulate(root, called.file, event, runAction, {
          inputs: withValues,
          secrets: callSecrets,
          grant: declared,
          sha: called.sha
        });
        const subFailure = sub.jobs.find((j) => j.status === 'failure');
        if (subFailure) {
          jobFailed = true;
          error = subFailure.error ?? `${subFailure.job} failed`;
        }
        outputs = sub.outputs;
        continue;
      }
      // `runs-on` is evaluated before the job starts: a value that is not valid fails the job.
      interpolate(job['runs-on'], ctx);
      const envSpec = job.environment === undefined ? undefined : interpolate(job.environment, ctx);
      environment =
        envSpec === undefined
          ? undefined
          : stringOf(typeof envSpec === 'object' ? (envSpec as { name?: Json }).name : envSpec);
      const envDef = environment ? event.environments?.[environment] : undefined;
      if (environment && envDef && !environmentAllows(envDef.refs, github.ref)) {
        jobFailed = true;
        error = `${github.ref} is not allowed to deploy to ${environment} due to environment protection rules`;
        break;
      }
      // Environment secrets reach only a job that declares the environment, and win over passed secrets.
      const secrets = event.fork ? {} : { ...passedSecrets, ...(envDef?.secrets ?? {}) };
      const oidcSub =
        token['id-token'] === 'write'
          ? oidcSubject({ repository: event.repository, environment, eventName: event.name, ref: github.ref })
          : undefined;
      const stepOutputs: Record<string, { outputs: Record<string, string> }> = {};
      let checkout: { repository: string; ref: string } | undefined;
      for (const step of job.steps ?? []) {
        const stepCtx = {
          ...ctx,
          secrets,
          job: { ...jobCtxBase, status: jobFailed ? 'failure' : 'success' },
          steps: stepOutputs,
          env: { ...ctx.env, ...(step.env ?? {}) }
        };
        if (step.if !== undefined && !condition(step.if, stepCtx, { failed: jobFailed })) continue;
        const withValues = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, stringOf(interpolate(v, stepCtx))])
        );
        const uses = typeof step.uses === 'string' ? step.uses : '';
        const setOutputs = (o: Record<string, string>) => {
          if (step.id) stepOutputs[step.id] = { outputs: o };
        };
        if (step.run !== undefined) {
          runSteps.push(step.id ?? String(step.name ?? step.run).slice(0, 60));
          if (!event.workspace) continue;
          const env = Object.fromEntries(
            Object.entries(stepCtx.env).map(([k, v]) => [k, stringOf(interpolate(v, stepCtx))])
          );
          try {
            setOutputs(runShell(stringOf(interpolate(step.run, stepCtx)), event.workspace, env));
          } catch (e) {
            jobFailed = true;
            error = `${label} step ${step.id ?? step.name ?? 'run'}: ${(e as Error).message}`;
            break;
          }
        } else if (uses.startsWith('actions/checkout@')) {
          if (withValues.path === ACTION_PATH.slice(2)) {
            checkout = { repository: withValues.repository || event.repository, ref: withValues.ref };
          }
        } else if (uses.startsWith('aliyun/configure-aliyun-credentials-action@')) {
          if (!oidcSub) {
            jobFailed = true;
            error = `${label}: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable (the job has no id-token: write)`;
            break;
          }
          try {
            const c = event.assumeRole!(oidcSub, withValues);
            setOutputs({
              'aliyun-access-key-id': c.id,
              'aliyun-access-key-secret': c.secret,
              'aliyun-security-token': c.token
            });
          } catch (e) {
            jobFailed = true;
            error = `${label}: AssumeRoleWithOIDC: ${(e as Error).message}`;
            break;
          }
        } else if (uses === ACTION_PATH || ACTION_REF.test(uses)) {
          let actionSha: string;
          if (uses === ACTION_PATH) {
            if (!checkout || checkout.repository !== THIS_REPO || !/^[0-9a-f]{40}$/.test(checkout.ref ?? '')) {
              throw new Error(
                `${label}: runs ${ACTION_PATH} but checked out ${JSON.stringify(checkout)} there, not ${THIS_REPO} at a commit`
              );
            }
            actionSha = checkout.ref;
          } else actionSha = resolveRef(uses.match(ACTION_REF)![1], event);
          const res = await runAction({
            job: label,
            ...(step.id ? { stepId: step.id } : {}),
            with: withValues,
            actionSha,
            ...(environment ? { environment } : {}),
            ...(oidcSub ? { oidcSub } : {}),
            token
          });
          setOutputs(res.outputs);
          if (!res.ok) {
            jobFailed = true;
            break;
          }
        }
      }
      const jobCtx = { ...ctx, secrets, steps: stepOutputs };
      outputs = Object.fromEntries(
        Object.entries(job.outputs ?? {}).map(([k, v]) => [k, stringOf(interpolate(v, jobCtx))])
      );
      if (jobFailed) break;
    }
    record({
      status: jobFailed ? 'failure' : 'success',
      outputs,
      names,
      concurrency: groups,
      runSteps,
      ...(environment ? { environment } : {}),
      ...(error ? { error } : {})
    });
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
