/**
 * Issue 19: the arena retry's decisions (a fake arena: no process, no cluster), the one-line error description
 * and the outside-fault codes. The injected sleep records the waits; nothing sleeps.
 */
import { expect, test } from '@jest/globals';
import {
  isTransientArenaFailure,
  runArenaRetrying,
  type ArenaEffect,
  type ArenaResult,
  type ArenaRunner
} from '../../src/arena/exec.js';
import { describeError, outsideFault, PipelineError } from '../../src/errors.js';
import { KubeApiError } from '../../src/k8s/types.js';
import { toPipelineError } from '../../src/pipeline/runner.js';

const APPLY_503: ArenaResult = {
  exitCode: 1,
  stdout:
    'Error from server (ServiceUnavailable): error when creating "/tmp/j-template.yaml": the server is currently unable to handle the request\n',
  stderr:
    'time="t" level=info msg="Successfully clean up the config map j-pytorchjob in namespace ns because creating application failed."\ntime="t" level=warning msg="Please clean up the j job"\ntime="t" level=error msg="exit status 1"\n'
};
const OK: ArenaResult = { exitCode: 0, stdout: 'pytorchjob.kubeflow.org/j created\n', stderr: '' };
const INVALID: ArenaResult = {
  exitCode: 1,
  stdout: '',
  stderr: 'level=error msg="failed to validate command args: --image must be set"\n'
};
const ARGS = ['submit', 'pytorchjob', '--name=j', '--namespace=ns'];

function fake(results: ArenaResult[]): { run: ArenaRunner; calls: () => number } {
  let i = 0;
  return { run: async () => results[Math.min(i++, results.length - 1)], calls: () => i };
}

async function attempt(results: ArenaResult[], effects: ArenaEffect[], attempts = 5) {
  const f = fake(results);
  const slept: number[] = [];
  const checks: number[] = [];
  const out = await runArenaRetrying(f.run, ARGS, 'submit', {
    attempts,
    sleep: async (ms) => void slept.push(ms),
    random: () => 0.5,
    check: async () => {
      checks.push(1);
      return effects[Math.min(checks.length - 1, effects.length - 1)];
    }
  }).catch((e: unknown) => e);
  return { out, calls: f.calls(), slept, checks: checks.length };
}

test("Arena's printed apply failure and API wordings are transient; a validation error is not", () => {
  expect(isTransientArenaFailure(APPLY_503)).toBe(true);
  expect(
    isTransientArenaFailure({ exitCode: 1, stdout: '', stderr: 'level=error msg="Internal error occurred: etcd"' })
  ).toBe(true);
  expect(isTransientArenaFailure(INVALID)).toBe(false);
  expect(isTransientArenaFailure({ ...APPLY_503, exitCode: 0 })).toBe(false);
});

test('a transient failure with nothing created is run again after the check, with an injected wait', async () => {
  const r = await attempt([APPLY_503, OK], [{ kind: 'absent' }]);
  expect(r.out).toEqual(OK);
  expect(r.calls).toBe(2);
  expect(r.checks).toBe(1);
  expect(r.slept).toHaveLength(1);
});

test('never a blind re-run: when the check finds part of the call, it stops with ARENA_API_FAILED', async () => {
  const r = await attempt([APPLY_503, OK], [{ kind: 'partial', what: 'ConfigMap j-pytorchjob' }]);
  expect(r.calls).toBe(1);
  expect((r.out as PipelineError).code).toBe('ARENA_API_FAILED');
  expect((r.out as PipelineError).message).toMatch(/left ConfigMap j-pytorchjob, so it was not run again/);
});

test('when the check finds the call took effect after all, it counts as done without a re-run', async () => {
  const r = await attempt([APPLY_503], [{ kind: 'done', what: 'PyTorchJob j' }]);
  expect(r.calls).toBe(1);
  expect((r.out as ArenaResult).exitCode).toBe(0);
});

test('the budget: after `attempts` transient failures, ARENA_API_FAILED naming the API error', async () => {
  const r = await attempt([APPLY_503], [{ kind: 'absent' }], 3);
  expect(r.calls).toBe(3);
  expect(r.slept).toHaveLength(2);
  const e = r.out as PipelineError;
  expect(e.code).toBe('ARENA_API_FAILED');
  expect(e.message).toMatch(/3 times because the Kubernetes API failed: Error from server \(ServiceUnavailable\)/);
  expect(e.hint).not.toMatch(/bug/);
});

test('a non-transient failure is handed back at once, unchecked', async () => {
  const r = await attempt([INVALID], [{ kind: 'absent' }]);
  expect(r.out).toEqual(INVALID);
  expect(r.calls).toBe(1);
  expect(r.checks).toBe(0);
});

test('describeError: one line, no stack, no urllib request dump', () => {
  const e = new Error(
    'socket hang up, PUT http://127.0.0.1:1/k?partNumber=2&uploadId=U -1 (connected: true, keepalive socket: false, agent status: {})\nheaders: {}'
  );
  expect(describeError(e)).toBe('socket hang up');
  const s = new Error('boom');
  s.message = `boom\n    at f (/x/y.js:1:2)\n    at g (/x/y.js:3:4)`;
  expect(describeError(s)).toBe('boom');
  expect(describeError('x\ny')).toBe('x');
  expect(describeError(new Error('a'.repeat(1000))).length).toBeLessThanOrEqual(300);
});

test('outside faults reaching the runner get their own code; real bugs stay INTERNAL', () => {
  const signal = new AbortController().signal;
  const api = new KubeApiError(503, 'ServiceUnavailable', 'GET /apis/apps/v1/namespaces/x/deployments: 503');
  expect(toPipelineError(api, 'deploy', signal).code).toBe('K8S_API_FAILED');
  expect(toPipelineError(api, 'deploy', signal).hint).not.toMatch(/bug/);
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  expect(toPipelineError(reset, 'sync', signal).code).toBe('NETWORK_FAILED');
  expect(toPipelineError(new TypeError("Cannot read properties of undefined (reading 'x')"), 'sync', signal).code).toBe(
    'INTERNAL'
  );
  expect(outsideFault(new KubeApiError(422, 'Invalid', 'bad'), 'convert')).toBeUndefined();
});

test('the action logger drops stack frames from a line at default verbosity', async () => {
  const { withoutStack } = await import('../../src/report/logger.js');
  expect(withoutStack('Error: x\n    at f (/a/b.js:1:2)\n    at async g (node:internal/x:3:4)\nnext')).toBe(
    'Error: x\nnext'
  );
  expect(withoutStack('plain')).toBe('plain');
});
