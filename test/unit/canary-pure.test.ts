/**
 * The canary's pure parts, table-driven: steps input, weights split, weights → replicas, Prometheus text →
 * counters, counter deltas → rates, budgets verdict, routing manifests, and the summary's step picture.
 */
import { describe, expect, it } from '@jest/globals';
import { parseCanarySteps } from '../../src/config/canary.js';
import {
  counterDelta,
  parsePrometheusText,
  stepFigures,
  tritonCounters,
  type Counters
} from '../../src/canary/metrics.js';
import { replicasFor, splitWeights, stepVerdict } from '../../src/canary/plan.js';
import { canaryMarkdown, weightsChart, type CanaryRecord } from '../../src/report/canary.js';
import { checkServiceName, destinationRule, servingService, virtualService } from '../../src/canary/routing.js';
import { chooseMode } from '../../src/stages/canary.js';
import { PipelineError } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';

describe('parseCanarySteps', () => {
  it.each([
    ['10,50,100', [10, 50, 100]],
    ['100', [100]],
    [' 5 25, 100 ', [5, 25, 100]]
  ])('%j → %j', (input, want) => {
    expect(parseCanarySteps(input)).toEqual(want);
  });
  it.each([
    ['', 'has no step'],
    ['10,50', 'does not end at 100'],
    ['50,10,100', 'does not increase (50 then 10)'],
    ['10,10,100', 'does not increase (10 then 10)'],
    ['0,100', 'has "0", which is not a whole percentage from 1 to 100'],
    ['10,150', 'has "150"'],
    ['1,2,3,4,5,6,7,8,9,10,100', 'has more than 10 steps']
  ])('%j is refused: %s', (input, why) => {
    expect(parseCanarySteps(input)).toContain(why);
  });
});

describe('splitWeights', () => {
  it.each([
    { old: [['v1', 1]], w: 10, want: ['v1:90', 'v2:10'] },
    { old: [['v1', 1]], w: 100, want: ['v2:100'] },
    { old: [['v1', 1]], w: 0, want: ['v1:100'] },
    {
      old: [
        ['a', 1],
        ['b', 1],
        ['c', 1]
      ],
      w: 10,
      want: ['a:30', 'b:30', 'c:30', 'v2:10']
    },
    {
      old: [
        ['a', 1],
        ['b', 1],
        ['c', 1]
      ],
      w: 0,
      want: ['a:34', 'b:33', 'c:33']
    },
    {
      old: [
        ['a', 80],
        ['b', 20]
      ],
      w: 50,
      want: ['a:40', 'b:10', 'v2:50']
    },
    {
      old: [
        ['a', 0],
        ['b', 0]
      ],
      w: 50,
      want: ['a:25', 'b:25', 'v2:50']
    }
  ])('old $old, new weight $w → $want (sums to 100)', ({ old, w, want }) => {
    const ws = splitWeights(
      old.map(([version, weight]) => ({ version: String(version), weight: Number(weight) })),
      'v2',
      w
    );
    expect(ws.map((x) => `${x.version}:${x.weight}`)).toEqual(want);
    expect(ws.reduce((a, x) => a + x.weight, 0)).toBe(100);
  });
});

describe('replicasFor (weights approximated by replicas)', () => {
  it.each([
    // weight, new version's replicas, old versions' replicas → new, old, effective %
    [10, 1, [1], 1, [1], 50],
    [50, 1, [1], 1, [1], 50],
    [100, 1, [1], 1, [0], 100],
    [10, 4, [4], 1, [4], 20],
    [25, 4, [4], 1, [3], 25],
    [50, 4, [4], 2, [2], 50],
    [75, 4, [4], 3, [1], 75],
    [50, 2, [3, 1], 1, [1, 0], 50],
    [20, 2, [2, 2], 1, [2, 2], 20]
  ])('%i %% of new %i, old %j → new %i, old %j, ≈ %f %%', (w, full, old, n, o, eff) => {
    expect(replicasFor(w, full, old)).toEqual({ newReplicas: n, oldReplicas: o, effective: eff });
  });
  it('never runs an old version above its replicas nor the new one above its own', () => {
    for (let w = 1; w <= 100; w++) {
      const r = replicasFor(w, 3, [2, 1]);
      expect(r.newReplicas).toBeLessThanOrEqual(3);
      expect(r.oldReplicas[0]).toBeLessThanOrEqual(2);
      expect(r.oldReplicas[1]).toBeLessThanOrEqual(1);
    }
  });
});

const TRITON_22_03 = `# HELP nv_inference_request_success Number of successful inference requests, all batch sizes
# TYPE nv_inference_request_success counter
nv_inference_request_success{model="bloom",version="1"} 40
nv_inference_request_success{model="other",version="1"} 7
# HELP nv_inference_request_failure Number of failed inference requests, all batch sizes
# TYPE nv_inference_request_failure counter
nv_inference_request_failure{model="bloom",version="1"} 2
# HELP nv_inference_request_duration_us Cumulative inference request duration in microseconds (includes cached requests)
# TYPE nv_inference_request_duration_us counter
nv_inference_request_duration_us{model="bloom",version="1"} 2000000
nv_gpu_utilization{gpu_uuid="GPU-1"} 0.5 1700000000000
`;

describe('parsePrometheusText and tritonCounters', () => {
  it('reads samples, labels and values (timestamps and comments skipped)', () => {
    const s = parsePrometheusText(TRITON_22_03);
    expect(s).toHaveLength(5);
    expect(s[0]).toEqual({ name: 'nv_inference_request_success', labels: { model: 'bloom', version: '1' }, value: 40 });
    expect(s[4]).toEqual({ name: 'nv_gpu_utilization', labels: { gpu_uuid: 'GPU-1' }, value: 0.5 });
    expect(tritonCounters(s, 'bloom')).toEqual({ success: 40, failure: 2, durationUs: 2_000_000 });
    expect(tritonCounters(s, 'absent')).toEqual({ success: 0, failure: 0, durationUs: 0 });
  });
  it.each([
    ['m 1', { name: 'm', labels: {}, value: 1 }],
    ['m{} +Inf', { name: 'm', labels: {}, value: Infinity }],
    ['m{a="x\\"y",b="1\\\\2"} 3e2', { name: 'm', labels: { a: 'x"y', b: '1\\2' }, value: 300 }],
    ['m{a="p,q"} 2', { name: 'm', labels: { a: 'p,q' }, value: 2 }]
  ])('%s', (line, want) => {
    expect(parsePrometheusText(line)).toEqual([want]);
  });
  it.each(['m{a=x} 1', 'not a sample line at all', 'm abc'])('refuses %j with the line number', (line) => {
    expect(() => parsePrometheusText(`# ok\n${line}`)).toThrow(/line 2/);
  });
});

describe('counter deltas → step figures', () => {
  it.each([
    [10, 15, 5],
    [10, 10, 0],
    [10, 3, 3] // reset (restart): the later reading is all growth
  ])('counterDelta(%i, %i) = %i', (a, b, d) => {
    expect(counterDelta(a, b)).toBe(d);
  });
  const c = (success: number, failure: number, durationUs: number): Counters => ({ success, failure, durationUs });
  it.each([
    {
      what: 'one pod',
      before: [['p', c(10, 0, 1_000_000)]],
      after: [['p', c(30, 0, 3_000_000)]],
      want: { requests: 20, failures: 0, successRate: 100, meanLatencyMs: 100 }
    },
    {
      what: 'failures count in the rate, not in the latency (Triton 22.03 times successes only)',
      before: [['p', c(0, 0, 0)]],
      after: [['p', c(6, 2, 600_000)]],
      want: { requests: 8, failures: 2, successRate: 75, meanLatencyMs: 100 }
    },
    {
      what: 'a pod that came up during the step counts from zero',
      before: [['p', c(5, 0, 500_000)]],
      after: [
        ['p', c(10, 0, 1_000_000)],
        ['q', c(5, 5, 1_000_000)]
      ],
      want: { requests: 15, failures: 5, successRate: (10 / 15) * 100, meanLatencyMs: 150 }
    },
    {
      what: 'no traffic',
      before: [],
      after: [['p', c(0, 0, 0)]],
      want: { requests: 0, failures: 0, successRate: 100, meanLatencyMs: 0 }
    }
  ])('$what', ({ before, after, want }) => {
    const f = stepFigures(new Map(before as [string, Counters][]), new Map(after as [string, Counters][]));
    expect(f.requests).toBe(want.requests);
    expect(f.failures).toBe(want.failures);
    expect(f.successRate).toBeCloseTo(want.successRate, 6);
    expect(f.meanLatencyMs).toBeCloseTo(want.meanLatencyMs, 6);
  });
});

describe('stepVerdict', () => {
  const budgets = { minSuccessRate: 99, latencyBudgetMs: 500, minRequests: 20 };
  it.each([
    [{ requests: 100, failures: 0, successRate: 100, meanLatencyMs: 120 }, undefined],
    [{ requests: 100, failures: 1, successRate: 99, meanLatencyMs: 500 }, undefined],
    [{ requests: 19, failures: 0, successRate: 100, meanLatencyMs: 1 }, 'only 19 request(s) reached the new version'],
    [
      { requests: 100, failures: 2, successRate: 98, meanLatencyMs: 1 },
      'success rate 98 % (2 of 100 failed) is under 99 %'
    ],
    [
      { requests: 100, failures: 0, successRate: 100, meanLatencyMs: 501 },
      'mean latency 501 ms is over the budget of 500 ms'
    ]
  ])('%j → %s', (f, why) => {
    const v = stepVerdict(f, budgets);
    if (why === undefined) expect(v).toBeUndefined();
    else expect(v).toContain(why);
  });
});

describe('chooseMode', () => {
  it.each([
    ['auto', 'v1', 'istio'],
    ['auto', undefined, 'replicas'],
    ['istio', 'v1beta1', 'istio'],
    ['replicas', 'v1', 'replicas']
  ] as const)('%s with Istio %s → %s', (asked, istio, want) => {
    expect(chooseMode(asked, istio)).toBe(want);
  });
  it('istio asked for without its CRDs: CANARY_ISTIO_MISSING with what to do', () => {
    const e = (() => {
      try {
        chooseMode('istio', undefined);
      } catch (err) {
        return err as PipelineError;
      }
    })();
    expect(e).toBeInstanceOf(PipelineError);
    expect(e!.code).toBe('CANARY_ISTIO_MISSING');
    expect(e!.hint).toMatch(/canary-mode to replicas/);
  });
});

describe('routing manifests', () => {
  it.each(['7b1', 'Bloom', 'a_b', 'x'.repeat(64), '-a'])('serving name %j cannot name a Service', (n) => {
    expect(() => checkServiceName(n)).toThrow(expect.objectContaining({ code: 'CANARY_INVALID_NAME' }));
  });
  it('Service over every version, DestinationRule subsets by servingVersion, weighted VirtualService', () => {
    expect(servingService('bloom', 'ns').spec.selector).toEqual({
      servingName: 'bloom',
      servingType: 'triton-serving'
    });
    const dr = destinationRule('bloom', 'ns', ['v2', 'v1'], 'v1');
    expect(dr.apiVersion).toBe('networking.istio.io/v1');
    expect(dr.spec).toEqual({
      host: 'bloom.ns.svc.cluster.local',
      subsets: [
        { name: 'v1', labels: { servingVersion: 'v1' } },
        { name: 'v2', labels: { servingVersion: 'v2' } }
      ]
    });
    const vs = virtualService(
      'bloom',
      'ns',
      [
        { version: 'v1', weight: 90 },
        { version: 'v2', weight: 10 }
      ],
      'v1beta1'
    );
    expect(vs.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(vs.spec.hosts).toEqual(['bloom.ns.svc.cluster.local']);
    expect(vs.spec.http[0].route).toEqual([
      { destination: { host: 'bloom.ns.svc.cluster.local', subset: 'v1', port: { number: 8000 } }, weight: 90 },
      { destination: { host: 'bloom.ns.svc.cluster.local', subset: 'v2', port: { number: 8000 } }, weight: 10 }
    ]);
  });
});

describe('the summary step picture', () => {
  const step = (weight: number, successRate: number, failed?: string) => ({
    weight,
    applied: weight,
    how: `v1 ${100 - weight} · v2 ${weight}`,
    figures: { requests: 50, failures: successRate === 100 ? 0 : 10, successRate, meanLatencyMs: 80 },
    ...(failed ? { failed } : {})
  });
  it.each([
    {
      what: 'finished',
      rec: { result: 'finished', steps: [step(10, 100), step(50, 100), step(100, 100)] },
      bar: 'bar [0, 10, 50, 100]',
      line: 'line [100, 90, 50, 0]',
      outcome: '**Finished:** v2 takes all traffic'
    },
    {
      what: 'rolled back at step 2',
      rec: {
        result: 'rolled-back',
        reason: 'step 2 (50 %): success rate 80 %',
        steps: [step(10, 100), step(50, 80, 'success rate 80 % is under 99 %')]
      },
      bar: 'bar [0, 10, 50, 0]',
      line: 'line [100, 90, 50, 100]',
      outcome: '**Rolled back:** step 2 (50 %): success rate 80 %'
    }
  ])('$what', ({ rec, bar, line, outcome }) => {
    const r = { mode: 'istio', name: 'bloom', newVersion: 'v2', oldVersions: ['v1'], ...rec } as CanaryRecord;
    const chart = weightsChart(r);
    expect(chart).toContain('xychart-beta');
    expect(chart).toContain(bar);
    expect(chart).toContain(line);
    const md = canaryMarkdown(r);
    expect(md).toContain(outcome);
    expect(md.split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(r.steps.length);
  });
});

describe('canary inputs through loadConfig', () => {
  const base: Record<string, string> = {
    model: 'org/m',
    'oss-bucket': 'bkt',
    'oss-access-key-id': 'ak',
    'oss-access-key-secret': 'sk',
    version: 'v1'
  };
  const load = (over: Record<string, string>) =>
    loadConfig({ getInput: (n) => ({ ...base, ...over })[n], env: { KUBECONFIG: '/k' } });
  it('stages: all leaves the canary out; canary: true adds it after smoke', () => {
    expect(load({}).stages).not.toContain('canary');
    expect(load({ canary: 'true' }).stages.at(-1)).toBe('canary');
    expect(load({ stages: 'deploy smoke canary' }).stages).toEqual(['deploy', 'smoke', 'canary']);
  });
  it('defaults: 10,50,100, 5 min soak, auto, 99 %, the smoke latency budget, 20 requests', () => {
    expect(load({ 'smoke-latency-budget': '1234' }).canary).toEqual({
      steps: [10, 50, 100],
      soakSeconds: 300,
      mode: 'auto',
      minSuccessRate: 99,
      latencyBudgetMs: 1234,
      minRequests: 20
    });
    expect(load({ 'canary-latency-budget': '800', 'canary-success-rate': '99.5' }).canary).toMatchObject({
      latencyBudgetMs: 800,
      minSuccessRate: 99.5
    });
  });
  it.each([
    ['canary-steps', '10,50', /Input "canary-steps".*does not end at 100/],
    ['canary-steps', 'ten', /Input "canary-steps"/],
    ['canary-soak', '0', /Input "canary-soak".*out of range/],
    ['canary-soak', '2d', /Input "canary-soak"/],
    ['canary-mode', 'linkerd', /Input "canary-mode"/],
    ['canary-success-rate', '101', /Input "canary-success-rate"/],
    ['canary-latency-budget', '-5', /Input "canary-latency-budget"/],
    ['canary-min-requests', '0', /Input "canary-min-requests"/]
  ])('%s %j is refused, naming the input', (name, value, msg) => {
    expect(() => load({ [name]: value })).toThrow(msg);
  });
});
