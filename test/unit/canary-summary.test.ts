/**
 * The job summary with a canary in the run state: the step picture (a mermaid xychart; the `mermaid` package's
 * xychart parser needs a DOM (DOMPurify), which these tests do not have, so its lines are checked one by one
 * against the xychart-beta grammar's forms), the step table as GitHub's Markdown renders it, and why the canary finished or stopped, also
 * when the canary stage failed (a failed stage has no Markdown of its own).
 */
import { marked, type Tokens } from 'marked';
import { loadConfig } from '../../src/config/load.js';
import { renderSummary } from '../../src/report/summary.js';
import type { RunReport } from '../../src/pipeline/runner.js';
import type { CanaryRecord } from '../../src/report/canary.js';
import { PipelineError } from '../../src/errors.js';

const config = loadConfig({
  getInput: (n) =>
    ({
      model: 'org/m',
      'oss-bucket': 'bkt',
      'oss-access-key-id': 'ak',
      'oss-access-key-secret': 'sk',
      version: 'v2',
      canary: 'true'
    })[n],
  env: { KUBECONFIG: '/k' }
});

const figures = (requests: number, failures: number) => ({
  requests,
  failures,
  successRate: ((requests - failures) / requests) * 100,
  meanLatencyMs: 90
});

const records: [string, CanaryRecord, RegExp][] = [
  [
    'finished',
    {
      mode: 'istio',
      name: 'm',
      newVersion: 'v2',
      oldVersions: ['v1'],
      steps: [
        { weight: 10, applied: 10, how: 'v1 90 · v2 10', figures: figures(30, 0) },
        { weight: 100, applied: 100, how: 'v2 100', figures: figures(300, 0) }
      ],
      result: 'finished'
    },
    /\*\*Finished:\*\* v2 takes all traffic/
  ],
  [
    'rolled back',
    {
      mode: 'replicas',
      name: 'm',
      newVersion: 'v2',
      oldVersions: ['v1'],
      steps: [
        {
          weight: 10,
          applied: 50,
          how: 'v2 1 pod(s) · v1 1 pod(s)',
          figures: figures(40, 10),
          failed: 'success rate 75 % (10 of 40 failed) is under 99 %'
        }
      ],
      result: 'rolled-back',
      reason: 'step 1 (10 %): success rate 75 %; v1 back to 1 replica(s); deleted serving version v2'
    },
    /\*\*Rolled back:\*\* step 1 \(10 %\): success rate 75 %; v1 back to 1 replica\(s\)/
  ]
];

describe('the canary in the job summary', () => {
  it.each(records)('%s: chart parsed by mermaid, one table row per step, the outcome', async (_what, rec, outcome) => {
    const failed = rec.result === 'rolled-back';
    const report: RunReport = {
      ok: !failed,
      results: [{ stage: 'canary', status: failed ? 'failed' : 'done', summary: 'x', durationMs: 1000 }],
      outputs: {},
      markdown: [],
      state: { canary: rec },
      ...(failed
        ? { failure: { stage: 'canary', error: new PipelineError('CANARY_STEP_FAILED', 'failed', 'fix it') } }
        : {})
    };
    const md = renderSummary(config, report);
    const tokens = marked.lexer(md, { gfm: true });
    const charts = tokens
      .filter((t): t is Tokens.Code => t.type === 'code' && (t as Tokens.Code).lang === 'mermaid')
      .map((t) => t.text)
      .filter((t) => t.startsWith('xychart'));
    expect(charts).toHaveLength(1);
    const lines = charts[0].split('\n');
    expect(lines[0]).toBe('xychart-beta');
    const n = rec.steps.length + (rec.result === 'rolled-back' ? 2 : 1);
    const labels = /^ {2}x-axis \[(.*)\]$/.exec(lines[2])![1].split(', ');
    expect(labels).toHaveLength(n);
    for (const l of labels) expect(l).toMatch(/^"[^"]+"$/);
    expect(lines[3]).toMatch(/^ {2}y-axis "[^"]+" 0 --> 100$/);
    for (const [i, kind] of [
      [4, 'bar'],
      [5, 'line']
    ] as const) {
      const values = new RegExp(`^ {2}${kind} \\[(.*)\\]$`).exec(lines[i])![1].split(', ').map(Number);
      expect(values).toHaveLength(n);
      for (const v of values) expect(v >= 0 && v <= 100).toBe(true);
    }
    const table = tokens.filter((t): t is Tokens.Table => t.type === 'table').find((t) => t.header[0].text === 'step')!;
    expect(table.rows).toHaveLength(rec.steps.length);
    expect(table.rows[0][2].text).toBe(`${rec.steps[0].applied} %`);
    expect(md).toMatch(outcome);
  });

  it('a run without a canary has no canary section', () => {
    const md = renderSummary(config, { ok: true, results: [], outputs: {}, markdown: [], state: {} });
    expect(md).not.toMatch(/Canary|xychart/);
  });
});
