/**
 * GPU hygiene, the pure parts (issue 18): GPU-hours from pod times and GPU requests, the summary's GPU lines and
 * outputs, which objects the gc stage may remove, Triton's request counter, the new inputs' checks, and the
 * conversion job's clean-pod policy and TTL on Arena's command line.
 */
import { describe, expect, it } from '@jest/globals';
import { gpuHours, podGpuSeconds, podGpus, type PodSeen } from '../../src/k8s/gpu-usage.js';
import { gpuOutputs, gpuSection, formatAmount } from '../../src/report/gpu-cost.js';
import { renderSummary } from '../../src/report/summary.js';
import { computeOutputs } from '../../src/report/outputs.js';
import { gcDecisions, requestSuccessTotal } from '../../src/stages/gc-select.js';
import { parseRetention } from '../../src/config/gpu-gc.js';
import { loadConfig } from '../../src/config/load.js';
import { converterArgs } from '../../src/stages/convert.js';
import type { KObj } from '../../src/k8s/types.js';
import type { RunReport } from '../../src/pipeline/runner.js';
import type { PipelineError } from '../../src/errors.js';
import { testConfig } from '../helpers/config.js';

const T = (s: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + s * 1000).toISOString();
const ms = (s: number) => Date.parse(T(s));

function pod(o: {
  gpus?: (number | string | undefined)[];
  requestsOnly?: boolean;
  start?: number;
  finished?: (number | undefined)[];
}): KObj {
  const gpus = o.gpus ?? [1];
  return {
    metadata: { name: 'p', uid: 'u' },
    spec: {
      containers: gpus.map((g, i) => ({
        name: `c${i}`,
        resources:
          g === undefined
            ? {}
            : o.requestsOnly
              ? { requests: { 'nvidia.com/gpu': g } }
              : { limits: { 'nvidia.com/gpu': g } }
      }))
    },
    status: {
      ...(o.start !== undefined ? { startTime: T(o.start) } : {}),
      ...(o.finished
        ? {
            containerStatuses: o.finished.map((f) =>
              f === undefined ? { state: { running: {} } } : { state: { terminated: { finishedAt: T(f) } } }
            )
          }
        : {})
    }
  };
}

describe('GPU-hours from pod times and GPU requests', () => {
  it.each([
    ['limits', pod({ gpus: [2] }), 2],
    ['requests only', pod({ gpus: ['4'], requestsOnly: true }), 4],
    ['summed over containers', pod({ gpus: [1, 2, undefined] }), 3],
    ['no GPU', pod({ gpus: [undefined] }), 0],
    ['a non-number', pod({ gpus: ['x'] }), 0]
  ])('podGpus: %s', (_what, p, want) => {
    expect(podGpus(p)).toBe(want);
  });

  // window [0, 3600]; [name, seen, GPU-seconds]
  const cases: [string, PodSeen, number][] = [
    ['finished inside the window', { pod: pod({ gpus: [2], start: 100, finished: [700] }) }, 2 * 600],
    [
      'still running: counted to the end of the window',
      { pod: pod({ gpus: [1], start: 600, finished: [undefined] }) },
      3000
    ],
    ['started before the window: clipped to its start', { pod: pod({ gpus: [1], start: -500, finished: [300] }) }, 300],
    ['the last container to finish ends it', { pod: pod({ gpus: [1, 1], start: 0, finished: [100, 400] }) }, 2 * 400],
    [
      'one container still running: not ended',
      { pod: pod({ gpus: [1, 1], start: 0, finished: [100, undefined] }) },
      2 * 3600
    ],
    [
      'deleted while running: ends when seen deleted',
      { pod: pod({ start: 0, finished: [undefined] }), deletedAtMs: ms(900) },
      900
    ],
    [
      'deleted after it finished: its finish counts',
      { pod: pod({ start: 0, finished: [200] }), deletedAtMs: ms(900) },
      200
    ],
    ['never started (Pending): nothing', { pod: pod({ gpus: [8] }) }, 0],
    ['started after the window', { pod: pod({ start: 4000, finished: [5000] }) }, 0],
    [
      'a pod inside one second: the times a watcher saw refine the whole-second API times',
      { pod: pod({ gpus: [2], start: 100, finished: [100] }), startSeenMs: ms(100) + 200, endSeenMs: ms(100) + 700 },
      2 * 0.5
    ],
    [
      'seen times outside the API time’s second are not about it: ignored',
      { pod: pod({ start: 100, finished: [200] }), startSeenMs: ms(150), endSeenMs: ms(260) },
      100
    ],
    ['no GPU requested', { pod: pod({ gpus: [undefined], start: 0, finished: [3600] }) }, 0]
  ];
  it.each(cases)('podGpuSeconds: %s', (_what, seen, want) => {
    expect(podGpuSeconds(seen, ms(0), ms(3600))).toBe(want);
  });

  it('gpuHours sums the pods in hours', () => {
    const all = cases.map(([, s]) => s);
    const seconds = cases.reduce((s, [, , v]) => s + v, 0);
    expect(gpuHours(all, ms(0), ms(3600))).toBeCloseTo(seconds / 3600, 10);
    expect(gpuHours([], ms(0), ms(3600))).toBe(0);
  });
});

describe('the GPU lines of the summary and the outputs', () => {
  const report = (hours: Record<string, number>): RunReport => ({
    ok: true,
    results: ['convert', 'deploy', 'smoke'].map((stage) => ({
      stage: stage as 'convert',
      status: 'done',
      summary: 'ok',
      durationMs: 1000,
      startedAt: T(0)
    })),
    outputs: {},
    markdown: [],
    state: { gpuHours: hours }
  });
  const hours = { convert: 1.5, deploy: 0.25, smoke: 0.005 };
  const total = 1.5 + 0.25 + 0.005;

  it.each([
    [0, '0'],
    [1.5, '1.50'],
    [0.0123, '0.01'],
    [0.000345, '0.00034']
  ])('formatAmount(%p) = %p', (n, s) => {
    expect(formatAmount(n)).toBe(s);
  });

  it('lists GPU-hours per stage, the total and the cost in the given currency', () => {
    const cfg = testConfig({ gpuPrice: { perHour: 20, currency: 'CNY' } });
    const md = gpuSection(cfg, report(hours));
    expect(md).toContain('| convert | 1.50 |');
    expect(md).toContain('| deploy | 0.25 |');
    expect(md).toContain('| smoke | 0.005 |');
    expect(md).toContain(`| **total** | **${formatAmount(total)}** |`);
    expect(md).toContain(
      `**GPU cost:** ${formatAmount(total * 20)} CNY = ${formatAmount(total)} GPU-hours × 20.00 CNY per GPU-hour`
    );
    expect(renderSummary(cfg, report(hours))).toContain(md);
    expect(gpuOutputs(cfg, report(hours))).toEqual({
      'gpu-hours': String(total),
      'gpu-cost': String(Number((total * 20).toPrecision(6)))
    });
    expect(computeOutputs(cfg, report(hours))).toMatchObject({ 'gpu-hours': String(total) });
  });

  it('without a currency says "in your currency"; without a price no cost and no gpu-cost output', () => {
    const cfg = testConfig({ gpuPrice: { perHour: 2, currency: '' } });
    expect(gpuSection(cfg, report(hours))).toMatch(/\*\*GPU cost:\*\* \S+ \(in your currency\) = /);
    const none = testConfig({});
    expect(gpuSection(none, report(hours))).toContain('No `gpu-price-per-hour` given');
    expect(gpuOutputs(none, report(hours))).not.toHaveProperty('gpu-cost');
  });

  it('a run without GPU stages has no GPU section and no GPU output', () => {
    const cfg = testConfig({ gpuPrice: { perHour: 2, currency: 'USD' } });
    expect(gpuSection(cfg, report({}))).toBe('');
    expect(renderSummary(cfg, report({}))).not.toContain('GPU usage');
    expect(gpuOutputs(cfg, report({}))).toEqual({});
  });
});

describe('what gc may remove', () => {
  const OWN = { 'app.kubernetes.io/managed-by': 'arena-ft-pipeline' };
  const now = ms(30 * 86400);
  const serving = (
    version: string,
    createdDay: number,
    labels: Record<string, string> = OWN,
    name = 'bloom'
  ): KObj => ({
    metadata: {
      name: `${name}-${version}-tritoninferenceserver`,
      creationTimestamp: T(createdDay * 86400),
      labels: { servingName: name, servingVersion: version, servingType: 'triton-serving', ...labels }
    }
  });
  const job = (name: string, phase: 'Succeeded' | 'Failed' | 'Running', doneDay: number, labels = OWN): KObj => ({
    metadata: { name, creationTimestamp: T(doneDay * 86400 - 3600), labels },
    status: {
      conditions: [{ type: phase, status: 'True' }],
      ...(phase !== 'Running' ? { completionTime: T(doneDay * 86400) } : {})
    }
  });
  const decide = (d: KObj[], j: KObj[]) =>
    Object.fromEntries(
      gcDecisions(d, j, { nowMs: now, retentionSeconds: 7 * 86400, keepNewestOf: ['release'] }).map((x) => [
        x.version ? `${x.name}/${x.version}` : x.name,
        x.remove
      ])
    );

  it('old versions of this action are candidates; the newest of the release line and recent ones stay', () => {
    const lin = (l: string) => ({ ...OWN, 'arena-ft-pipeline/lineage': l });
    expect(
      decide(
        [
          serving('v1', 1, lin('release')),
          serving('v2', 2, lin('release')),
          serving('v3', 3, lin('release')),
          serving('pr1', 1, lin('pr-1')),
          serving('v9', 25, lin('release'), 'other'),
          serving('v8', 28, lin('release'), 'other2'),
          serving('v7', 26, lin('release'), 'other2')
        ],
        []
      )
    ).toEqual({
      'bloom/v1': true,
      'bloom/v2': true,
      'bloom/v3': false, // newest of bloom/release
      'bloom/pr1': true, // a preview's newest is not spared: an abandoned pull request's version
      'other/v9': false,
      'other2/v8': false,
      'other2/v7': false // 4 days old: within the retention
    });
  });

  it("the run's own lineage keeps its newest too (gc run from a preview's workflow)", () => {
    const pr = { ...OWN, 'arena-ft-pipeline/lineage': 'pr-1' };
    const d = [serving('p1', 1, pr), serving('p2', 2, pr)];
    const keep = (lineages: string[]) =>
      gcDecisions(d, [], { nowMs: now, retentionSeconds: 7 * 86400, keepNewestOf: lineages }).map((x) => x.remove);
    expect(keep(['release'])).toEqual([true, true]);
    expect(keep(['release', 'pr-1'])).toEqual([true, false]);
  });

  it('versions created in the same second as the newest all stay (creation times have second precision)', () => {
    expect(decide([serving('v1', 1), serving('v2', 2), serving('v3', 2)], [])).toEqual({
      'bloom/v1': true,
      'bloom/v2': false,
      'bloom/v3': false
    });
  });

  it('never what the action did not create, never a running job', () => {
    expect(
      decide(
        [serving('hand', 1, {}), serving('v1', 1), serving('v2', 2)],
        [
          job('ft-a', 'Succeeded', 1),
          job('ft-b', 'Failed', 2),
          job('ft-c', 'Running', 1),
          job('ft-d', 'Succeeded', 28),
          job('theirs', 'Succeeded', 1, {} as typeof OWN)
        ]
      )
    ).toEqual({ 'bloom/v1': true, 'bloom/v2': false, 'ft-a': true, 'ft-b': true, 'ft-c': false, 'ft-d': false });
  });

  it.each([
    [
      'sums every model and version',
      'nv_inference_request_success{model="a",version="1"} 3\nnv_inference_request_success{model="b",version="1"} 4\n',
      7
    ],
    [
      'ignores other families',
      '# HELP nv_inference_request_success x\nnv_inference_request_failure{model="a"} 9\nnv_inference_request_success{model="a"} 2',
      2
    ],
    ['no model loaded: no counter', '# TYPE nv_inference_request_success counter\n', undefined]
  ])('requestSuccessTotal %s', (_w, text, want) => {
    expect(requestSuccessTotal(text)).toBe(want);
  });
});

describe('the inputs', () => {
  const base = {
    model: 'org/m',
    'oss-bucket': 'bkt',
    'oss-access-key-id': 'ak',
    'oss-access-key-secret': 'sk',
    version: 'v1'
  };
  const load = (over: Record<string, string>) =>
    loadConfig({ getInput: (n) => ({ ...base, ...over })[n as keyof typeof base], env: { KUBECONFIG: '/k' } });

  it.each([
    ['7d', 604800],
    ['1d12h', 129600],
    ['36h', 129600],
    ['90m', 5400],
    ['600', 600],
    ['7 days', NaN],
    ['', NaN]
  ])('parseRetention(%p) = %p', (s, want) => {
    expect(parseRetention(s)).toBe(want);
  });

  it('defaults: `all` leaves gc out; TTL 24h; no price; gc 7d over a 60 s window', () => {
    const c = load({});
    expect(c.stages).not.toContain('gc');
    expect(c.convert.ttlSeconds).toBe(86400);
    expect(c.gpuPrice).toBeUndefined();
    expect(c.gc).toEqual({ retentionSeconds: 604800, idleWindowSeconds: 60 });
    expect(load({ stages: 'gc' }).stages).toEqual(['gc']);
    expect(load({ 'gpu-price-per-hour': '2.5', 'gpu-currency': 'USD' }).gpuPrice).toEqual({
      perHour: 2.5,
      currency: 'USD'
    });
  });

  it.each([
    ['convert-ttl', '5m', /convert-ttl.*out of range/],
    ['convert-ttl', '1000h', /convert-ttl.*out of range/],
    ['convert-ttl', 'forever', /convert-ttl/],
    ['gpu-price-per-hour', '-1', /gpu-price-per-hour/],
    ['gpu-price-per-hour', '1e3', /gpu-price-per-hour/],
    ['gpu-currency', 'US$', /gpu-currency/],
    ['gc-retention', '30m', /gc-retention.*out of range/],
    ['gc-retention', '7 days', /gc-retention/],
    ['gc-idle-window', '2s', /gc-idle-window.*out of range/],
    ['gc-idle-window', '1d', /gc-idle-window/]
  ])('rejects %s=%p with an error naming it', (name, value, re) => {
    let err: PipelineError | undefined;
    try {
      load({ [name]: value });
    } catch (e) {
      err = e as PipelineError;
    }
    expect(err).toBeDefined();
    expect([err!.message, ...err!.details].join('\n')).toMatch(re);
  });
});

describe('the conversion job frees its GPUs when it ends', () => {
  it('is submitted with --clean-task-policy=Running and --ttl-after-finished in seconds (Go durations have no days)', () => {
    const args = converterArgs(testConfig({ convert: { ttlSeconds: 2 * 86400 } }), 'a'.repeat(40));
    expect(args).toContain('--clean-task-policy=Running');
    expect(args).toContain('--ttl-after-finished=172800s');
    const without = converterArgs(testConfig({}), 'a'.repeat(40));
    expect(without.some((a) => a.startsWith('--ttl-after-finished'))).toBe(false);
  });
});
