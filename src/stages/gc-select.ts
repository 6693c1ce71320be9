/**
 * What the gc stage may remove, as a pure function of the listed objects: only what this action made (the
 * `app.kubernetes.io/managed-by: arena-ft-pipeline` label it passes to Arena with `--label`), only what is older
 * than the retention, never a job still running, never the newest serving version of a serving name in the
 * release lineage or the run's own (the one a rollout left serving, even through a quiet hour). A preview
 * lineage's newest version is not kept for being newest: an abandoned pull request's preview is what gc is for. Whether an old version still receives traffic is measured
 * afterwards (gc.ts); this only says which are candidates and why the others stay.
 */
import { MANAGED_BY, type KObj } from '../k8s/types.js';
import { jobPhase } from '../k8s/diagnose.js';
import { DEFAULT_LINEAGE, LINEAGE_LABEL } from './lineage.js';

export interface GcItem {
  readonly kind: 'serving' | 'pytorchjob';
  readonly name: string;
  /** Serving versions only. */
  readonly version?: string;
  readonly ageSeconds: number;
}

export interface GcDecision extends GcItem {
  readonly remove: boolean;
  readonly reason: string;
}

const [OWNER_KEY, OWNER_VALUE] = Object.entries(MANAGED_BY)[0];

/** The label selector of what this action made. */
export const OWNED_SELECTOR = `${OWNER_KEY}=${OWNER_VALUE}`;

export function ownedByAction(o: KObj): boolean {
  return o.metadata.labels?.[OWNER_KEY] === OWNER_VALUE;
}

function ageSeconds(iso: unknown, nowMs: number): number {
  const t = Date.parse(String(iso ?? ''));
  return Number.isFinite(t) ? Math.max(0, Math.floor((nowMs - t) / 1000)) : 0;
}

/** Human form of an age in seconds: `9d 4h`, `5h 3m`, `42s`. */
export function formatAge(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m` : `${s}s`;
}

/**
 * Decisions for serving Deployments and PyTorchJobs. `remove: true` for a serving version means "a candidate":
 * the traffic check decides.
 */
export function gcDecisions(
  deployments: readonly KObj[],
  jobs: readonly KObj[],
  o: {
    readonly nowMs: number;
    readonly retentionSeconds: number;
    /** Lineages whose newest version always stays (the release line, the run's own); previews' do not. */
    readonly keepNewestOf: readonly string[];
  }
): GcDecision[] {
  const out: GcDecision[] = [];
  const owned = deployments.filter(ownedByAction);
  // the newest creation time per serving name and lineage; versions created in the same second all count as newest
  const newest = new Map<string, string>();
  const groupOf = (d: KObj) => `${d.metadata.labels?.servingName}\u0000${d.metadata.labels?.[LINEAGE_LABEL] ?? ''}`;
  const createdOf = (d: KObj) => String(d.metadata.creationTimestamp ?? '');
  for (const d of owned) {
    const cur = newest.get(groupOf(d));
    if (cur === undefined || createdOf(d) > cur) newest.set(groupOf(d), createdOf(d));
  }
  for (const d of owned) {
    const item: GcItem = {
      kind: 'serving',
      name: d.metadata.labels?.servingName ?? '',
      version: d.metadata.labels?.servingVersion ?? '',
      ageSeconds: ageSeconds(d.metadata.creationTimestamp, o.nowMs)
    };
    if (!item.name || !item.version) continue;
    const lineage = d.metadata.labels?.[LINEAGE_LABEL];
    // unlabelled versions predate lineages and were all releases (lineage.ts replaceConflict)
    const guarded = o.keepNewestOf.includes(lineage ?? DEFAULT_LINEAGE);
    if (guarded && newest.get(groupOf(d)) === createdOf(d))
      out.push({ ...item, remove: false, reason: `newest version of ${item.name}${lineage ? ` (${lineage})` : ''}` });
    else if (item.ageSeconds <= o.retentionSeconds)
      out.push({ ...item, remove: false, reason: `created ${formatAge(item.ageSeconds)} ago, within the retention` });
    else out.push({ ...item, remove: true, reason: `created ${formatAge(item.ageSeconds)} ago` });
  }
  for (const j of jobs.filter(ownedByAction)) {
    const phase = jobPhase(j);
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const age = ageSeconds(j.status?.completionTime ?? j.metadata.creationTimestamp, o.nowMs);
    const item: GcItem = { kind: 'pytorchjob', name: j.metadata.name, ageSeconds: age };
    if (!finished) out.push({ ...item, remove: false, reason: `${phase}: a job is removed only once finished` });
    else if (age <= o.retentionSeconds)
      out.push({ ...item, remove: false, reason: `${phase} ${formatAge(age)} ago, within the retention` });
    else out.push({ ...item, remove: true, reason: `${phase} ${formatAge(age)} ago` });
  }
  return out;
}

/** `nv_inference_request_success` summed over every model and version of a Triton /metrics page (Prometheus text). */
export function requestSuccessTotal(metrics: string): number | undefined {
  let total: number | undefined;
  for (const line of metrics.split('\n')) {
    const m = /^nv_inference_request_success(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line.trim());
    if (m) total = (total ?? 0) + Number(m[1]);
  }
  return total;
}
