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
import { percentile } from '../util/stats.js';
import { checkLineage, rollback, teardownDeps } from './deploy.js';
import { removeServingVersion } from './teardown.js';
import { servingVersionInfo, versionsToRetire } from './lineage.js';

const HTTP_PORT = 8000;

export interface SmokeSample {
  readonly prompt: string;
  readonly completion: string;
  readonly latencyMs: number;
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

function commitOf(ctx: StageContext): string {
  const c =
    ctx.state.commit ?? (/^[0-9a-f]{40}$/.test(ctx.config.model.revision) ? ctx.config.model.revision : undefined);
  if (!c)
    throw new PipelineError(
      'SMOKE_COMMIT_UNKNOWN',
      'the HF commit (for the tokenizer) is unknown',
      'Run the sync stage in the same run, or pass the revision as a full commit sha.'
    );
  return c;
}

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

/** Markdown table of the samples (prompt, completion, latency). */
export function smokeTable(samples: readonly SmokeSample[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').slice(0, 200);
  return [
    '| prompt | completion | latency |',
    '| --- | --- | ---: |',
    ...samples.map((s) => `| ${cell(s.prompt)} | ${cell(s.completion)} | ${Math.round(s.latencyMs)} ms |`)
  ].join('\n');
}

async function runSmoke(
  ctx: StageContext,
  client: TritonClient,
  codec: TextCodec
): Promise<{ samples: SmokeSample[]; latencies: number[] }> {
  const cfg = ctx.config;
  const model = cfg.serve.modelName;
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
  const samples: SmokeSample[] = [];
  const latencies: number[] = [];
  const generate = async (prompt: string) => {
    const ids = codec.encode(prompt);
    if (ids.length === 0)
      throw new PipelineError(
        'SMOKE_EMPTY_PROMPT',
        `the prompt "${prompt}" tokenizes to nothing`,
        'Use a non-empty prompt.'
      );
    const t0 = performance.now();
    const res = await client.infer(model, inferInputs(ids, cfg.smoke.outputLength), INFER_OUTPUTS);
    const latencyMs = performance.now() - t0;
    latencies.push(latencyMs);
    return { completion: codec.decode(generatedIds(res.outputs, ids.length)), latencyMs };
  };
  const total = Math.max(cfg.smoke.requests, cfg.smoke.prompts.length);
  for (let i = 0; i < total; i++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const p = cfg.smoke.prompts[i % cfg.smoke.prompts.length];
    const { completion, latencyMs } = await generate(p.text);
    if (i < cfg.smoke.prompts.length) {
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

export function makeSmokeStage(deps: ClusterDeps): Stage {
  return {
    name: 'smoke',
    async plan(ctx): Promise<PlanLine> {
      const cfg = ctx.config;
      return {
        action: 'run',
        reason: `would send ${Math.max(cfg.smoke.requests, cfg.smoke.prompts.length)} request(s) to ${cfg.serve.name} version ${cfg.serve.version} (budget p95 ≤ ${cfg.smoke.latencyBudgetMs} ms)`
      };
    },
    async run(ctx): Promise<StageOutcome> {
      const cfg = ctx.config;
      const { api, kc } = deps.kube(ctx);
      // A failed smoke test deletes the version and a pass retires others: only for a version of this lineage.
      await checkLineage(api, cfg);
      const passed = await earlierPass(api, cfg);
      if (passed) {
        // A release that changes nothing about this model re-uses the version: the tag is recorded, not rebuilt.
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
      const record = {
        kind: 'serving',
        namespace: cfg.cluster.namespace,
        name: cfg.serve.name,
        version: cfg.serve.version
      } as const;
      let forward: LocalForward | undefined;
      let client: TritonClient | undefined;
      let pod: string | undefined;
      const timeout = AbortSignal.timeout(cfg.smoke.timeoutSeconds * 1000);
      let result: { samples: SmokeSample[]; latencies: number[] };
      try {
        const codec = await loadModelTokenizer(deps.oss(ctx), cfg, commitOf(ctx));
        pod = await readyPod(api, cfg);
        forward = await deps.forwardPort(kc, cfg.cluster.namespace, pod, HTTP_PORT);
        ctx.log.info(`Port-forward 127.0.0.1:${forward.port} → ${pod}:${HTTP_PORT}`);
        client = deps.triton(forward.port, {
          onReconnect: (why) => ctx.log.warning(`Port-forward connection lost (${why}); reconnected`),
          timeoutMs: cfg.smoke.timeoutSeconds * 1000
        });
        const c = client;
        result = await Promise.race([
          runSmoke(ctx, c, codec),
          new Promise<never>((_r, reject) =>
            timeout.addEventListener(
              'abort',
              () =>
                reject(
                  new PipelineError(
                    'SMOKE_TIMEOUT',
                    `the smoke test took longer than ${cfg.smoke.timeoutSeconds} s`,
                    'Raise smoke-timeout or lower smoke-requests.'
                  )
                ),
              { once: true }
            )
          )
        ]);
        const p50 = percentile(result.latencies, 50);
        const p95 = percentile(result.latencies, 95);
        ctx.state.smokeLatencies = result.latencies;
        if (p95 > cfg.smoke.latencyBudgetMs) {
          throw new PipelineError(
            'SMOKE_LATENCY_OVER_BUDGET',
            `p95 latency ${Math.round(p95)} ms (p50 ${Math.round(p50)} ms over ${result.latencies.length} requests) is over the budget of ${cfg.smoke.latencyBudgetMs} ms`,
            'Use more GPUs or a smaller output length, or raise smoke-latency-budget.',
            { details: [smokeTable(result.samples)] }
          );
        }
      } catch (err) {
        await rollback(deps, ctx, record);
        if (ctx.signal.aborted)
          throw new PipelineError(
            'CANCELLED',
            `cancelled during the smoke test; deleted serving version ${cfg.serve.version}`,
            'Run again.',
            { cause: err }
          );
        if (err instanceof PipelineError) {
          throw new PipelineError(
            err.code,
            `${err.message}; deleted serving version ${cfg.serve.version}, the previous versions keep serving`,
            err.hint,
            { cause: err, details: err.details }
          );
        }
        const forwardErrors = forward?.errors() ?? [];
        const refused = forwardErrors.find((e) => /\b403\b|forbidden/i.test(e));
        if (refused) {
          // the WebSocket upgrade is authorized as `get pods/portforward` (and, from Kubernetes 1.35, `create`)
          const f = forbiddenError(`the port-forward to pod ${pod ?? ''}`, refused, {
            verb: 'get, create',
            resource: 'pods/portforward',
            group: '',
            namespace: cfg.cluster.namespace
          });
          throw new PipelineError(f.code, `${f.message}; deleted serving version ${cfg.serve.version}`, f.hint, {
            cause: err,
            details: forwardErrors.slice(-5)
          });
        }
        if (forwardErrors.length > 0 || isConnectionError(err)) {
          // Nothing reached Triton: the tunnel through the API server is what failed.
          throw new PipelineError(
            'SMOKE_PORT_FORWARD_FAILED',
            `the port-forward to the serving pod (port ${HTTP_PORT}) failed: ${forwardErrors.at(-1) ?? (err as Error).message}; deleted serving version ${cfg.serve.version}`,
            'Check that the kubeconfig user may get and create pods/portforward (deploy/rbac.yaml) and that the API server is reachable from the runner, then run again.',
            { cause: err, details: forwardErrors.slice(-5) }
          );
        }
        throw new PipelineError(
          'SMOKE_FAILED',
          `smoke test failed: ${(err as Error).message}; deleted serving version ${cfg.serve.version}`,
          'Read the log above.',
          { cause: err }
        );
      } finally {
        client?.close();
        await forward?.close();
      }
      ctx.cleanup.remove(record);
      const retired = await retireOldVersions(api, deps, ctx);
      const p50 = Math.round(percentile(result.latencies, 50));
      const p95 = Math.round(percentile(result.latencies, 95));
      await recordPass(api, cfg, { p50, p95, completion: result.samples[0]?.completion ?? '' }).catch((e) =>
        ctx.log.warning(`Could not record the passed smoke test on the Deployment: ${(e as Error).message}`)
      );
      const summary = `${result.samples.length} prompt(s) answered as expected; ${result.latencies.length} requests p50 ${p50} ms, p95 ${p95} ms (budget ${cfg.smoke.latencyBudgetMs} ms)${retired.length ? `; retired ${retired.join(', ')}` : ''}`;
      return {
        status: 'done',
        summary,
        details: {
          serving: cfg.serve.name,
          version: cfg.serve.version,
          'p50-ms': p50,
          'p95-ms': p95,
          requests: result.latencies.length,
          reconnects: client?.reconnects ?? 0
        },
        outputs: {
          'serving-name': cfg.serve.name,
          'serving-version': cfg.serve.version,
          completion: result.samples[0]?.completion ?? '',
          'latency-p50-ms': String(p50),
          'latency-p95-ms': String(p95)
        },
        markdown: `### Smoke test: ${cfg.serve.name} ${cfg.serve.version}\n\n${smokeTable(result.samples)}\n\np50 ${p50} ms · p95 ${p95} ms over ${result.latencies.length} requests (budget ${cfg.smoke.latencyBudgetMs} ms)\n`
      };
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
  return createHash('sha256')
    .update(JSON.stringify({ prompts, outputLength, requests, latencyBudgetMs, model: cfg.serve.modelName }))
    .digest('hex')
    .slice(0, 16);
}

async function servingDeployment(api: KubeApi, cfg: Config) {
  const { items } = await api.list(DEPLOYMENT, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name, cfg.serve.version)
  });
  return items[0];
}

async function earlierPass(api: KubeApi, cfg: Config): Promise<PassRecord | undefined> {
  const dep = await servingDeployment(api, cfg);
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
  const dep = await servingDeployment(api, cfg);
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
  const depName = name ?? (await servingDeployment(api, cfg))?.metadata.name;
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
