import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { INPUTS } from '../../src/config/inputs.js';
import { PipelineError } from '../../src/errors.js';
import type { RunReport } from '../../src/pipeline/runner.js';
import { annotationFor, writeEarlyFailure, writeReport, type ReportSink } from '../../src/report/index.js';
import { maskSecret, RecordingLogger } from '../../src/report/logger.js';
import { ConsoleLogger } from '../../src/cli/console-logger.js';
import { computeOutputs, OUTPUTS } from '../../src/report/outputs.js';
import { cell, followUps, renderSummary } from '../../src/report/summary.js';

const root = new URL('../../', import.meta.url);
const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: Record<string, string>;
};

const cfg = loadConfig({
  getInput: (n) =>
    ({
      model: 'bigscience/bloom-560m',
      'oss-bucket': 'bkt',
      'oss-access-key-id': 'id',
      'oss-access-key-secret': 'sk',
      stages: 'setup,sync,storage',
      version: 'v1'
    })[n],
  env: { KUBECONFIG: '/k' }
});

const failed: RunReport = {
  ok: false,
  results: [
    {
      stage: 'setup',
      status: 'done',
      summary: 'kubectl 1.34.5 (cached)',
      durationMs: 1200,
      startedAt: '2026-11-25T10:00:00.000Z',
      details: { arch: 'amd64' }
    },
    {
      stage: 'sync',
      status: 'failed',
      summary: 'org/m | gated',
      durationMs: 90_000,
      startedAt: '2026-11-25T10:00:01.200Z',
      error: { code: 'HF_GATED_REPO', message: 'org/m | gated', hint: 'Accept' }
    },
    { stage: 'storage', status: 'not-run', summary: 'not run: the sync stage failed', durationMs: 0 }
  ],
  outputs: { 'hf-commit': 'c0ffee' },
  markdown: ['### extra'],
  state: { commit: 'c0ffee' },
  failure: {
    stage: 'sync',
    error: new PipelineError('HF_GATED_REPO', 'org/m | gated', 'Accept the licence.', { details: ['a', 'b'] })
  }
};

describe('action.yml and README', () => {
  it('declares exactly the inputs of src/config/inputs.ts, with their defaults and descriptions', () => {
    expect(Object.keys(action.inputs)).toEqual(INPUTS.map((i) => i.name));
    for (const i of INPUTS) {
      expect(action.inputs[i.name].description).toBe(i.description);
      expect(action.inputs[i.name].default ?? '').toBe(i.default);
    }
    expect(Object.keys(action.outputs)).toEqual(OUTPUTS.map((o) => o.name));
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/main/index.js',
      post: 'dist/post/index.js',
      'post-if': 'always()'
    });
  });

  it('has README tables matching action.yml', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(readme.split('\n').slice(0, 12).join('\n')).toMatch(/npm ci && npm run demo[\s\S]*npm ci && npm test/);
    const rows = (section: string) => {
      const start = readme.indexOf(`### ${section}`);
      const tail = readme.slice(start).split('\n').slice(4);
      return tail.filter((l, i) => l.startsWith('| `') && tail.slice(0, i).every((x) => x.startsWith('|')));
    };
    const inputRows = rows('Inputs');
    expect(inputRows.map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual(Object.keys(action.inputs));
    for (const r of inputRows) {
      const name = /^\| `([^`]+)`/.exec(r)![1];
      const d = action.inputs[name];
      expect(r).toContain(d.description.replace(/\|/g, '\\|'));
      if (d.default !== undefined) expect(r).toContain(`\`${d.default}\``);
    }
    expect(rows('Outputs').map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual(Object.keys(action.outputs));
  });

  it('reads every declared input (in the config loader, or in main.ts for the models-file mode)', () => {
    const src = ['src/config/load.ts', 'src/config/spec.ts', 'src/main.ts']
      .map((f) => readFileSync(new URL(f, root), 'utf8'))
      .join('\n');
    for (const name of Object.keys(action.inputs)) {
      expect([name, src.includes(`'${name}'`)]).toEqual([name, true]);
    }
  });
});

describe('outputs', () => {
  it('derives names and URIs and overlays stage outputs', () => {
    const out = computeOutputs(cfg, failed);
    expect(out).toMatchObject({
      version: 'v1',
      'hf-commit': 'c0ffee',
      'oss-hf-uri': 'oss://bkt/models/bloom-560m/hf/c0ffee/',
      'oss-ft-uri': 'oss://bkt/models/bloom-560m/ft/v1/1-gpu/',
      'oss-model-repository-uri': 'oss://bkt/models/triton/bloom-560m-v1/',
      'job-name': 'ft-bloom-560m-v1',
      'serving-name': 'bloom-560m',
      'serving-version': 'v1'
    });
    expect(JSON.parse(out['stage-results']).map((r: { status: string }) => r.status)).toEqual([
      'done',
      'failed',
      'not-run'
    ]);
    expect(out['smoke-result']).toBeUndefined();
  });
});

describe('summary', () => {
  it('renders the stage table, the failure with its hint, and a picture', () => {
    const md = renderSummary(cfg, failed);
    expect(md).toContain('| setup | ✅ done | kubectl 1.34.5 (cached) | 1.2 s |');
    expect(md).toContain('| setup | arch | amd64 |'); // the figures, folded under the table
    expect(md).toContain('| sync | ❌ failed | org/m \\| gated | 1 min 30 s |');
    expect(md).toContain('| storage | ⚪ not run |');
    expect(md).toContain('**What to do:** Accept the licence.');
    // the timeline: a gantt bar per stage that ran, on one time axis (epoch ms), the failure marked crit
    const t0 = Date.parse('2026-11-25T10:00:00.000Z');
    expect(md).toContain('```mermaid\ngantt\n  dateFormat x');
    expect(md).toContain(`  setup (done, 1.2 s) : done, setup, ${t0}, ${t0 + 1200}`);
    expect(md).toContain(`  sync (failed, 1 min 30 s) : crit, sync, ${t0 + 1200}, ${t0 + 1200 + 90_000}`);
    expect(md).not.toContain('storage (');
    expect(md).toContain('### extra');
  });

  it('gives the commands to look at what was deployed, for the stages that ran', () => {
    const ran = (stages: string[]) =>
      stages.map((stage) => ({ stage, status: 'done', summary: '', durationMs: 1 }) as RunReport['results'][number]);
    const md = followUps(cfg, ran(['convert', 'deploy', 'smoke']));
    expect(md).toContain(`arena logs ${cfg.convert.jobName} -n ${cfg.cluster.namespace} --tail 50`);
    expect(md).toContain(`arena serve get ${cfg.serve.name} --version ${cfg.serve.version}`);
    expect(md).toContain(
      `port-forward deployment/${cfg.serve.name}-${cfg.serve.version}-tritoninferenceserver 8000:8000`
    );
    expect(followUps(cfg, ran(['setup', 'sync']))).toBe('');
  });

  it.each([
    ['a|b', 'a\\|b'],
    ['x\ny', 'x y'],
    ['<script>', '&lt;script&gt;']
  ])('escapes cell %j', (s, want) => expect(cell(s)).toBe(want));

  it('says so when no stage was selected', () => {
    expect(renderSummary(cfg, { ...failed, ok: true, results: [], failure: undefined, markdown: [] })).toContain(
      'No stages selected'
    );
  });
});

describe('writing the report', () => {
  function sink() {
    const s = {
      outputs: {} as Record<string, string>,
      summary: '',
      annotations: [] as { message: string; title: string }[]
    };
    const impl: ReportSink = {
      setOutput: (n, v) => void (s.outputs[n] = v),
      writeSummary: async (m) => void (s.summary += m),
      annotate: (message, title) => void s.annotations.push({ message, title })
    };
    return { s, impl };
  }

  it('writes outputs, summary and one annotation with the hint', async () => {
    const { s, impl } = sink();
    await writeReport(cfg, failed, impl);
    expect(s.outputs.version).toBe('v1');
    expect(s.summary).toContain('| sync |');
    expect(s.annotations).toEqual([annotationFor('sync', failed.failure!.error)]);
    expect(s.annotations[0].message).toContain('What to do: Accept the licence.');
    expect(s.annotations[0].title).toBe('sync: HF_GATED_REPO');
  });

  it('reports bad inputs before any stage', async () => {
    const { s, impl } = sink();
    await writeEarlyFailure(
      new PipelineError('CONFIG_INVALID', '2 inputs are not valid', 'Fix them', { details: ['x', 'y'] }),
      impl
    );
    expect(s.annotations[0].title).toBe('inputs: CONFIG_INVALID');
    expect(s.summary).toContain('- x\n- y');
  });
});

describe('logger', () => {
  it('masks raw, base64 and URL-encoded forms', () => {
    const got: string[] = [];
    maskSecret('a/b+c=d e', (v) => got.push(v));
    expect(got).toEqual(['a/b+c=d e', Buffer.from('a/b+c=d e').toString('base64'), encodeURIComponent('a/b+c=d e')]);
    const log = new RecordingLogger();
    log.secret('  ');
    expect(log.secrets).toEqual([]);
  });

  it("the CLI's logger hides the same forms as the action's", () => {
    const secret = 'a/b+c=d e';
    const lines: string[] = [];
    const cli = new ConsoleLogger(
      (l) => lines.push(l),
      (l) => lines.push(l)
    );
    cli.secret(secret);
    const masked: string[] = [];
    maskSecret(secret, (v) => masked.push(v));
    cli.info(masked.join(' | '));
    expect(lines).toEqual([masked.map(() => '***').join(' | ')]);
  });
});
