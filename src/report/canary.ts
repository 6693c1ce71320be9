/**
 * What the canary did, as the run state keeps it (`state.canary`) and as the job summary draws it: the weights
 * step by step (a mermaid xychart: the new version's share as bars, the old versions' as a line) and a table of
 * each step's figures, then why it finished or stopped. Pure.
 */
/** How traffic is shifted: Istio VirtualService weights, or the replica ratio behind one Service. */
export type CanaryMode = 'istio' | 'replicas';

/** What one step's metrics showed for the new version (src/canary/metrics.ts computes it). */
export interface StepFigures {
  readonly requests: number;
  readonly failures: number;
  /** Percent of requests that succeeded (100 when there were none: `requests` says that). */
  readonly successRate: number;
  /** Mean latency of the successful requests, ms (0 when none succeeded). */
  readonly meanLatencyMs: number;
}

/** One decimal, as the step table and verdicts print percentages. */
export const round1 = (n: number) => Math.round(n * 10) / 10;

export interface CanaryStepRecord {
  /** The weight asked for the new version, percent. */
  readonly weight: number;
  /** The weight it really got (replicas mode approximates), percent. */
  readonly applied: number;
  /** How the weights were set: `v1 90 · v2 10` or `v2 1 pod · v1 1 pod`. */
  readonly how: string;
  readonly figures?: StepFigures;
  /** Why the step failed; undefined when it passed (or did not get to be checked). */
  readonly failed?: string;
}

export interface CanaryRecord {
  readonly mode: CanaryMode;
  readonly name: string;
  readonly newVersion: string;
  readonly oldVersions: readonly string[];
  readonly steps: CanaryStepRecord[];
  /** `finished`: the new version takes all traffic; `rolled-back`: the old versions do again. */
  result?: 'finished' | 'rolled-back';
  /** One sentence: why it stopped or that it finished. */
  reason?: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The mermaid chart of the weights over the steps (step 0 is before the canary: all on the old versions). */
export function weightsChart(r: CanaryRecord): string {
  const labels = ['"start"', ...r.steps.map((s, i) => `"${i + 1}: ${s.weight}%${s.failed ? ' ✗' : ''}"`)];
  const newer = [0, ...r.steps.map((s) => s.applied)];
  if (r.result === 'rolled-back') {
    labels.push('"rollback"');
    newer.push(0);
  }
  return [
    '```mermaid',
    'xychart-beta',
    `  title "Canary ${r.name}: ${r.newVersion} share of traffic (%)"`,
    `  x-axis [${labels.join(', ')}]`,
    '  y-axis "traffic %" 0 --> 100',
    `  bar [${newer.join(', ')}]`,
    `  line [${newer.map((n) => round1(100 - n)).join(', ')}]`,
    '```'
  ].join('\n');
}

/** The summary section: chart, step table, outcome. */
export function canaryMarkdown(r: CanaryRecord): string {
  const rows = r.steps.map((s, i) => {
    const f = s.figures;
    const figures = f ? `${f.requests} | ${round1(f.successRate)} % | ${Math.round(f.meanLatencyMs)} ms` : '– | – | –';
    const verdict = s.failed ? `❌ ${cell(s.failed)}` : f ? '✅' : '⚪ not checked';
    return `| ${i + 1} | ${s.weight} % | ${s.applied} % | ${cell(s.how)} | ${figures} | ${verdict} |`;
  });
  const outcome =
    r.result === 'finished'
      ? `**Finished:** ${r.newVersion} takes all traffic${r.reason ? `; ${r.reason}` : ''}.`
      : r.result === 'rolled-back'
        ? `**Rolled back:** ${r.reason ?? ''}`
        : `**Stopped:** ${r.reason ?? 'the run ended during the canary'}`;
  return [
    `### Canary: ${r.name} ${r.oldVersions.join(', ') || '(none)'} → ${r.newVersion} (${r.mode === 'istio' ? 'Istio VirtualService weights' : 'replica ratio through one Service'})`,
    '',
    weightsChart(r),
    '',
    '| step | asked | applied | weights | requests | success | mean latency | check |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    outcome,
    ''
  ].join('\n');
}
