/**
 * Arena Triton servings as the API shows them (Deployment + pods labelled servingName/servingVersion), and the
 * rollout wait: done when the Deployment is available, failed at the first pod that cannot run or when Triton
 * logs that the model failed to load (the model UNAVAILABLE reason), with the last log lines.
 */
import { sleepOn } from '../util/retry.js';
import { diagnosePod, rolloutComplete, rolloutStuck, type Diagnosis } from './diagnose.js';
import { followLog, readTail, type LogFollower } from './logs.js';
import { DEPLOYMENT, EVENT, POD, type KObj, type KubeApi } from './types.js';
import { waitFor, type Timers } from './wait.js';

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

/** Resolves with the available Deployment; rejects with RolloutProblem (timeout included) or the abort reason. */
export async function waitForRollout(o: RolloutOptions): Promise<{ deployment: KObj; noticedAt: number }> {
  const selector = servingSelector(o.name, o.version);
  const followers = new Map<string, LogFollower>();
  const logFailure = new AbortController();
  const tails = () => [...followers.values()].flatMap((f) => f.tail());
  const follow = (pod: string) => {
    if (followers.has(pod)) return;
    const f = followLog(o.api, o.namespace, pod, TRITON_CONTAINER, {
      keep: 60,
      ...(o.timers ? { sleep: sleepOn(o.timers) } : {}),
      onLine: (line) => {
        o.onLogLine?.(`[${pod}] ${line}`);
        const reason = modelUnavailableReason([line]);
        if (reason && !logFailure.signal.aborted) {
          logFailure.abort(
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
    followers.set(pod, f);
  };
  const signal = o.signal ? AbortSignal.any([o.signal, logFailure.signal]) : logFailure.signal;
  const stopAll = () => Promise.all([...followers.values()].map((f) => f.stop()));
  try {
    const deployment = await waitFor<'dep' | 'pods' | 'events', KObj>({
      api: o.api,
      sources: {
        dep: { type: DEPLOYMENT, namespace: o.namespace, selector: { labelSelector: selector } },
        pods: { type: POD, namespace: o.namespace, selector: { labelSelector: selector } },
        events: { type: EVENT, namespace: o.namespace }
      },
      check: ({ dep, pods, events }) => {
        const d = dep[0];
        for (const p of pods) if (p.status?.phase === 'Running' || p.status?.containerStatuses) follow(p.metadata.name);
        if (d && rolloutComplete(d)) return { done: d };
        const stuck = d && rolloutStuck(d);
        for (const p of pods) {
          if (p.metadata.deletionTimestamp) continue;
          const diag = diagnosePod(p, events);
          if (diag) return { fail: new RolloutProblem(diag) };
        }
        if (stuck) return { fail: new RolloutProblem(stuck) };
        return undefined;
      },
      timeoutMs: o.timeoutMs,
      onTimeout: ({ pods }) => {
        const notReady = pods
          .filter((p) => !isPodReady(p))
          .map((p) => `${p.metadata.name} (${p.status?.phase ?? 'Pending'})`);
        return new RolloutProblem({
          code: 'ROLLOUT_TIMEOUT',
          message: `serving ${o.name} version ${o.version} was not available within ${Math.round(o.timeoutMs / 1000)} s${notReady.length ? `; not ready: ${notReady.join(', ')}` : ''}`,
          hint: 'Large models load for minutes: raise serve-timeout, or read Triton’s log below.',
          details: []
        });
      },
      signal,
      timers: o.timers,
      onReconnect: (src, why) => o.onReconnect?.(`${src}: ${why}`)
    });
    const noticedAt = Date.now();
    await stopAll();
    return { deployment, noticedAt };
  } catch (err) {
    await stopAll();
    let lines = tails();
    const pd = err instanceof RolloutProblem ? err.diagnosis.pod : undefined;
    if (lines.length === 0 && pd) lines = await readTail(o.api, o.namespace, pd, 40, TRITON_CONTAINER);
    const problem =
      err instanceof RolloutProblem
        ? err
        : logFailure.signal.aborted && err === logFailure.signal.reason
          ? (err as RolloutProblem)
          : undefined;
    if (!problem) throw err;
    const d = problem.diagnosis;
    const reason = modelUnavailableReason(lines);
    if (d.code === 'CRASH_LOOP' && reason) {
      throw new RolloutProblem({
        code: 'MODEL_UNAVAILABLE',
        message: `${d.message}: ${reason}`,
        hint: unavailableHint(reason),
        details: lines.slice(-20)
      });
    }
    throw new RolloutProblem({ ...d, details: [...d.details, ...lines.slice(-20)] });
  }
}

function unavailableHint(reason: string): string {
  if (/tensor_para_size|world_size|gpu|config\.ini/i.test(reason)) {
    return 'tensor_para_size × pipeline_para_size must equal the GPUs of the server and the converter’s -tp; convert again with the same tensor-parallel, or fix serve-gpus.';
  }
  return 'Read Triton’s log below; check config.pbtxt and that model_checkpoint_path points at the converted <tp>-gpu folder.';
}
