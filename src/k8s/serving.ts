/**
 * Arena Triton servings as the API shows them (Deployment + pods labelled servingName/servingVersion), and the
 * rollout wait: done when the Deployment is available, failed at the first pod that cannot run or when Triton
 * logs that the model failed to load (the model UNAVAILABLE reason), with the last log lines.
 */
import { sleepOn } from '../util/retry.js';
import { diagnosePod, rolloutComplete, rolloutStuck, type Diagnosis } from './diagnose.js';
import { followLog, readTail, type LogFollower } from './logs.js';
import { DEPLOYMENT, EVENT, POD, type KObj, type KubeApi } from './types.js';
import { waitFor, type Timers, type Verdict } from './wait.js';

export const TRITON_CONTAINER = 'tritonserver';

export const servingSelector = (name: string, version?: string) =>
  `servingName=${name},servingType=triton-serving${version ? `,servingVersion=${version}` : ''}`;

export interface ServingSpec {
  readonly image: string;
  readonly gpus: number;
  readonly replicas: number;
  readonly modelRepository: string;
}

/** How a serving Deployment differs from the wanted spec (empty: same). */
export function servingSpecDiff(dep: KObj, want: ServingSpec): string[] {
  const c = ((dep.spec?.template?.spec?.containers as KObj[] | undefined) ?? []).find(
    (x) => x.name === TRITON_CONTAINER
  ) as
    | { image?: string; args?: string[]; command?: string[]; resources?: { limits?: Record<string, string | number> } }
    | undefined;
  if (!c) return ['it has no tritonserver container'];
  const out: string[] = [];
  if (c.image !== want.image) out.push(`image ${c.image} → ${want.image}`);
  const gpus = Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0);
  if (gpus !== want.gpus) out.push(`gpus ${gpus} → ${want.gpus}`);
  const replicas = Number(dep.spec?.replicas ?? 1);
  if (replicas !== want.replicas) out.push(`replicas ${replicas} → ${want.replicas}`);
  const cmd = [...(c.command ?? []), ...(c.args ?? [])].join(' ');
  if (!cmd.includes(`--model-repository=${want.modelRepository}`))
    out.push(`model repository → ${want.modelRepository}`);
  return out;
}

export function isPodReady(pod: KObj): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    ((pod.status?.conditions as { type: string; status: string }[]) ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True'
    )
  );
}

/** Triton's reason for a model that did not load, from its log lines. */
export function modelUnavailableReason(lines: readonly string[]): string | undefined {
  for (const l of [...lines].reverse()) {
    const m = /failed to load '([^']+)' version \S+: (.*)$/.exec(l);
    if (m) return `model ${m[1]} is UNAVAILABLE: ${m[2].trim()}`;
  }
  for (const l of [...lines].reverse()) {
    const m = /\|\s*(\S+)\s*\|\s*\S+\s*\|\s*UNAVAILABLE: (.*?)\s*\|?\s*$/.exec(l);
    if (m) return `model ${m[1]} is UNAVAILABLE: ${m[2].trim()}`;
  }
  return undefined;
}

export class RolloutProblem extends Error {
  constructor(readonly diagnosis: Diagnosis) {
    super(diagnosis.message);
    this.name = 'RolloutProblem';
  }
}

export interface RolloutOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly timers?: Timers;
  readonly onLogLine?: (line: string) => void;
  readonly onReconnect?: (why: string) => void;
}

/**
 * Triton's log of every serving pod, followed live; a model that Triton reports UNAVAILABLE fails the rollout at
 * once (through `failure`) rather than at the timeout.
 */
class TritonLogs {
  private readonly followers = new Map<string, LogFollower>();
  readonly failure = new AbortController();

  constructor(private readonly o: RolloutOptions) {}

  follow(pod: string): void {
    if (this.followers.has(pod)) return;
    const o = this.o;
    const f = followLog(o.api, o.namespace, pod, TRITON_CONTAINER, {
      keep: 60,
      ...(o.timers ? { sleep: sleepOn(o.timers) } : {}),
      onLine: (line) => {
        o.onLogLine?.(`[${pod}] ${line}`);
        const reason = modelUnavailableReason([line]);
        if (reason && !this.failure.signal.aborted) {
          this.failure.abort(
            new RolloutProblem({
              code: 'MODEL_UNAVAILABLE',
              message: `Triton in pod ${pod} could not load the ${reason.replace(/^model /, 'model ')}`,
              hint: unavailableHint(reason),
              details: []
            })
          );
        }
      },
      onReconnect: (why) => o.onReconnect?.(why)
    });
    this.followers.set(pod, f);
  }

  tails(): string[] {
    return [...this.followers.values()].flatMap((f) => f.tail());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
  }
}

/** The wait's verdict on one snapshot: available, a pod's or the Deployment's problem, or keep waiting. */
function rolloutVerdict(
  dep: readonly KObj[],
  pods: readonly KObj[],
  events: readonly KObj[],
  logs: TritonLogs
): Verdict<KObj> {
  const d = dep[0];
  for (const p of pods) if (p.status?.phase === 'Running' || p.status?.containerStatuses) logs.follow(p.metadata.name);
  if (d && rolloutComplete(d)) return { done: d };
  const stuck = d && rolloutStuck(d);
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    const diag = diagnosePod(p, events);
    if (diag) return { fail: new RolloutProblem(diag) };
  }
  if (stuck) return { fail: new RolloutProblem(stuck) };
  return undefined;
}

function rolloutTimeout(o: RolloutOptions, pods: readonly KObj[]): RolloutProblem {
  const notReady = pods
    .filter((p) => !isPodReady(p))
    .map((p) => `${p.metadata.name} (${p.status?.phase ?? 'Pending'})`);
  return new RolloutProblem({
    code: 'ROLLOUT_TIMEOUT',
    message: `serving ${o.name} version ${o.version} was not available within ${Math.round(o.timeoutMs / 1000)} s${notReady.length ? `; not ready: ${notReady.join(', ')}` : ''}`,
    hint: 'Large models load for minutes: raise serve-timeout, or read Triton’s log below.',
    details: []
  });
}

/** A failed rollout with Triton's last lines; a crash loop whose log names an UNAVAILABLE model says so. */
async function explainRolloutFailure(o: RolloutOptions, err: unknown, logs: TritonLogs): Promise<unknown> {
  let lines = logs.tails();
  const pd = err instanceof RolloutProblem ? err.diagnosis.pod : undefined;
  if (lines.length === 0 && pd) lines = await readTail(o.api, o.namespace, pd, 40, TRITON_CONTAINER);
  const fromLog = logs.failure.signal.aborted && err === logs.failure.signal.reason;
  const problem = err instanceof RolloutProblem ? err : fromLog ? (err as RolloutProblem) : undefined;
  if (!problem) return err;
  const d = problem.diagnosis;
  const reason = modelUnavailableReason(lines);
  if (d.code === 'CRASH_LOOP' && reason) {
    return new RolloutProblem({
      code: 'MODEL_UNAVAILABLE',
      message: `${d.message}: ${reason}`,
      hint: unavailableHint(reason),
      details: lines.slice(-20)
    });
  }
  return new RolloutProblem({ ...d, details: [...d.details, ...lines.slice(-20)] });
}

/** Resolves with the available Deployment; rejects with RolloutProblem (timeout included) or the abort reason. */
export async function waitForRollout(o: RolloutOptions): Promise<{ deployment: KObj; noticedAt: number }> {
  const selector = servingSelector(o.name, o.version);
  const logs = new TritonLogs(o);
  try {
    const deployment = await waitFor<'dep' | 'pods' | 'events', KObj>({
      api: o.api,
      sources: {
        dep: { type: DEPLOYMENT, namespace: o.namespace, selector: { labelSelector: selector } },
        pods: { type: POD, namespace: o.namespace, selector: { labelSelector: selector } },
        events: { type: EVENT, namespace: o.namespace }
      },
      check: ({ dep, pods, events }) => rolloutVerdict(dep, pods, events, logs),
      timeoutMs: o.timeoutMs,
      onTimeout: ({ pods }) => rolloutTimeout(o, pods),
      signal: o.signal ? AbortSignal.any([o.signal, logs.failure.signal]) : logs.failure.signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    await logs.stop();
    return { deployment, noticedAt };
  } catch (err) {
    await logs.stop();
    throw await explainRolloutFailure(o, err, logs);
  }
}

function unavailableHint(reason: string): string {
  if (/tensor_para_size|world_size|gpu|config\.ini/i.test(reason)) {
    return 'tensor_para_size × pipeline_para_size must equal the GPUs of the server and the converter’s -tp; convert again with the same tensor-parallel, or fix serve-gpus.';
  }
  return 'Read Triton’s log below; check config.pbtxt and that model_checkpoint_path points at the converted <tp>-gpu folder.';
}
