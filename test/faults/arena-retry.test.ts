/**
 * Issue 19, points 2 and 3: `arena submit pytorchjob` / `arena serve triton` that fail on a transient Kubernetes
 * API error are run again only after the API shows that nothing was created (never a blind re-run), with the API
 * calls' retry budget; an API that keeps failing is reported with its own code (ARENA_API_FAILED,
 * K8S_API_FAILED), never as INTERNAL "… This is a bug". The stand-in arena prints a failed apply as Arena v0.15.2
 * does (kubectl's `Error from server (<reason>): error when creating …` on stdout, then `exit status 1`).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { FaultSpec } from '../../sandbox/types.js';
import { PYTORCHJOBS, DEPLOYMENTS } from '../../sandbox/operator/common.js';
import { describeRun, leftovers, startSyncedFaultSandbox, type FaultSandbox } from './harness.js';

let fs: FaultSandbox;
let n = 0;
beforeAll(async () => {
  fs = await startSyncedFaultSandbox();
});
afterAll(async () => {
  await fs?.stop();
});

const CONFIGMAPS = { group: '', version: 'v1', plural: 'configmaps' };

async function faulted(
  stages: string,
  faults: FaultSpec[],
  afterFirst?: (config: (i: Record<string, string>) => import('../../src/config/types.js').Config) => void
) {
  fs.clear();
  const inputs = { stages, version: `ar${++n}` };
  for (const f of faults) fs.sb.faults.add(f);
  const run = await fs.run(inputs);
  const pending = fs.sb.faults.pending();
  const problems = await leftovers(fs, run);
  afterFirst?.(() => run.config);
  fs.clear();
  const again = await fs.run(inputs);
  return { run, pending, problems, again, againProblems: await leftovers(fs, again) };
}

const jobsOf = (name: string) =>
  fs.sb.kube!.store.list(PYTORCHJOBS, undefined).items.filter((j) => j.metadata.name === name);

test('one 503 on the PyTorchJob create: the API shows nothing was created, arena runs again, the first run succeeds', async () => {
  const r = await faulted('sync,storage,convert', [
    { service: 'kube', method: 'POST', path: '/pytorchjobs', action: { kind: 'status', status: 503 } }
  ]);
  expect(r.pending).toEqual([]);
  expect(describeRun(r.run)).not.toMatch(/failed/);
  expect(r.run.report.ok).toBe(true);
  expect(r.run.log.lines.some((l) => /transient Kubernetes API error.*created nothing.*running it again/.test(l))).toBe(
    true
  );
  expect(jobsOf(r.run.config.convert.jobName)).toHaveLength(1);
  expect(r.problems).toEqual([]);
  expect(r.again.report.ok).toBe(true);
});

let cmLeft: unknown = 'unchecked';
test('a PyTorchJob create that keeps failing with 500: ARENA_API_FAILED after the retry budget, nothing left', async () => {
  const r = await faulted(
    'sync,storage,convert',
    [{ service: 'kube', method: 'POST', path: '/pytorchjobs', times: 1000, action: { kind: 'status', status: 500 } }],
    (config) => {
      // Arena removed its ConfigMap after each failed apply: no job, no ConfigMap left
      const cfg = config({});
      cmLeft = fs.sb.kube!.store.get(CONFIGMAPS, cfg.cluster.namespace, `${cfg.convert.jobName}-pytorchjob`);
    }
  );
  const f = r.run.report.failure!;
  expect(f.error.code).toBe('ARENA_API_FAILED');
  expect(f.error.message).toMatch(/5 times because the Kubernetes API failed: Error from server \(InternalError\)/);
  expect(f.error.hint).not.toMatch(/bug/);
  // the stand-in printed the failed apply as Arena does
  expect(f.error.details.join('\n')).toMatch(/error when creating ".*": Internal error occurred/);
  expect(f.error.details.join('\n')).toMatch(/exit status 1/);
  expect(1000 - (r.pending[0]?.times ?? 0)).toBe(5);
  expect(cmLeft).toBeUndefined();
  expect(r.problems).toEqual([]);
  expect(r.again.report.ok).toBe(true);
});

test('one 503 on the Deployment create of arena serve triton: run again, one available Deployment', async () => {
  const r = await faulted('sync,storage,convert,deploy', [
    { service: 'kube', method: 'POST', path: '/deployments', action: { kind: 'status', status: 503 } }
  ]);
  expect(r.pending).toEqual([]);
  expect(r.run.report.ok).toBe(true);
  const cfg = r.run.config;
  const deps = fs.sb
    .kube!.store.list(DEPLOYMENTS, cfg.cluster.namespace)
    .items.filter((d) => d.metadata.labels?.servingVersion === cfg.serve.version);
  expect(deps).toHaveLength(1);
  expect(r.problems).toEqual([]);
  expect(r.again.report.ok).toBe(true);
});

test('a persistent 5xx on PyTorchJob reads is an outside fault with its own code, not "a bug"', async () => {
  const r = await faulted('sync,storage,convert', [
    { service: 'kube', method: 'GET', path: '/pytorchjobs/', times: 1000, action: { kind: 'status', status: 503 } }
  ]);
  const f = r.run.report.failure!;
  expect(f.error.code).toBe('K8S_API_FAILED');
  expect(f.error.message).toMatch(/503/);
  expect(f.error.message).not.toMatch(/unexpectedly/);
  expect(f.error.hint).not.toMatch(/bug/);
  expect(r.again.report.ok).toBe(true);
});

test('a persistent 5xx on Deployment reads is an outside fault with its own code, not "a bug"', async () => {
  const r = await faulted('sync,storage,convert,deploy', [
    { service: 'kube', method: 'GET', path: '/deployments', times: 1000, action: { kind: 'status', status: 500 } }
  ]);
  const f = r.run.report.failure!;
  expect(f.stage).toBe('deploy');
  expect(f.error.code).toMatch(/^(K8S_API_FAILED|ARENA_API_FAILED)$/);
  expect(f.error.hint).not.toMatch(/bug/);
  expect(r.problems).toEqual([]);
  expect(r.again.report.ok).toBe(true);
});
