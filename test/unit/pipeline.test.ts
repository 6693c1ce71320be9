import { jest } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import type { Config, StageName } from '../../src/config/types.js';
import { PipelineError } from '../../src/errors.js';
import { MemoryCleanupRegistry, runCleanup } from '../../src/pipeline/cleanup.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { loadPostState, savePostState, type StateStore } from '../../src/pipeline/state.js';
import type { CleanupRecord, Stage, StageContext, StageOutcome } from '../../src/pipeline/types.js';
import { RecordingLogger } from '../../src/report/logger.js';
import { defaultStages, registerStage } from '../../src/composition/stages.js';
import { cleanupHandlers } from '../../src/composition/cleanup.js';

function config(inputs: Record<string, string>): Config {
  const all: Record<string, string> = {
    model: 'org/m',
    'oss-bucket': 'bkt',
    'oss-access-key-id': 'id',
    'oss-access-key-secret': 'sk',
    ...inputs
  };
  return loadConfig({ getInput: (n) => all[n], env: { KUBECONFIG: '/k' } });
}

function stage(name: StageName, run: (ctx: StageContext) => Promise<StageOutcome>): Stage {
  return { name, run, plan: async () => ({ action: 'run', reason: `${name} plans` }) };
}

function clock() {
  let t = 1_000_000;
  return () => (t += 250);
}

async function run(cfg: Config, stages: Stage[], signal = new AbortController().signal) {
  const log = new RecordingLogger();
  const ended: string[] = [];
  const report = await runPipeline({
    config: cfg,
    stages: new Map(stages.map((s) => [s.name, s])),
    log,
    signal,
    env: {},
    cleanup: new MemoryCleanupRegistry(),
    now: clock(),
    onStageEnd: (r) => ended.push(`${r.stage}:${r.status}`)
  });
  return { report, log, ended };
}

describe('pipeline runner', () => {
  it('runs the selected stages in order, each in a group, timed', async () => {
    const order: string[] = [];
    const mk = (n: StageName) =>
      stage(n, async (ctx) => {
        order.push(n);
        if (n === 'sync') ctx.state.commit = 'abc123';
        return { status: n === 'storage' ? 'skipped' : 'done', summary: `${n} ok`, outputs: { [`${n}-out`]: 'v' } };
      });
    const { report, log, ended } = await run(config({ stages: 'storage, sync' }), [
      mk('sync'),
      mk('storage'),
      mk('setup')
    ]);
    expect(order).toEqual(['sync', 'storage']);
    expect(ended).toEqual(['sync:done', 'storage:skipped']);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.durationMs)).toEqual([250, 250]);
    expect(report.outputs).toEqual({ 'sync-out': 'v', 'storage-out': 'v' });
    expect(report.state.commit).toBe('abc123');
    expect(log.lines.filter((l) => l.level === 'group').map((l) => l.message)).toEqual([
      'stage: sync',
      'stage: storage'
    ]);
  });

  it('stops at the first failure; later stages are not run', async () => {
    const later = jest.fn();
    const { report } = await run(config({ stages: 'setup,sync,storage' }), [
      stage('setup', async () => ({ status: 'done', summary: 'ok' })),
      stage('sync', async () => {
        throw new PipelineError('HF_GATED_REPO', 'org/m is gated', 'Accept the licence and pass hf-token.', {
          details: ['line 1']
        });
      }),
      stage('storage', async () => (later(), { status: 'done', summary: 'x' }))
    ]);
    expect(later).not.toHaveBeenCalled();
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.status)).toEqual(['done', 'failed', 'not-run']);
    expect(report.results[1].error).toEqual({
      code: 'HF_GATED_REPO',
      message: 'org/m is gated',
      hint: 'Accept the licence and pass hf-token.'
    });
    expect(report.results[2].summary).toBe('not run: the sync stage failed');
    expect(report.failure?.stage).toBe('sync');
  });

  it('turns an unexpected error into INTERNAL and a cancellation into CANCELLED', async () => {
    const a = await run(config({ stages: 'setup' }), [
      stage('setup', async () => {
        throw new TypeError('boom');
      })
    ]);
    expect(a.report.failure?.error.code).toBe('INTERNAL');
    const ac = new AbortController();
    const b = await run(
      config({ stages: 'setup,sync' }),
      [
        stage('setup', async () => {
          ac.abort();
          throw new Error('aborted');
        }),
        stage('sync', async () => ({ status: 'done', summary: 'x' }))
      ],
      ac.signal
    );
    expect(b.report.failure?.error.code).toBe('CANCELLED');
    expect(b.report.results[1].status).toBe('not-run');
  });

  it('fails a stage that is not registered', async () => {
    const { report } = await run(config({ stages: 'convert' }), []);
    expect(report.failure?.error.code).toBe('STAGE_NOT_AVAILABLE');
  });

  it('calls plan() instead of run() in plan mode', async () => {
    const runFn = jest.fn(async () => ({ status: 'done' as const, summary: 'ran' }));
    const { report } = await run(config({ stages: 'setup', plan: 'true' }), [
      { name: 'setup', run: runFn, plan: async () => ({ action: 'skip', reason: 'cached' }) }
    ]);
    expect(runFn).not.toHaveBeenCalled();
    expect(report.plan).toEqual([{ stage: 'setup', action: 'skip', reason: 'cached' }]);
    expect(report.results[0]).toMatchObject({ status: 'skipped', summary: 'would skip: cached' });
  });

  it('reports a stage that would run as planned (never done), with its detail and what is unknown', async () => {
    let access: unknown;
    const { report } = await run(config({ stages: 'setup', plan: 'true' }), [
      {
        name: 'setup',
        run: async () => ({ status: 'done', summary: 'ran' }),
        plan: async (ctx) => {
          access = ctx.planAccess;
          return {
            action: 'run',
            reason: 'download kubectl',
            doneUnknown: 'no kubeconfig in this run',
            detail: ['kubectl 1.31.0 from the release server']
          };
        }
      }
    ]);
    expect(report.results[0]).toMatchObject({
      status: 'planned',
      summary: 'would run: download kubectl; already done? unknown (no kubeconfig in this run)'
    });
    expect(report.markdown.join('\n')).toMatch(/plan: setup[\s\S]*kubectl 1\.31\.0 from the release server/);
    // the run's env has no KUBECONFIG and the config no kubeconfig: the stage is told so, and still planned
    expect(access).toMatchObject({ cluster: false, missing: expect.stringMatching(/no kubeconfig/) });
  });

  it('runs nothing for stages: none', async () => {
    const { report } = await run(config({ stages: 'none' }), []);
    expect(report).toMatchObject({ ok: true, results: [] });
  });

  it('registers setup by default and refuses a stage twice', () => {
    const reg = defaultStages();
    expect([...reg.keys()]).toContain('setup');
    expect(() => registerStage(reg, reg.get('setup')!)).toThrow(/twice/);
  });
});

describe('cleanup registry and handlers', () => {
  it('records changes and dedupes', () => {
    const seen: number[] = [];
    const reg = new MemoryCleanupRegistry([], (r) => seen.push(r.length));
    const job: CleanupRecord = { kind: 'pytorchjob', namespace: 'ns', name: 'j' };
    reg.add(job);
    reg.add({ ...job });
    reg.add({ kind: 'serving', namespace: 'ns', name: 's', version: 'v1' });
    reg.remove(job);
    expect(seen).toEqual([1, 2, 1]);
    expect(reg.list()).toEqual([{ kind: 'serving', namespace: 'ns', name: 's', version: 'v1' }]);
  });

  it('calls the handler per kind, newest first; failures do not stop the rest', async () => {
    const calls: string[] = [];
    const handlers = {
      pytorchjob: async (r: { name: string }) => void calls.push(`job ${r.name}`),
      serving: async () => {
        throw new Error('api down');
      }
    };
    const log = new RecordingLogger();
    const out = await runCleanup(
      [
        { kind: 'pytorchjob', namespace: 'ns', name: 'a' },
        { kind: 'serving', namespace: 'ns', name: 's', version: 'v' },
        { kind: 'pytorchjob', namespace: 'ns', name: 'b' }
      ],
      handlers,
      { log, env: {}, signal: new AbortController().signal }
    );
    expect(calls).toEqual(['job b', 'job a']);
    expect(out.map((o) => o.status)).toEqual(['done', 'failed', 'done']);
    expect(log.text('warning')).toContain('Could not clean up serving ns/s version v: api down');
  });

  it('reports a record whose handler found nothing to undo as already gone, not as cleaned up', async () => {
    const serving = async (r: { version: string }): Promise<'already-gone' | 'deleted'> =>
      r.version === 'gone' ? 'already-gone' : 'deleted';
    const log = new RecordingLogger();
    const out = await runCleanup(
      [
        { kind: 'serving', namespace: 'ns', name: 's', version: 'here' },
        { kind: 'serving', namespace: 'ns', name: 's', version: 'gone' }
      ],
      { serving },
      { log, env: {}, signal: new AbortController().signal }
    );
    expect(out.map((o) => o.status)).toEqual(['already-gone', 'done']);
    expect(log.text('info')).toContain('Nothing to clean up: serving ns/s version gone was already gone');
  });

  it('says "remove it by hand" for a kind without a handler, and never throws', async () => {
    const log = new RecordingLogger();
    const out = await runCleanup(
      [{ kind: 'file', path: '/nowhere' }],
      {},
      { log, env: {}, signal: AbortSignal.abort() }
    );
    expect(out.map((o) => o.status)).toEqual(['no-handler']);
    expect(log.text('warning')).toContain('No cleanup handler for file /nowhere; remove it by hand.');
  });

  it('the composition root has a handler for every record kind, with or without a valid config', () => {
    const kinds = ['multipart-upload', 'pytorchjob', 'serving', 'file', 'sync-job'] satisfies CleanupRecord['kind'][];
    for (const cfg of [config({}), undefined]) {
      const handlers = cleanupHandlers(cfg);
      expect(Object.keys(handlers).sort()).toEqual([...kinds].sort());
    }
  });
});

describe('post state', () => {
  it('round-trips and tolerates missing or broken state', () => {
    const m = new Map<string, string>();
    const store: StateStore = { save: (k, v) => void m.set(k, v), get: (k) => m.get(k) ?? '' };
    expect(loadPostState(store)).toEqual({ cleanup: [], finished: true });
    savePostState(store, { kubeconfigPath: '/t/k', cleanup: [{ kind: 'file', path: '/x' }], finished: false });
    expect(loadPostState(store)).toEqual({
      kubeconfigPath: '/t/k',
      cleanup: [{ kind: 'file', path: '/x' }],
      finished: false
    });
    m.set('arena-ft-pipeline', '{');
    expect(loadPostState(store).finished).toBe(false);
  });
});
