/**
 * Triton's Prometheus metrics (port 8002, `/metrics`) → what a canary step checks. No well-kept npm parser of
 * the Prometheus text format exists among the allowed packages, so this is a small pure one: it reads sample
 * lines (`name{label="value",...} value [timestamp]`), skips comments, and unescapes label values.
 *
 * Triton r22.03 exports per model and version only cumulative counters: `nv_inference_request_success`,
 * `nv_inference_request_failure` and `nv_inference_request_duration_us`, the last summed over successful
 * requests only (src/core/infer_stats.cc: UpdateFailure counts a failure and no duration). So a step's figures
 * are deltas between two readings: success rate = Δsuccess / (Δsuccess + Δfailure), mean latency =
 * Δduration / Δsuccess. There is no histogram in 22.03, hence a mean and not a percentile.
 */
import type { StepFigures } from '../report/canary.js';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error(`"${v}" is not a sample value`);
  return n;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    LABEL.lastIndex = at;
    const m = LABEL.exec(text);
    if (!m) {
      if (text.slice(at).trim() === '') break;
      throw new Error(`cannot read the labels {${text}}`);
    }
    out[m[1]] = m[2].replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    at = LABEL.lastIndex;
  }
  return out;
}

/** Every sample of a Prometheus text exposition. Throws on a line that is neither a sample nor a comment. */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a Prometheus sample: ${line.slice(0, 120)}`);
    try {
      out.push({ name: m[1], labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]) });
    } catch (e) {
      throw new Error(`line ${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

/** One pod's cumulative counters for a model (all its versions summed). */
export interface Counters {
  readonly success: number;
  readonly failure: number;
  readonly durationUs: number;
}

export const ZERO: Counters = { success: 0, failure: 0, durationUs: 0 };

export function tritonCounters(samples: readonly Sample[], model: string): Counters {
  const sum = (name: string) =>
    samples.filter((s) => s.name === name && s.labels.model === model).reduce((a, s) => a + s.value, 0);
  return {
    success: sum('nv_inference_request_success'),
    failure: sum('nv_inference_request_failure'),
    durationUs: sum('nv_inference_request_duration_us')
  };
}

/**
 * How much a counter grew between two readings. A counter that went down was reset (the container restarted):
 * as Prometheus' `increase`, the later reading is all growth.
 */
export function counterDelta(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** What a step's readings say about the new version. */
export type { StepFigures };

/**
 * The new version's figures over a step from per-pod readings at its start and end (a pod absent at the start
 * came up during the step: it counts from zero; a pod absent at the end is gone: its requests are lost to us).
 */
export function stepFigures(before: ReadonlyMap<string, Counters>, after: ReadonlyMap<string, Counters>): StepFigures {
  let success = 0;
  let failure = 0;
  let durationUs = 0;
  for (const [pod, end] of after) {
    const start = before.get(pod) ?? ZERO;
    success += counterDelta(start.success, end.success);
    failure += counterDelta(start.failure, end.failure);
    durationUs += counterDelta(start.durationUs, end.durationUs);
  }
  const requests = success + failure;
  return {
    requests,
    failures: failure,
    successRate: requests === 0 ? 100 : (success / requests) * 100,
    meanLatencyMs: success === 0 ? 0 : durationUs / success / 1000
  };
}
