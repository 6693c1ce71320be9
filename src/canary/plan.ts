/**
 * The canary's arithmetic, pure: how a step's weight is split across versions (Istio) or approximated by replica
 * counts (no Istio), and whether a step's figures pass the budgets.
 */
import type { CanaryConfig } from '../config/types.js';
import { round1, type CanaryMode, type StepFigures } from '../report/canary.js';

export type { CanaryMode };

export interface VersionWeight {
  readonly version: string;
  readonly weight: number;
}

/**
 * The VirtualService weights of one step: the new version gets `newWeight`, the old versions share the rest in
 * proportion to their current weights (largest remainder, so the integers sum to exactly 100).
 */
export function splitWeights(old: readonly VersionWeight[], newVersion: string, newWeight: number): VersionWeight[] {
  const rest = 100 - newWeight;
  const total = old.reduce((a, o) => a + o.weight, 0);
  const shares = old.map((o) => (total === 0 ? rest / old.length : (o.weight * rest) / total));
  const floors = shares.map(Math.floor);
  let left = rest - floors.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]++;
    left--;
  }
  return [
    ...old.map((o, i) => ({ version: o.version, weight: floors[i] })).filter((o) => o.weight > 0),
    ...(newWeight > 0 ? [{ version: newVersion, weight: newWeight }] : [])
  ];
}

export interface ReplicaSplit {
  /** Replicas of the new version. */
  readonly newReplicas: number;
  /** Replicas of each old version (same order as given). */
  readonly oldReplicas: readonly number[];
  /** The share of pods (so of traffic through one Service) the new version really gets, percent. */
  readonly effective: number;
}

/**
 * Without Istio a Service spreads requests over its ready pods, so a weight is a replica ratio. The new version
 * grows towards its own replica count (`full`) as the weight grows and the old versions shrink from theirs; no
 * version ever runs more replicas than it has now, so the canary needs no GPU beyond what is allocated. With few
 * replicas the ratio is coarse (1 old + 1 new is 50 %): `effective` says what a step really gets.
 */
export function replicasFor(weight: number, full: number, old: readonly number[]): ReplicaSplit {
  if (weight >= 100) return { newReplicas: full, oldReplicas: old.map(() => 0), effective: 100 };
  const oldTotal = old.reduce((a, b) => a + b, 0);
  const newReplicas = Math.min(full, Math.max(1, Math.round((full * weight) / 100)));
  // old replicas that make newReplicas about `weight` percent, never more than they have, at least 1 in all
  const wantOld = Math.max(1, Math.min(oldTotal, Math.round((newReplicas * (100 - weight)) / weight)));
  const oldReplicas = shrink(old, wantOld);
  const sumOld = oldReplicas.reduce((a, b) => a + b, 0);
  return { newReplicas, oldReplicas, effective: Math.round((newReplicas / (newReplicas + sumOld)) * 1000) / 10 };
}

/** `total` replicas spread over the old versions in proportion to what they have (largest remainder). */
function shrink(old: readonly number[], total: number): number[] {
  const have = old.reduce((a, b) => a + b, 0);
  if (have === 0) return old.map(() => 0);
  const shares = old.map((r) => (r * total) / have);
  const out = shares.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}

export type StepBudgets = Pick<CanaryConfig, 'minSuccessRate' | 'latencyBudgetMs' | 'minRequests'>;

/** Why a step fails its budgets, or undefined when it passes. */
export function stepVerdict(f: StepFigures, b: StepBudgets): string | undefined {
  if (f.requests < b.minRequests)
    return `only ${f.requests} request(s) reached the new version (at least ${b.minRequests} needed to judge it)`;
  if (f.successRate < b.minSuccessRate)
    return `success rate ${round1(f.successRate)} % (${f.failures} of ${f.requests} failed) is under ${b.minSuccessRate} %`;
  if (f.meanLatencyMs > b.latencyBudgetMs)
    return `mean latency ${Math.round(f.meanLatencyMs)} ms is over the budget of ${b.latencyBudgetMs} ms`;
  return undefined;
}
