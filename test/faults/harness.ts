/**
 * The fault matrix's harness (owned by the fault-matrix helper): one sandbox per describe block, the pipeline run
 * in-process with injected no-wait backoff sleeps and timers that run at the scenario clock's speed (so a
 * "1 minute" timeout is 1/SPEED of a real minute), the checks every cell makes afterwards (no partial object, no
 * unfinished multipart upload, no marker for unfinished work, nothing submitted still running), and the matrix
 * table the suite prints at the end.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import type { StepRun } from '../../scripts/lib/run-action.js';
import { filesBelow, findLeaks, type Leak } from '../helpers/leaks.js';
import { PODS, PYTORCHJOBS, DEPLOYMENTS } from '../../sandbox/operator/common.js';
import { sandboxInputs } from '../../scripts/lib/sandbox-inputs.js';
import { convertMarkerKey, hfPrefix, modelRepositoryLayout, syncManifestKey } from '../../src/config/layout.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config, StageName } from '../../src/config/types.js';
import { defaultDeps, kubeFactory } from '../../src/composition/cluster.js';
import type { ClusterDeps } from '../../src/stages/deps.js';
import type { Timers } from '../../src/k8s/wait.js';
import { OssStore } from '../../src/oss/client.js';
import { MemoryCleanupRegistry } from '../../src/pipeline/cleanup.js';
import { runPipeline, type RunReport } from '../../src/pipeline/runner.js';
import type { Logger, Stage } from '../../src/pipeline/types.js';
import { createSyncStage } from '../../src/stages/sync.js';
import { syncClients } from '../../src/composition/sync.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage } from '../../src/stages/deploy.js';
import { makeSmokeStage } from '../../src/stages/smoke.js';
import { modelRepositoryObjects } from '../../src/triton/model-config.js';

/** Scenario seconds per real second (the sync cells need no cluster; the cluster cells need the rollout's
 * real work to fit in the Deployment's progress deadline at this speed). */
export const SYNC_SPEED = 1000;
export const CLUSTER_SPEED = 400;

/** A repo with a multipart-sized LFS file (part size 1 MiB in the sync cells) and two small files. */
export const BIG_REPO = 'faults/bloom-parts';
export const BIG_SIZE = 3 * 1024 * 1024 + 12345;

/** Deterministic bytes (sha256 counter stream). */
export function bytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, off = 0; off < size; i++, off += 32) {
    createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  }
  return out;
}

export const BIG_FILES: { path: string; content: Buffer }[] = [
  { path: 'config.json', content: Buffer.from('{"model_type":"bloom","n_layer":2}\n') },
  { path: 'model.safetensors', content: bytes(BIG_SIZE, 'faults-big') },
  { path: 'tokenizer_config.json', content: Buffer.from('{"model_max_length":2048}\n') }
];

/** A Logger that keeps every line and can react to lines (to trigger a fault mid-stage). */
export class CellLogger implements Logger {
  readonly lines: string[] = [];
  readonly secrets: string[] = [];
  onLine?: (line: string) => void;
  private push(l: string) {
    this.lines.push(l);
    this.onLine?.(l);
  }
  info(m: string) {
    this.push(m);
  }
  warning(m: string) {
    this.push(`warning: ${m}`);
  }
  error(m: string) {
    this.push(`error: ${m}`);
  }
  debug(m: string) {
    this.push(`debug: ${m}`);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.push(`group: ${title}`);
    return fn();
  }
  secret(v: string) {
    this.secrets.push(v);
  }
}

export const noSleep = async (_ms: number, signal?: AbortSignal) => {
  signal?.throwIfAborted();
  await new Promise((r) => setImmediate(r));
};

/** Timers at the scenario clock's speed: a timeout of N ms fires after N / speed real ms. */
export function scenarioTimers(speed: number): Timers {
  return {
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(1, Math.round(ms / speed))),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
  };
}

export function fastDeps(speed: number): ClusterDeps {
  return {
    ...defaultDeps,
    // API and arena retries never wait for real (issue 19: one cell used to wait 8.7 s on the API retries)
    kube: kubeFactory({ sleep: noSleep }),
    retrySleep: noSleep,
    timers: scenarioTimers(speed),
    oss: (ctx) =>
      OssStore.connect(ctx.config.oss, {
        attempts: Math.max(1, ctx.config.sync.retries + 1),
        signal: ctx.signal,
        sleep: noSleep
      })
  };
}

export function fastStages(speed: number): Map<StageName, Stage> {
  const deps = fastDeps(speed);
  const stages: Stage[] = [
    createSyncStage({ clients: syncClients, sleep: noSleep, random: () => 0.5 }),
    makeStorageStage(deps),
    makeConvertStage(deps),
    makeDeployStage(deps),
    makeSmokeStage(deps)
  ];
  return new Map(stages.map((s) => [s.name, s]));
}

export interface CellRun {
  readonly config: Config;
  readonly report: RunReport;
  readonly log: CellLogger;
  readonly leftover: readonly unknown[];
}

export interface FaultSandbox {
  readonly sb: Sandbox;
  readonly env: NodeJS.ProcessEnv;
  inputs(over?: Record<string, string>): Promise<Record<string, string>>;
  /** The Config the product derives from these inputs (names of jobs, versions, keys). */
  config(inputs: Record<string, string>): Config;
  run(
    over?: Record<string, string>,
    opts?: { onLine?: (line: string, log: CellLogger) => void; signal?: AbortSignal; timerSpeed?: number }
  ): Promise<CellRun>;
  /** Clears faults and scenarios (before a re-run). */
  clear(): void;
  stop(): Promise<void>;
}

/** A fault sandbox whose demo model is synced once, so every later run of a cluster cell skips the sync. */
export async function startSyncedFaultSandbox(
  opts: Parameters<typeof startFaultSandbox>[0] = {}
): Promise<FaultSandbox> {
  const fs = await startFaultSandbox(opts);
  const first = await fs.run({ stages: 'sync' });
  if (!first.report.ok) {
    await fs.stop();
    throw new Error(`warm-up sync failed: ${describeRun(first)}`);
  }
  return fs;
}

export async function startFaultSandbox(opts: { bigRepo?: boolean; speed?: number } = {}): Promise<FaultSandbox> {
  const speed = opts.speed ?? CLUSTER_SPEED;
  const sb = await startSandbox({ speed, installArena: true });
  if (opts.bigRepo) sb.hub!.declareRepo({ id: BIG_REPO, files: BIG_FILES });
  const work = await mkdtemp(path.join(tmpdir(), 'faults-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUNNER_TEMP: work,
    KUBECONFIG: sb.info.kube!.pipelineKubeconfig!,
    ARENA_FT_ARENA_HOME: sb.arenaHome,
    PATH: `${sb.arenaBinDir}${path.delimiter}${process.env.PATH ?? ''}`
  };
  const inputs = (over: Record<string, string> = {}) =>
    sandboxInputs(sb, { stages: 'sync,storage,convert,deploy', ...over });
  return {
    sb,
    env,
    inputs,
    config: (all) => loadConfig({ getInput: (n) => all[n] ?? '', env }),
    async run(over = {}, o = {}) {
      const all = await inputs(over);
      const config = loadConfig({ getInput: (n) => all[n] ?? '', env });
      const log = new CellLogger();
      if (o.onLine) log.onLine = (l) => o.onLine!(l, log);
      const cleanup = new MemoryCleanupRegistry();
      const report = await runPipeline({
        config,
        stages: fastStages(o.timerSpeed ?? speed),
        log,
        signal: o.signal ?? new AbortController().signal,
        env,
        cleanup
      });
      return { config, report, log, leftover: cleanup.list() };
    },
    clear() {
      sb.faults.reset();
      sb.operator!.clearScenarios();
    },
    async stop() {
      await sb.stop();
      await rm(work, { recursive: true, force: true });
    }
  };
}

async function readAll(s: NodeJS.ReadableStream | undefined): Promise<Buffer | undefined> {
  if (!s) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

const cond = (o: { status?: { conditions?: unknown } }, type: string) =>
  ((o.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some(
    (c) => c.type === type && c.status === 'True'
  );

/**
 * What a cell checks after its faulted run, whatever its outcome: a list of problems (empty: clean).
 * - no unfinished multipart upload in the bucket;
 * - every object under the synced prefix is whole (size and bytes of the hub file), when `expectFiles` is given;
 * - no `.sync-manifest.json` unless sync finished; no `.convert.json` unless convert finished;
 * - the PyTorchJob of this version is not running (absent, Succeeded or Failed, no live pod);
 * - no serving Deployment of this version unless deploy finished.
 */
export async function leftovers(
  fs: FaultSandbox,
  run: { readonly config: Config; readonly report: { readonly results: readonly { stage: string; status: string }[] } },
  opts: { commit?: string; expectFiles?: readonly { path: string; content: Buffer }[] } = {}
): Promise<string[]> {
  const problems: string[] = [];
  const { sb } = fs;
  const cfg = run.config;
  const status = (s: StageName) => run.report.results.find((r) => r.stage === s)?.status;
  const finished = (s: StageName) => status(s) === 'done' || status(s) === 'skipped';

  const uploads = sb.oss!.listUploads();
  if (uploads.length > 0)
    problems.push(`unfinished multipart uploads: ${uploads.map((u) => `${u.key} (${u.parts} parts)`).join(', ')}`);

  if (opts.commit) {
    const prefix = hfPrefix(cfg, opts.commit);
    for (const key of sb.oss!.listKeys(prefix)) {
      const rel = key.slice(prefix.length);
      if (rel === '.sync-manifest.json') continue;
      const want = opts.expectFiles?.find((f) => f.path === rel);
      if (!want) {
        if (opts.expectFiles) problems.push(`unexpected object ${key}`);
        continue;
      }
      const got = await readAll(sb.oss!.readObject(key));
      if (!got || !got.equals(want.content))
        problems.push(`partial or wrong object visible: ${key} (${got?.length ?? 0} of ${want.content.length} bytes)`);
    }
    const manifest = sb.oss!.listKeys(syncManifestKey(cfg, opts.commit)).length > 0;
    if (manifest && !finished('sync'))
      problems.push(`marker ${syncManifestKey(cfg, opts.commit)} written although sync did not finish`);
  }

  if (cfg.stages.includes('convert')) {
    // a marker for these parameters (one a later run would trust) while convert did not finish; a stale marker
    // of other parameters (an earlier, finished conversion) is not unfinished work
    const text = (await readAll(sb.oss!.readObject(convertMarkerKey(cfg))))?.toString('utf8');
    const marker = text === undefined ? undefined : (JSON.parse(text) as { parameters?: { tensorParallel?: number } });
    if (marker && marker.parameters?.tensorParallel === cfg.convert.tensorParallel && !finished('convert'))
      problems.push(`marker ${convertMarkerKey(cfg)} written although convert did not finish`);
    const store = sb.kube!.store;
    const job = store.get(PYTORCHJOBS, cfg.cluster.namespace, cfg.convert.jobName);
    if (job && !cond(job, 'Succeeded') && !cond(job, 'Failed'))
      problems.push(`PyTorchJob ${cfg.convert.jobName} is still running (not Succeeded/Failed)`);
    const pods = store
      .list(PODS, cfg.cluster.namespace)
      .items.filter((p) => p.metadata.labels?.['training.kubeflow.org/job-name'] === cfg.convert.jobName)
      .filter((p) => {
        const phase = (p.status as { phase?: string } | undefined)?.phase;
        return phase === 'Pending' || phase === 'Running';
      });
    if (pods.length > 0)
      problems.push(
        `pods of PyTorchJob ${cfg.convert.jobName} still live: ${pods.map((p) => p.metadata.name).join(', ')}`
      );
  }
  if (cfg.stages.includes('deploy')) {
    // the model repository: each object is either absent or whole
    for (const o of modelRepositoryObjects(cfg, modelRepositoryLayout(cfg))) {
      const got = await readAll(sb.oss!.readObject(o.key));
      if (got && got.toString('utf8') !== o.body)
        problems.push(
          `partial or wrong object visible: ${o.key} (${got.length} of ${Buffer.byteLength(o.body)} bytes)`
        );
    }
  }
  if (cfg.stages.includes('deploy') && (!finished('deploy') || (cfg.stages.includes('smoke') && !finished('smoke')))) {
    const deps = sb
      .kube!.store.list(DEPLOYMENTS, cfg.cluster.namespace)
      .items.filter(
        (d) =>
          d.metadata.labels?.servingVersion === cfg.serve.version && d.metadata.labels?.servingName === cfg.serve.name
      );
    if (deps.length > 0)
      problems.push(
        `serving Deployment(s) of version ${cfg.serve.version} left: ${deps.map((d) => d.metadata.name).join(', ')}`
      );
  }
  return problems;
}

/** A compact account of a run for failure messages. */
export function describeRun(run: CellRun): string {
  const rows = run.report.results.map(
    (r) => `${r.stage}:${r.status}${r.error ? `(${r.error.code}: ${r.error.message})` : ''}`
  );
  return rows.join(' | ');
}

// ---- the matrix table -------------------------------------------------------------------------------------

export interface CellResult {
  readonly stage: string;
  readonly fault: string;
  readonly expected: string;
  readonly ok: boolean;
  readonly why?: string;
  readonly ms: number;
  /** Something worth knowing that is not a pass/fail criterion (e.g. how long the cancel took). */
  readonly note?: string;
}

export class Matrix {
  readonly cells: CellResult[] = [];
  add(c: CellResult): void {
    this.cells.push(c);
  }
  table(): string {
    const passed = this.cells.filter((c) => c.ok).length;
    const head = ['stage', 'fault', 'expected', 'result', 'ms'];
    const rows = this.cells.map((c) => [
      c.stage,
      c.fault,
      c.expected,
      c.ok ? 'pass' : `FAIL: ${c.why ?? ''}`,
      String(c.ms)
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 3 ? 4 : r[i].length))));
    const line = (r: string[]) => r.map((x, i) => (i === 3 ? x : x.padEnd(widths[i]))).join('  ');
    const notes = this.cells.filter((c) => c.note).map((c) => `  ${c.stage} × ${c.fault}: ${c.note}`);
    return [
      `fault matrix: ${passed}/${this.cells.length} cells passed`,
      line(head),
      ...rows.map(line),
      ...(notes.length ? ['notes:', ...notes] : [])
    ].join('\n');
  }
}

/** Parsed secret values of a kubeconfig (the bearer token). */
export async function kubeconfigToken(file: string): Promise<string> {
  const text = await readFile(file, 'utf8');
  const m = /token:\s*["']?([^\s"']+)/.exec(text);
  if (!m) throw new Error(`no token in ${file}`);
  return m[1];
}

// ---- the bundled action: secrets and leak scanning ------------------------------------------------------------

export interface Secrets {
  readonly [name: string]: string;
}

export async function sandboxSecrets(sb: Sandbox): Promise<Secrets> {
  return {
    'hf-token': sb.info.hub.token,
    'oss-access-key-id': sb.info.oss.accessKeyId,
    'oss-access-key-secret': sb.info.oss.accessKeySecret,
    'kubeconfig token': await kubeconfigToken(sb.info.kube!.pipelineKubeconfig!)
  };
}

/** Every text a step leaves (stdout, stderr, summary, outputs, env, state and path files) and every file under
 * RUNNER_TEMP except `allowed` (the kubeconfig the action wrote on purpose), scanned for the secrets. */
export async function stepLeaks(
  run: StepRun,
  label: string,
  secrets: Secrets,
  allowed: readonly string[] = []
): Promise<Leak[]> {
  // `::add-mask::<value>` is the command that tells the runner to mask a value: the runner consumes it and
  // never shows or stores it; every other stdout line is scanned.
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  const texts: Record<string, string> = {
    [`${label} stdout`]: stdout,
    [`${label} stderr`]: run.stderr,
    [`${label} summary`]: run.summary,
    [`${label} outputs`]: JSON.stringify(run.outputs),
    [`${label} state`]: JSON.stringify(run.state),
    [`${label} env`]: JSON.stringify(run.exportedEnv),
    [`${label} path`]: run.addedPath.join('\n')
  };
  for (const f of ['output', 'state', 'env', 'path', 'summary'] as const) {
    texts[`${label} ${f} file`] = await readFile(run.files[f], 'utf8').catch(() => '');
  }
  Object.assign(texts, await filesBelow(run.files.runnerTemp, allowed));
  return findLeaks(texts, secrets);
}

/** The stage rows the action writes to its `stage-results` output. */
export function stageRows(
  run: StepRun
): { stage: string; status: string; summary: string; error?: { code: string; message: string } }[] {
  try {
    return JSON.parse(run.outputs['stage-results'] || '[]');
  } catch {
    return [];
  }
}
