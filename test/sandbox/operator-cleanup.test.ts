/**
 * The training operator's clean-pod policy and TTL as the product relies on them (issue 18: finished conversion
 * jobs free their GPUs): which pods go when a job ends, under either operator, and when a finished job goes.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startOperator } from '../../sandbox/operator/index.js';
import { NS, R, arenaJob, createStorage, isTrue, startEnv, waitFor, waitGone, type Env } from './operator-fixtures.js';
import type { KubeObject } from '../../sandbox/kube/contract.js';

function withPolicy(job: KubeObject, policy: string): KubeObject {
  return { ...job, spec: { ...job.spec, runPolicy: { ...job.spec.runPolicy, cleanPodPolicy: policy } } };
}

const phaseOf = (env: Env, pod: string): string => env.store.get(R.pods, NS, pod)?.status?.phase ?? 'gone';

describe('operator: cleanPodPolicy and ttlSecondsAfterFinished', () => {
  let env: Env;
  beforeEach(async () => {
    // one GPU node with 2 GPUs: a 2-GPU master runs, the 2-GPU worker stays Pending
    env = await startEnv({ nodes: [{ name: 'gpu-1', gpus: 2 }] });
    createStorage(env.store);
  });
  afterEach(async () => {
    await env.stop();
  });

  it('Running (Arena’s default, the product’s choice): the finished master stays with its log, a pending worker goes', async () => {
    env.store.create(R.jobs, withPolicy(arenaJob('run-pol', 'echo done', { gpus: 2, workers: 2 }), 'Running'));
    await waitFor(env.store, R.pods, 'run-pol-worker-0', (p) => p.status?.phase === 'Pending');
    await waitFor(env.store, R.jobs, 'run-pol', isTrue('Succeeded'));
    await waitGone(env.store, R.pods, 'run-pol-worker-0');
    expect(phaseOf(env, 'run-pol-master-0')).toBe('Succeeded');
  });

  it('Running under the older pytorch-operator deletes only Running pods: a Pending one stays', async () => {
    env.operator.setFlavor('pytorch-operator');
    env.store.create(R.jobs, withPolicy(arenaJob('old-op', 'echo done', { gpus: 2, workers: 2 }), 'Running'));
    await waitFor(env.store, R.pods, 'old-op-worker-0', (p) => p.status?.phase === 'Pending');
    await waitFor(env.store, R.jobs, 'old-op', isTrue('Succeeded'));
    // not deleted: it is scheduled on the GPUs the master freed and runs after the job ended
    await waitFor(env.store, R.pods, 'old-op-worker-0', (p) => p.status?.phase === 'Succeeded');
    expect(phaseOf(env, 'old-op-master-0')).toBe('Succeeded');
  });

  it('All deletes the finished pods too; None deletes nothing', async () => {
    env.store.create(R.jobs, withPolicy(arenaJob('all-pol', 'echo done', { gpus: 2 }), 'All'));
    await waitFor(env.store, R.jobs, 'all-pol', isTrue('Succeeded'));
    await waitGone(env.store, R.pods, 'all-pol-master-0');

    env.store.create(R.jobs, withPolicy(arenaJob('none-pol', 'echo done', { gpus: 2, workers: 2 }), 'None'));
    await waitFor(env.store, R.jobs, 'none-pol', isTrue('Succeeded'));
    await waitFor(env.store, R.pods, 'none-pol-worker-0', (p) => p.status?.phase === 'Succeeded');
    expect(phaseOf(env, 'none-pol-master-0')).toBe('Succeeded');
  });

  it('a job found finished longer ago than its TTL (the operator restarted) is deleted at once, with its pods', async () => {
    // 1 day of scenario time is 43 s of real time at this speed: far longer than the wait below
    env.store.create(R.jobs, arenaJob('restarted', 'echo done', { gpus: 2, ttl: 86_400 }));
    await waitFor(env.store, R.jobs, 'restarted', isTrue('Succeeded'));
    await env.operator.stop();
    const job = env.store.get(R.jobs, NS, 'restarted')!;
    const twoDaysAgo = new Date(Date.parse(job.status.completionTime) - 2 * 86_400_000 * 2000).toISOString();
    env.store.updateStatus(R.jobs, NS, 'restarted', { ...job.status, completionTime: twoDaysAgo });
    const again = startOperator({ store: env.store, pods: env.runtime, clock: env.clock, oss: accessOf(env) });
    try {
      await waitGone(env.store, R.jobs, 'restarted', 10_000);
      await waitGone(env.store, R.pods, 'restarted-master-0', 10_000);
    } finally {
      await again.stop();
    }
  });
});

function accessOf(env: Env) {
  return {
    endpoint: env.oss.endpoint,
    bucket: env.oss.bucket,
    region: env.oss.region,
    accessKeyId: env.oss.accessKeyId,
    accessKeySecret: env.oss.accessKeySecret
  };
}
