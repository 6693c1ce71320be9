/**
 * Indexed Jobs in the sandbox, driven by the real kubectl v1.34 and @kubernetes/client-node: defaults, labels and
 * selector, a pod per index with JOB_COMPLETION_INDEX, completedIndexes, per-index back-off and failed indexes,
 * the two-step conditions, the API server's validation messages, and delete propagation.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { formatIndexes, parseIndexes } from '../../sandbox/operator/indexes.js';
import { podGenerateName } from '../../sandbox/operator/job.js';
import { runKubectl, type KubectlOptions } from '../helpers/kubectl.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

let sb: Sandbox;
let opts: KubectlOptions;
let ns: string;
let seq = 0;

beforeAll(async () => {
  sb = await startSandbox({ pieces: ['oss', 'kube'], seedDemo: false, speed: 2000 });
  ns = sb.kube!.namespace;
  opts = { kubeconfig: sb.info.kube!.adminKubeconfig!, cacheDir: path.join(sb.dir, 'kubectl-cache') };
}, 60_000);

afterAll(() => sb?.stop());

const kubectl = (...args: string[]) => runKubectl(['-n', ns, ...args], opts);

function job(name: string, spec: Record<string, unknown>, script: string, podSpec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        metadata: { labels: { app: 'shard' } },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'sandbox/worker:1', command: ['sh', '-c', script] }],
          ...podSpec
        }
      }
    }
  };
}

async function apply(obj: unknown) {
  const file = path.join(sb.dir, `job-${++seq}.json`);
  await writeFile(file, JSON.stringify(obj));
  return kubectl('apply', '-f', file);
}

async function getJson(...args: string[]): Promise<any> {
  const r = await kubectl('get', ...args, '-o', 'json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

async function waitFor(name: string, condition: string) {
  const r = await kubectl('wait', `--for=condition=${condition}`, `job/${name}`, '--timeout=60s');
  expect(r).toMatchObject({ code: 0 });
}

const podsOf = async (name: string): Promise<any[]> =>
  (await getJson('pods', '-l', `batch.kubernetes.io/job-name=${name}`)).items;
const indexOf = (p: any) => Number(p.metadata.annotations['batch.kubernetes.io/job-completion-index']);

describe('index intervals and pod names (pure)', () => {
  it.each([
    [[], ''],
    [[0], '0'],
    [[3, 4], '3,4'],
    [[1, 3, 4, 5, 7], '1,3-5,7'],
    [[0, 1, 2, 5, 6, 9, 10, 11, 12], '0-2,5,6,9-12']
  ])('%j is written %j and read back', (indexes, text) => {
    expect(formatIndexes(indexes)).toBe(text);
    expect([...parseIndexes(text, 100)].sort((a, b) => a - b)).toEqual(indexes);
  });

  it('cuts a long generateName to 58 characters keeping -<index>-', () => {
    const long = 'a'.repeat(60);
    expect(podGenerateName('sync', 7)).toBe('sync-7-');
    expect(podGenerateName(long, 12)).toBe(`${'a'.repeat(54)}-12-`);
    expect(podGenerateName(long, 12)).toHaveLength(58);
  });
});

describe('an Indexed Job that succeeds', () => {
  it('defaults, labels and selector; one pod per index with its env var; completedIndexes; SuccessCriteriaMet then Complete', async () => {
    const created = await apply(
      job('shards', { completionMode: 'Indexed', completions: 3, parallelism: 2 }, 'echo shard $JOB_COMPLETION_INDEX')
    );
    expect(created).toMatchObject({ code: 0, stdout: 'job.batch/shards created\n' });
    await waitFor('shards', 'Complete');
    const j = await getJson('job', 'shards');
    const uid = j.metadata.uid;
    expect(j.spec).toMatchObject({
      completions: 3,
      parallelism: 2,
      backoffLimit: 6,
      completionMode: 'Indexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
    });
    expect(j.metadata.labels).toEqual({ app: 'shard' });
    expect(j.spec.template.metadata.labels).toEqual({
      app: 'shard',
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'shards',
      'controller-uid': uid,
      'job-name': 'shards'
    });
    expect(j.status).toMatchObject({
      succeeded: 3,
      failed: 0,
      active: 0,
      ready: 0,
      terminating: 0,
      completedIndexes: '0-2',
      uncountedTerminatedPods: {}
    });
    expect(j.status.failedIndexes).toBeUndefined();
    expect(j.status.completionTime).toEqual(expect.any(String));
    expect(j.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods']
    ]);

    const pods = await podsOf('shards');
    expect(pods.map(indexOf).sort()).toEqual([0, 1, 2]);
    for (const p of pods) {
      const i = indexOf(p);
      expect(p.metadata.name).toMatch(new RegExp(`^shards-${i}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.labels['batch.kubernetes.io/job-completion-index']).toBe(String(i));
      expect(p.metadata.ownerReferences).toEqual([
        { apiVersion: 'batch/v1', kind: 'Job', name: 'shards', uid, controller: true, blockOwnerDeletion: true }
      ]);
      expect(p.spec.hostname).toBe(`shards-${i}`);
      expect(p.spec.containers[0].env).toContainEqual({
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" }
        }
      });
      expect(p.status.phase).toBe('Succeeded');
      expect((await kubectl('logs', p.metadata.name)).stdout).toBe(`shard ${i}\n`);
    }
    const table = await kubectl('get', 'job', 'shards', '--no-headers');
    expect(table.stdout).toMatch(/^shards\s+Complete\s+3\/3\s/);
  });

  it('client-node reads the same Job and lists its pods by the generated selector', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.info.kube!.adminKubeconfig!);
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const j = await batch.readNamespacedJob({ name: 'shards', namespace: ns });
    expect(j.status?.completedIndexes).toBe('0-2');
    const selector = Object.entries(j.spec!.selector!.matchLabels!)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: selector });
    expect(pods.items).toHaveLength(3);
  });
});

describe('failures', () => {
  it('retries a failing index up to backoffLimitPerIndex, then fails that index and the Job (FailedIndexes)', async () => {
    await apply(
      job(
        'perindex',
        { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 1 },
        'echo try $JOB_COMPLETION_INDEX; exit $JOB_COMPLETION_INDEX'
      )
    );
    await waitFor('perindex', 'Failed');
    const j = await getJson('job', 'perindex');
    expect(j.spec.backoffLimit).toBe(2147483647);
    expect(j.status).toMatchObject({ completedIndexes: '0', failedIndexes: '1,2', failed: 4, succeeded: 1, active: 0 });
    expect(j.status.conditions.map((c: any) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'FailedIndexes', 'Job has failed indexes'],
      ['Failed', 'FailedIndexes', 'Job has failed indexes']
    ]);
    expect(j.status.completionTime).toBeUndefined();
    const pods = await podsOf('perindex');
    // index 0 ran once; indexes 1 and 2 ran twice, the retry carrying the failure count
    expect(pods.map(indexOf).sort()).toEqual([0, 1, 1, 2, 2]);
    for (const i of [1, 2]) {
      const counts = pods
        .filter((p) => indexOf(p) === i)
        .map((p) => p.metadata.annotations['batch.kubernetes.io/job-index-failure-count'])
        .sort();
      expect(counts).toEqual(['0', '1']);
    }
    expect(
      pods.filter((p) => p.status.phase === 'Failed').map((p) => p.status.containerStatuses[0].state.terminated)
    ).toEqual(expect.arrayContaining([expect.objectContaining({ exitCode: 2, reason: 'Error' })]));
  });

  it('fails the Job past backoffLimit: FailureTarget, the active pods deleted, then Failed', async () => {
    await apply(
      job(
        'backoff',
        { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimit: 1 },
        'exit $JOB_COMPLETION_INDEX'
      )
    );
    // index 1 fails twice (> backoffLimit 1)
    await waitFor('backoff', 'Failed');
    const j = await getJson('job', 'backoff');
    expect(j.status.failed).toBeGreaterThanOrEqual(2);
    expect(j.status.conditions.map((c: any) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']
    ]);
    expect((await kubectl('get', 'job', 'backoff', '--no-headers')).stdout).toMatch(/^backoff\s+Failed\s/);
  });

  it('fails the Job when more indexes fail than maxFailedIndexes (MaxFailedIndexesExceeded)', async () => {
    await apply(
      job(
        'maxfailed',
        { completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimitPerIndex: 0, maxFailedIndexes: 1 },
        'exit $JOB_COMPLETION_INDEX'
      )
    );
    await waitFor('maxfailed', 'Failed');
    const j = await getJson('job', 'maxfailed');
    const failed = j.status.conditions.find((c: any) => c.type === 'Failed');
    expect([failed.reason, failed.message]).toEqual([
      'MaxFailedIndexesExceeded',
      'Job has exceeded the specified maximal number of failed indexes'
    ]);
    expect(parseIndexes(j.status.failedIndexes, 4).size).toBeGreaterThan(1);
  });

  it('fails a Job running past activeDeadlineSeconds (DeadlineExceeded) and deletes its pods', async () => {
    await apply(
      job(
        'deadline',
        { completionMode: 'Indexed', completions: 2, parallelism: 2, activeDeadlineSeconds: 30 },
        'sleep 100000'
      )
    );
    await waitFor('deadline', 'Failed');
    const j = await getJson('job', 'deadline');
    expect(j.status.conditions.map((c: any) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
      ['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline']
    ]);
    expect(j.status).toMatchObject({ active: 0, terminating: 0 });
    expect(await podsOf('deadline')).toEqual([]);
  });

  it('a podFailurePolicy FailJob rule fails the Job at the first matching exit code', async () => {
    await apply(
      job(
        'policy',
        {
          completionMode: 'Indexed',
          completions: 2,
          parallelism: 2,
          podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }] }
        },
        'exit $JOB_COMPLETION_INDEX'
      )
    );
    await waitFor('policy', 'Failed');
    const j = await getJson('job', 'policy');
    expect(j.spec.podReplacementPolicy).toBe('Failed');
    const failed = j.status.conditions.find((c: any) => c.type === 'Failed');
    expect(failed.reason).toBe('PodFailurePolicy');
    expect(failed.message).toMatch(
      new RegExp(
        `^Container main for pod ${ns}/policy-1-\\w{5} failed with exit code 1 matching FailJob rule at index 0$`
      )
    );
  });
});

describe('validation as the API server words it', () => {
  it.each([
    [
      'no completions (parallelism alone does not default them)',
      job('bad-a', { completionMode: 'Indexed', parallelism: 2 }, 'true'),
      'The Job "bad-a" is invalid: spec.completions: Required value: when completion mode is Indexed'
    ],
    [
      'restartPolicy Always',
      job('bad-b', { completionMode: 'Indexed', completions: 2 }, 'true', { restartPolicy: 'Always' }),
      'The Job "bad-b" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ],
    [
      'a host name past 63 characters',
      job(`x${'y'.repeat(60)}`, { completionMode: 'Indexed', completions: 100 }, 'true'),
      `metadata.name: Invalid value: "x${'y'.repeat(60)}": will not able to create pod with invalid DNS label: x${'y'.repeat(60)}-99`
    ],
    [
      'maxFailedIndexes without backoffLimitPerIndex',
      job('bad-d', { completionMode: 'Indexed', completions: 2, maxFailedIndexes: 1 }, 'true'),
      'The Job "bad-d" is invalid: spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified'
    ],
    [
      'backoffLimitPerIndex on a NonIndexed Job',
      job('bad-e', { completions: 2, backoffLimitPerIndex: 1 }, 'true'),
      'The Job "bad-e" is invalid: spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode'
    ],
    [
      'parallelism over 100000',
      job('bad-f', { completionMode: 'Indexed', completions: 2, parallelism: 100001 }, 'true'),
      'The Job "bad-f" is invalid: spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed'
    ]
  ])('refuses %s', async (_what, obj, message) => {
    const r = await apply(obj);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('keeps completionMode and the template immutable', async () => {
    await apply(job('frozen', { completionMode: 'Indexed', completions: 1, suspend: true }, 'true'));
    const patch = await kubectl(
      'patch',
      'job',
      'frozen',
      '--type=merge',
      '-p',
      '{"spec":{"completionMode":"NonIndexed"}}'
    );
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain('spec.completionMode: Invalid value: "NonIndexed": field is immutable');
    const template = await kubectl(
      'patch',
      'job',
      'frozen',
      '--type=merge',
      '-p',
      '{"spec":{"template":{"metadata":{"annotations":{"x":"y"}}}}}'
    );
    expect(template.code).not.toBe(0);
    expect(template.stderr).toMatch(/spec\.template: Invalid value: .*: field is immutable/);
  });
});

describe('delete propagation', () => {
  async function running(name: string) {
    await apply(job(name, { completionMode: 'Indexed', completions: 2, parallelism: 2 }, 'sleep 100000'));
    const r = await kubectl('wait', '--for=jsonpath={.status.ready}=2', `job/${name}`, '--timeout=60s');
    expect(r.code).toBe(0);
  }

  it('kubectl delete (Background) removes the Job and its pods', async () => {
    await running('bg');
    expect(await podsOf('bg')).toHaveLength(2);
    const del = await kubectl('delete', 'job', 'bg', '--wait=true');
    expect(del.code).toBe(0);
    const gone = await kubectl(
      'wait',
      '--for=delete',
      'pods',
      '-l',
      'batch.kubernetes.io/job-name=bg',
      '--timeout=60s'
    );
    expect(gone.code).toBe(0);
    expect(await podsOf('bg')).toEqual([]);
  });

  it('Foreground keeps the Job (deletionTimestamp, foregroundDeletion) until its pods are gone', async () => {
    await running('fg');
    const seen: string[] = [];
    const off = sb.kube!.store.subscribe((ev) => {
      const o = ev.object;
      if (
        ev.resource.plural === 'jobs' &&
        o.metadata.name === 'fg' &&
        (o.metadata.deletionTimestamp || ev.type === 'DELETED')
      )
        seen.push(`job ${ev.type} ${((o.metadata.finalizers as string[]) ?? []).join(',')}`);
      if (ev.resource.plural === 'pods' && o.metadata.labels?.['job-name'] === 'fg' && ev.type === 'DELETED')
        seen.push('pod DELETED');
    });
    const del = await kubectl('delete', 'job', 'fg', '--cascade=foreground', '--wait=true');
    off();
    expect(del.code).toBe(0);
    expect(await podsOf('fg')).toEqual([]);
    // marked first, the pods go, then the Job
    expect(seen[0]).toBe('job MODIFIED foregroundDeletion');
    expect(seen.filter((x) => x === 'pod DELETED')).toHaveLength(2);
    expect(seen.at(-1)).toBe('job DELETED ');
    expect(seen.indexOf('job DELETED ')).toBeGreaterThan(seen.lastIndexOf('pod DELETED'));
    expect((await kubectl('get', 'job', 'fg')).stderr).toContain('"fg" not found');
  });

  it('a DELETE with no policy orphans the pods and warns, as batch/v1 does', async () => {
    await running('orphan');
    // --raw sends a DELETE with no DeleteOptions; kubectl prints the server's Warning header on stderr
    const res = await kubectl('delete', '--raw', `/apis/batch/v1/namespaces/${ns}/jobs/orphan`);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain(
      'Warning: child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning'
    );
    expect((await kubectl('get', 'job', 'orphan')).stderr).toContain('"orphan" not found');
    const pods = await podsOf('orphan');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences).toBeUndefined();
    await kubectl('delete', 'pods', '-l', 'batch.kubernetes.io/job-name=orphan', '--wait=true');
  });
});
