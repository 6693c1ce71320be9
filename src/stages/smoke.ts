/**
 * smoke: prove the new serving version answers correctly and fast enough. Port-forward to a ready pod (through
 * the API server), check server and model readiness and the model's metadata, tokenize each prompt with the
 * model's own tokenizer.json, infer greedily, decode, check the expectation, and measure latency over N requests.
 * A failure deletes the new version (the previous keeps serving); success retires versions beyond keep-versions.
 */
import type { Config } from '../config/types.js';
import { hfPrefix } from '../config/layout.js';
import { PipelineError } from '../errors.js';
import type { PlanLine, Stage, StageContext, StageOutcome } from '../pipeline/types.js';
import type { ClusterDeps, ObjectStoreLike } from './deps.js';
import type { LocalForward } from '../k8s/portforward.js';
import { isPodReady, servingSelector } from '../k8s/serving.js';
import { rolloutComplete } from '../k8s/diagnose.js';
import { forbiddenError } from '../util/forbidden.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { realTimers, type Timers } from '../k8s/wait.js';
import { createHash } from 'node:crypto';
import { DEPLOYMENT, POD, type KubeApi } from '../k8s/types.js';
import type { TritonClient } from '../triton/client.js';
import {
  checkExpectation,
  generatedIds,
  INFER_OUTPUTS,
  inferInputs,
  loadTokenizer,
  metadataMismatches,
  type TextCodec
} from '../triton/generate.js';
import { markdownCell } from '../report/markdown.js';
import { percentile } from '../util/stats.js';
import { removeServingVersion } from './teardown.js';
import { servingVersionInfo, versionsToRetire } from './lineage.js';
import { requireCommit } from './commit.js';
import { checkLineage, findServing, rollback, servingRecord, teardownDeps } from './serving-version.js';

const HTTP_PORT = 8000;

export interface SmokeSample {
  readonly prompt: string;
  readonly completion: string;
  readonly latencyMs: number;
}

interface SmokeResult {
  readonly samples: SmokeSample[];
  readonly latencies: number[];
}

/**
 * The requests sent in all: `smoke-requests` per prompt (as action.yml documents it; test/integration/smoke.test.ts
 * reads that description and counts what the sandbox Triton received).
 */
export function smokeRequestCount(smoke: Config['smoke']): number {
  return smoke.requests * smoke.prompts.length;
}

/** The latency `smoke-latency-budget` is checked against: this percentile (nearest rank) of every request. */
export const BUDGET_PERCENTILE = 95;

/** p50 and p95 of the latencies, rounded to whole ms (what outputs, summary and pass record show). */
export function latencyFigures(latencies: readonly number[]): { p50: number; p95: number } {
  return { p50: Math.round(percentile(latencies, 50)), p95: Math.round(percentile(latencies, BUDGET_PERCENTILE)) };
}

/** The error when the p95 latency is over the budget, undefined when it is within (pure). */
export function latencyOverBudget(result: SmokeResult, budgetMs: number): PipelineError | undefined {
  const p95 = percentile(result.latencies, BUDGET_PERCENTILE);
  if (!(p95 > budgetMs)) return undefined;
  const p50 = percentile(result.latencies, 50);
  return new PipelineError(
    'SMOKE_LATENCY_OVER_BUDGET',
    `p95 latency ${Math.round(p95)} ms (p50 ${Math.round(p50)} ms over ${result.latencies.length} requests) is over the budget of ${budgetMs} ms`,
    'Use more GPUs or a smaller output length, or raise smoke-latency-budget.',
    { details: [smokeTable(result.samples)] }
  );
}

async function readyPod(api: KubeApi, cfg: Config): Promise<string> {
  const { items } = await api.list(POD, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name, cfg.serve.version)
  });
  const pod = items.find(isPodReady);
  if (!pod) {
    throw new PipelineError(
      'SMOKE_NO_READY_POD',
      `serving ${cfg.serve.name} version ${cfg.serve.version} has no ready pod`,
      'Run the deploy stage first; check the Deployment’s pods.'
    );
  }
  return pod.metadata.name;
}

const smokeCommit = (ctx: StageContext) =>
  requireCommit(ctx, {
    code: 'SMOKE_COMMIT_UNKNOWN',
    message: 'the HF commit (for the tokenizer) is unknown',
    hint: 'Run the sync stage in the same run, or pass the revision as a full commit sha.'
  });

export async function loadModelTokenizer(oss: ObjectStoreLike, cfg: Config, commit: string): Promise<TextCodec> {
  const prefix = hfPrefix(cfg, commit);
  const json = await oss.getText(`${prefix}tokenizer.json`);
  if (json === undefined)
    throw new PipelineError(
      'SMOKE_NO_TOKENIZER',
      `the synced model has no tokenizer.json at ${prefix}`,
      'Include tokenizer.json in the synced files (hf-include).'
    );
  const conf = await oss.getText(`${prefix}tokenizer_config.json`);
  return loadTokenizer(JSON.parse(json), conf ? JSON.parse(conf) : {});
}

/** Markdown table of the samples (prompt, completion, latency); a model's answer is shown as text, never HTML. */
export function smokeTable(samples: readonly SmokeSample[]): string {
  return [
    '| prompt | completion | latency |',
    '| --- | --- | ---: |',
    ...samples.map(
      (s) => `| ${markdownCell(s.prompt, 200)} | ${markdownCell(s.completion, 200)} | ${Math.round(s.latencyMs)} ms |`
    )
  ].join('\n');
}

/** Triton is ready, the model is ready and its metadata matches config.pbtxt. */
async function checkModelServed(client: TritonClient, model: string): Promise<void> {
  if (!(await client.serverReady()))
    throw new PipelineError(
      'SMOKE_SERVER_NOT_READY',
      'Triton answers /v2/health/ready with not ready',
      'Read the Triton log of the deploy stage.'
    );
  if (!(await client.modelReady(model)))
    throw new PipelineError(
      'SMOKE_MODEL_NOT_READY',
      `model ${model} is not ready`,
      'Read the Triton log of the deploy stage for the model’s UNAVAILABLE reason.'
    );
  const mismatches = metadataMismatches(await client.metadata(model), model);
  if (mismatches.length)
    throw new PipelineError(
      'SMOKE_METADATA_MISMATCH',
      `model ${model}'s metadata differs from config.pbtxt: ${mismatches.join('; ')}`,
      'Check the config.pbtxt in the model repository.',
      { details: mismatches }
    );
}

/** One greedy generation of the prompt, timed. */
async function generate(
  ctx: StageContext,
  client: TritonClient,
  codec: TextCodec,
  prompt: string
): Promise<{ completion: string; latencyMs: number }> {
  const ids = codec.encode(prompt);
  if (ids.length === 0)
    throw new PipelineError(
      'SMOKE_EMPTY_PROMPT',
      `the prompt "${prompt}" tokenizes to nothing`,
      'Use a non-empty prompt.'
    );
  const t0 = performance.now();
  const res = await client.infer(
    ctx.config.serve.modelName,
    inferInputs(ids, ctx.config.smoke.outputLength),
    INFER_OUTPUTS
  );
  const latencyMs = performance.now() - t0;
  return { completion: codec.decode(generatedIds(res.outputs, ids.length)), latencyMs };
}

/**
 * `smoke-requests` rounds over the prompts: the first round's answers are the samples, checked against their
 * expectations (a wrong answer fails before the timing rounds); every request counts for the latency.
 */
async function sendPrompts(ctx: StageContext, client: TritonClient, codec: TextCodec): Promise<SmokeResult> {
  const { prompts, requests } = ctx.config.smoke;
  const samples: SmokeSample[] = [];
  const latencies: number[] = [];
  for (let round = 0; round < requests; round++) {
    for (const p of prompts) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const { completion, latencyMs } = await generate(ctx, client, codec, p.text);
      latencies.push(latencyMs);
      if (round > 0) continue;
      samples.push({ prompt: p.text, completion, latencyMs });
      ctx.log.info(`"${p.text}" → "${completion}" (${Math.round(latencyMs)} ms)`);
      const why = checkExpectation(p, completion);
      if (why)
        throw new PipelineError(
          'SMOKE_EXPECTATION_FAILED',
          `the completion of "${p.text}" ${why}: "${completion}"`,
          'The model answers wrongly: check the conversion (tensor-parallel, data type) and the tokenizer; or fix the expectation.',
          { details: [smokeTable(samples)] }
        );
    }
  }
  return { samples, latencies };
}

/**
 * Deletes the oldest versions of this serving name and lineage beyond keep-versions (never the current one,
 * never another lineage's: see ./lineage.ts).
 */
export async function retireOldVersions(api: KubeApi, deps: ClusterDeps, ctx: StageContext): Promise<string[]> {
  const cfg = ctx.config;
  const { items } = await api.list(DEPLOYMENT, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name)
  });
  const versions = items.filter((d) => d.metadata.labels?.servingName === cfg.serve.name).map(servingVersionInfo);
  const doomed = versionsToRetire(versions, {
    current: cfg.serve.version,
    lineage: cfg.lineage,
    keep: cfg.keepVersions
  });
  const retired: string[] = [];
  for (const v of doomed) {
    await removeServingVersion(teardownDeps(deps, api, ctx), cfg.cluster.namespace, cfg.serve.name, v);
    ctx.log.info(
      `Retired serving ${cfg.serve.name} version ${v} (lineage ${cfg.lineage}, keep-versions ${cfg.keepVersions})`
    );
    retired.push(v);
  }
  return retired;
}

/** The port-forward and client of one smoke test, closed whatever happens. */
interface TritonSession {
  pod?: string;
  forward?: LocalForward;
  client?: TritonClient;
}

async function connectToTriton(
  session: TritonSession,
  deps: ClusterDeps,
  ctx: StageContext,
  api: KubeApi,
  kc: KubeConfig
): Promise<TritonClient> {
  const cfg = ctx.config;
  session.pod = await readyPod(api, cfg);
  session.forward = await deps.forwardPort(kc, cfg.cluster.namespace, session.pod, HTTP_PORT);
  ctx.log.info(`Port-forward 127.0.0.1:${session.forward.port} → ${session.pod}:${HTTP_PORT}`);
  session.client = deps.triton(session.forward.port, {
    onReconnect: (why) => ctx.log.warning(`Port-forward connection lost (${why}); reconnected`),
    timeoutMs: cfg.smoke.timeoutSeconds * 1000
  });
  return session.client;
}

/** The work, or `onTimeout()` when it takes longer than `ms` on the stage's timers (the scenario clock in tests). */
function withinTimeout<T>(work: Promise<T>, ms: number, timers: Timers, onTimeout: () => Error): Promise<T> {
  let handle: unknown;
  const timeout = new Promise<never>((_r, reject) => {
    handle = timers.setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, timeout]).finally(() => timers.clearTimeout(handle));
}

async function smokeThroughForward(
  session: TritonSession,
  deps: ClusterDeps,
  ctx: StageContext,
  api: KubeApi,
  kc: KubeConfig
): Promise<SmokeResult> {
  const cfg = ctx.config;
  const codec = await loadModelTokenizer(deps.oss(ctx), cfg, smokeCommit(ctx));
  const client = await connectToTriton(session, deps, ctx, api, kc);
  const result = await withinTimeout(
    checkModelServed(client, cfg.serve.modelName).then(() => sendPrompts(ctx, client, codec)),
    cfg.smoke.timeoutSeconds * 1000,
    deps.timers ?? realTimers,
    () =>
      new PipelineError(
        'SMOKE_TIMEOUT',
        `the smoke test took longer than ${cfg.smoke.timeoutSeconds} s`,
        'Raise smoke-timeout or lower smoke-requests.'
      )
  );
  ctx.state.smokeLatencies = result.latencies;
  const over = latencyOverBudget(result, cfg.smoke.latencyBudgetMs);
  if (over) throw over;
  return result;
}

/** Runs the smoke test; any failure deletes this serving version and is explained (`smokeFailure`). */
async function smokeOrRollBack(
  deps: ClusterDeps,
  ctx: StageContext,
  api: KubeApi,
  kc: KubeConfig
): Promise<SmokeResult & { reconnects: number }> {
  const session: TritonSession = {};
  try {
    const result = await smokeThroughForward(session, deps, ctx, api, kc);
    return { ...result, reconnects: session.client?.reconnects ?? 0 };
  } catch (err) {
    await rollback(deps, ctx, servingRecord(ctx.config));
    throw smokeFailure(err, ctx, session);
  } finally {
    session.client?.close();
    await session.forward?.close();
  }
}

/** What a failed smoke test says: the stage's own error, a refused or broken port-forward, or the cause. */
function smokeFailure(err: unknown, ctx: StageContext, session: TritonSession): PipelineError {
  const version = ctx.config.serve.version;
  if (ctx.signal.aborted)
    return new PipelineError(
      'CANCELLED',
      `cancelled during the smoke test; deleted serving version ${version}`,
      'Run again.',
      { cause: err }
    );
  if (err instanceof PipelineError)
    return new PipelineError(
      err.code,
      `${err.message}; deleted serving version ${version}, the previous versions keep serving`,
      err.hint,
      { cause: err, details: err.details }
    );
  const forwardErrors = session.forward?.errors() ?? [];
  const refused = forwardErrors.find((e) => /\b403\b|forbidden/i.test(e));
  if (refused) {
    // the WebSocket upgrade is authorized as `get pods/portforward` (and, from Kubernetes 1.35, `create`)
    const f = forbiddenError(`the port-forward to pod ${session.pod ?? ''}`, refused, {
      verb: 'get, create',
      resource: 'pods/portforward',
      group: '',
      namespace: ctx.config.cluster.namespace
    });
    return new PipelineError(f.code, `${f.message}; deleted serving version ${version}`, f.hint, {
      cause: err,
      details: forwardErrors.slice(-5)
    });
  }
  if (forwardErrors.length > 0 || isConnectionError(err))
    // Nothing reached Triton: the tunnel through the API server is what failed.
    return new PipelineError(
      'SMOKE_PORT_FORWARD_FAILED',
      `the port-forward to the serving pod (port ${HTTP_PORT}) failed: ${forwardErrors.at(-1) ?? (err as Error).message}; deleted serving version ${version}`,
      'Check that the kubeconfig user may get and create pods/portforward (deploy/rbac.yaml) and that the API server is reachable from the runner, then run again.',
      { cause: err, details: forwardErrors.slice(-5) }
    );
  return new PipelineError(
    'SMOKE_FAILED',
    `smoke test failed: ${(err as Error).message}; deleted serving version ${version}`,
    'Read the log above.',
    { cause: err }
  );
}

/** A release that changes nothing about this model re-uses the passed version: the tag is recorded, not rebuilt. */
async function reuseEarlierPass(api: KubeApi, ctx: StageContext, passed: PassRecord): Promise<StageOutcome> {
  const cfg = ctx.config;
  if (cfg.releaseTag)
    await writePassAnnotations(api, cfg, passed).catch((e) =>
      ctx.log.warning(`Could not record release ${cfg.releaseTag} on the Deployment: ${(e as Error).message}`)
    );
  return {
    status: 'skipped',
    summary: `passed at ${passed.at} with the same prompts and budget (p50 ${passed.p50} ms, p95 ${passed.p95} ms); the server is unchanged and available`,
    details: { serving: cfg.serve.name, version: cfg.serve.version, 'p50-ms': passed.p50, 'p95-ms': passed.p95 },
    outputs: {
      'serving-name': cfg.serve.name,
      'serving-version': cfg.serve.version,
      'smoke-result': 'passed',
      completion: passed.completion,
      'latency-p50-ms': String(passed.p50),
      'latency-p95-ms': String(passed.p95)
    }
  };
}

function passedOutcome(
  cfg: Config,
  result: SmokeResult & { reconnects: number },
  retired: readonly string[]
): StageOutcome {
  const { p50, p95 } = latencyFigures(result.latencies);
  const n = result.latencies.length;
  const budget = `budget ${cfg.smoke.latencyBudgetMs} ms on p95`;
  return {
    status: 'done',
    summary: `${result.samples.length} prompt(s) answered as expected; ${n} requests (${cfg.smoke.requests} per prompt) p50 ${p50} ms, p95 ${p95} ms (${budget})${retired.length ? `; retired ${retired.join(', ')}` : ''}`,
    details: {
      serving: cfg.serve.name,
      version: cfg.serve.version,
      'p50-ms': p50,
      'p95-ms': p95,
      requests: n,
      reconnects: result.reconnects
    },
    outputs: {
      'serving-name': cfg.serve.name,
      'serving-version': cfg.serve.version,
      completion: result.samples[0]?.completion ?? '',
      'latency-p50-ms': String(p50),
      'latency-p95-ms': String(p95)
    },
    markdown: `### Smoke test: ${cfg.serve.name} ${cfg.serve.version}\n\n${smokeTable(result.samples)}\n\np50 ${p50} ms · p95 ${p95} ms over ${n} requests (${budget})\n`
  };
}

export function makeSmokeStage(deps: ClusterDeps): Stage {
  return {
    name: 'smoke',
    async plan(ctx): Promise<PlanLine> {
      const { smoke, serve } = ctx.config;
      return {
        action: 'run',
        reason: `would send ${smokeRequestCount(smoke)} request(s) (${smoke.requests} per prompt × ${smoke.prompts.length} prompt(s)) to ${serve.name} version ${serve.version} (budget p95 ≤ ${smoke.latencyBudgetMs} ms)`
      };
    },
    async run(ctx): Promise<StageOutcome> {
      const cfg = ctx.config;
      const { api, kc } = deps.kube(ctx);
      // A failed smoke test deletes the version and a pass retires others: only for a version of this lineage.
      await checkLineage(api, cfg);
      const passed = await earlierPass(api, cfg);
      if (passed) return reuseEarlierPass(api, ctx, passed);
      const result = await smokeOrRollBack(deps, ctx, api, kc);
      ctx.cleanup.remove(servingRecord(cfg));
      // with a canary next, the old versions still serve: the canary retires them once it has finished
      const retired = cfg.stages.includes('canary') ? [] : await retireOldVersions(api, deps, ctx);
      await recordPass(api, cfg, {
        ...latencyFigures(result.latencies),
        completion: result.samples[0]?.completion ?? ''
      }).catch((e) =>
        ctx.log.warning(`Could not record the passed smoke test on the Deployment: ${(e as Error).message}`)
      );
      return passedOutcome(cfg, result, retired);
    }
  };
}

/** A socket-level failure (the forwarded stream broke), as opposed to an answer from Triton. */
function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const msg = err instanceof Error ? err.message : '';
  return (
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET'].includes(code) ||
    /socket hang up|ECONNRESET|other side closed/i.test(msg)
  );
}

/**
 * A passed smoke test is recorded on the serving Deployment (an annotation owned by this action's field
 * manager), with a fingerprint of what was tested. A re-run of the same version skips the smoke test while the
 * Deployment is unchanged (same generation), fully rolled out, and the prompts, expectations and budget are the
 * same; any change to the server or the test runs it again.
 */
const SMOKE_ANNOTATION = 'arena-ft-pipeline/smoke-passed';

interface PassRecord {
  readonly fingerprint: string;
  readonly generation: number;
  readonly at: string;
  readonly p50: number;
  readonly p95: number;
  readonly completion: string;
}

export function smokeFingerprint(cfg: Config): string {
  const { prompts, outputLength, requests, latencyBudgetMs } = cfg.smoke;
  // `requestsPer`: a pass recorded when smoke-requests counted all requests is not a pass of `requests` per prompt
  const counted = { requests, requestsPer: 'prompt', budgetOn: `p${BUDGET_PERCENTILE}` };
  return createHash('sha256')
    .update(JSON.stringify({ prompts, outputLength, ...counted, latencyBudgetMs, model: cfg.serve.modelName }))
    .digest('hex')
    .slice(0, 16);
}

async function earlierPass(api: KubeApi, cfg: Config): Promise<PassRecord | undefined> {
  const dep = await findServing(api, cfg);
  const raw = dep?.metadata.annotations?.[SMOKE_ANNOTATION];
  if (!dep || !raw || !rolloutComplete(dep)) return undefined;
  try {
    const rec = JSON.parse(raw) as PassRecord;
    return rec.fingerprint === smokeFingerprint(cfg) && rec.generation === dep.metadata.generation ? rec : undefined;
  } catch {
    return undefined;
  }
}

async function recordPass(
  api: KubeApi,
  cfg: Config,
  r: { p50: number; p95: number; completion: string }
): Promise<void> {
  const dep = await findServing(api, cfg);
  if (!dep) return;
  const rec: PassRecord = {
    fingerprint: smokeFingerprint(cfg),
    generation: dep.metadata.generation ?? 0,
    at: new Date().toISOString(),
    ...r
  };
  await writePassAnnotations(api, cfg, rec, dep.metadata.name);
}

/** The release that last verified this version (`release-tag`), beside the pass record. */
export const RELEASE_ANNOTATION = 'arena-ft-pipeline/release';

/**
 * One apply with every annotation this product owns on the Deployment (an apply by the same field manager drops
 * what it leaves out, so the pass record and the release tag are always written together).
 */
async function writePassAnnotations(api: KubeApi, cfg: Config, rec: PassRecord, name?: string): Promise<void> {
  const depName = name ?? (await findServing(api, cfg))?.metadata.name;
  if (!depName) return;
  await api.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: depName,
      namespace: cfg.cluster.namespace,
      annotations: {
        [SMOKE_ANNOTATION]: JSON.stringify(rec),
        ...(cfg.releaseTag ? { [RELEASE_ANNOTATION]: cfg.releaseTag } : {})
      }
    }
  });
}
