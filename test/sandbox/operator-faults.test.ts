import {
  NS,
  R,
  arenaJob,
  condition,
  convertCommand,
  createStorage,
  events,
  isTrue,
  logOf,
  startEnv,
  waitEvent,
  waitFor,
  waitGone,
  type Env
} from './operator-fixtures.js';

const podCond = (type: string) => (o: { status?: { conditions?: { type: string; status: string }[] } }) =>
  o.status?.conditions?.find((c) => c.type === type);

describe('operator: scheduling, images, volumes and scenarios', () => {
  let env: Env;
  beforeEach(async () => {
    env = await startEnv({ seed: false });
  });
  afterEach(async () => {
    await env.stop();
  });

  it('keeps a pod Pending with kube-scheduler wording when no node has the GPUs, and schedules it once GPUs free up', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('hog', 'sleep 100000', { gpus: 2 }));
    env.store.create(R.jobs, arenaJob('hog2', 'sleep 100000', { gpus: 2 }));
    await waitFor(env.store, R.jobs, 'hog', isTrue('Running'));
    await waitFor(env.store, R.jobs, 'hog2', isTrue('Running'));
    env.store.create(R.jobs, arenaJob('big', 'echo done', { gpus: 1 }));
    const ev = await waitEvent(env.store, 'big-master-0', 'FailedScheduling');
    expect(ev.type).toBe('Warning');
    expect(ev.message).toBe(
      '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
    );
    const pod = env.store.get(R.pods, NS, 'big-master-0')!;
    expect(pod.status.phase).toBe('Pending');
    expect(podCond('PodScheduled')(pod)).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: ev.message
    });
    expect(env.store.get(R.jobs, NS, 'big')!.status.conditions.map((c: { type: string }) => c.type)).toEqual([
      'Created'
    ]);

    // deleting a job frees its GPUs (its pods go with it), and the waiting pod gets them
    env.store.delete(R.jobs, NS, 'hog');
    await waitGone(env.store, R.pods, 'hog-master-0');
    await waitFor(env.store, R.jobs, 'big', isTrue('Succeeded'));
  });

  it('says which nodes lack GPUs when some fit by count but not by free GPUs', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('huge', 'echo x', { gpus: 3 }));
    const ev = await waitEvent(env.store, 'huge-master-0', 'FailedScheduling');
    expect(ev.message).toBe(
      '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
    );
  });

  it('reports ErrImagePull then ImagePullBackOff for an image the registry does not have', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('typo', 'echo x', { image: 'registry.example.com/nope/converter:1' }));
    await waitFor(
      env.store,
      R.pods,
      'typo-master-0',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'
    );
    const evs = events(env.store, 'typo-master-0');
    const failed = evs.filter((e) => e.reason === 'Failed').map((e) => e.message);
    expect(failed.find((m) => m.startsWith('Failed to pull image'))).toBe(
      'Failed to pull image "registry.example.com/nope/converter:1": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/nope/converter:1": failed to resolve reference "registry.example.com/nope/converter:1": registry.example.com/nope/converter:1: not found'
    );
    expect(failed).toEqual(expect.arrayContaining(['Error: ErrImagePull', 'Error: ImagePullBackOff']));
    expect(evs.find((e) => e.reason === 'BackOff')?.message).toBe(
      'Back-off pulling image "registry.example.com/nope/converter:1"'
    );
    const pod = env.store.get(R.pods, NS, 'typo-master-0')!;
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0].state.waiting.message).toBe(
      'Back-off pulling image "registry.example.com/nope/converter:1"'
    );
  });

  it('rejects a malformed image name with InvalidImageName', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('upper', 'echo x', { image: 'Registry.Example.com/Conv:1' }));
    const pod = await waitFor(
      env.store,
      R.pods,
      'upper-master-0',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidImageName'
    );
    expect(pod.status.containerStatuses[0].state.waiting.message).toBe(
      'Failed to apply default image tag "Registry.Example.com/Conv:1": couldn\'t parse image reference "Registry.Example.com/Conv:1": invalid reference format'
    );
  });

  it('cannot mount an OSS volume whose Secret is missing, lacks keys, or whose driver is unknown', async () => {
    createStorage(env.store, { pv: 'pv-a', pvc: 'pvc-a', secret: 'missing', withSecret: false });
    createStorage(env.store, {
      pv: 'pv-b',
      pvc: 'pvc-b',
      secret: 'half',
      secretData: { akId: Buffer.from('x').toString('base64') }
    });
    createStorage(env.store, { pv: 'pv-c', pvc: 'pvc-c', secret: 'ok', driver: 'nasplugin.csi.alibabacloud.com' });
    env.store.create(R.jobs, arenaJob('a', 'echo x', { pvc: 'pvc-a' }));
    env.store.create(R.jobs, arenaJob('b', 'echo x', { pvc: 'pvc-b' }));
    env.store.create(R.jobs, arenaJob('c', 'echo x', { pvc: 'pvc-c' }));
    const a = await waitEvent(env.store, 'a-master-0', 'FailedMount');
    const b = await waitEvent(env.store, 'b-master-0', 'FailedMount');
    const c = await waitEvent(env.store, 'c-master-0', 'FailedMount');
    expect(a).toMatchObject({
      type: 'Warning',
      message: `MountVolume.SetUp failed for volume "pv-a" : kubernetes.io/csi: failed to find the secret missing in the namespace ${NS} with error: secrets "missing" not found`
    });
    expect(b.message).toMatch(
      /^MountVolume\.SetUp failed for volume "pv-b" : rpc error: code = InvalidArgument desc = .*akId and akSecret/
    );
    expect(c.message).toBe(
      'MountVolume.SetUp failed for volume "pv-c" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name nasplugin.csi.alibabacloud.com not found in the list of registered CSI drivers'
    );
    const pod = env.store.get(R.pods, NS, 'a-master-0')!;
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses[0].state.waiting.reason).toBe('ContainerCreating');

    // creating the Secret lets the mount through
    env.store.create(R.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'missing', namespace: NS },
      data: { akId: Buffer.from('a').toString('base64'), akSecret: Buffer.from('b').toString('base64') }
    });
    await waitFor(env.store, R.jobs, 'a', isTrue('Succeeded'));
  });

  it('leaves a claim with no matching PV Pending, and its pods unschedulable', async () => {
    env.store.create(R.pvcs, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'bloom-pvc', namespace: NS },
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '20Gi' } },
        storageClassName: '',
        selector: { matchLabels: { 'alicloud-pvname': 'nope' } }
      }
    });
    const ev = await waitEvent(env.store, 'bloom-pvc', 'FailedBinding');
    expect(ev.message).toBe('no persistent volumes available for this claim and no storage class is set');
    expect(env.store.get(R.pvcs, NS, 'bloom-pvc')!.status.phase).toBe('Pending');
    env.store.create(R.jobs, arenaJob('waits', 'echo x'));
    const sched = await waitEvent(env.store, 'waits-master-0', 'FailedScheduling');
    expect(sched.message).toBe(
      '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'
    );
  });

  it('kills an OOM scenario with OOMKilled 137 and fails the job', async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: /^oom-/, outcome: 'oom', afterLines: 2 });
    env.store.create(R.jobs, arenaJob('oom-1', 'echo one; echo two; echo three'));
    const job = await waitFor(env.store, R.jobs, 'oom-1', isTrue('Failed'));
    expect(condition(job, 'Failed')?.reason).toBe('PyTorchJobFailed');
    const pod = env.store.get(R.pods, NS, 'oom-1-master-0')!;
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(logOf(env.runtime, 'oom-1-master-0')).toBe('one\ntwo\n');
    expect(job.status.replicaStatuses).toEqual({ Master: { failed: 1 } });
  });

  it('fails at a given line with a traceback (fail-at)', async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: 'flaky', outcome: 'fail-at', afterLines: 1, message: 'KeyError: h.0.mlp' });
    env.store.create(R.jobs, arenaJob('flaky', 'echo start; echo more'));
    await waitFor(env.store, R.jobs, 'flaky', isTrue('Failed'));
    expect(logOf(env.runtime, 'flaky-master-0')).toBe(
      'start\nTraceback (most recent call last):\n  File "<string>", line 1, in <module>\nKeyError: h.0.mlp\n'
    );
    expect(env.store.get(R.pods, NS, 'flaky-master-0')!.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error'
    });
  });

  it("restart-then-succeed under restartPolicy Never (Arena's Master): the job fails; the same name submitted again succeeds", async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: /^never$/, outcome: 'restart-then-succeed', exitCode: 137 });
    env.store.create(R.jobs, arenaJob('never', 'echo ok', { backoffLimit: 3 }));
    const failed = await waitFor(env.store, R.jobs, 'never', isTrue('Failed'));
    // the operator does not restart a Never replica, whatever backoffLimit says (training-operator v1.7.0
    // pkg/controller.v1/pytorch/pytorchjob_controller.go:436-451, pkg/core/job.go:103)
    expect(condition(failed, 'Failed')).toMatchObject({
      reason: 'PyTorchJobFailed',
      message: 'PyTorchJob never is failed because 1 Master replica(s) failed.'
    });
    expect(events(env.store, 'never').some((e) => e.reason === 'PyTorchJobRestarting')).toBe(false);
    expect(env.store.get(R.pods, NS, 'never-master-0')!.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error'
    });
    env.store.delete(R.jobs, NS, 'never');
    await waitGone(env.store, R.pods, 'never-master-0');
    env.store.create(R.jobs, arenaJob('never', 'echo ok'));
    await waitFor(env.store, R.jobs, 'never', isTrue('Succeeded'));
    expect(logOf(env.runtime, 'never-master-0')).toBe('ok\n');
  });

  it('restarts once and then succeeds (restart-then-succeed, restartPolicy ExitCode, killed by a signal)', async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: /^retry$/, outcome: 'restart-then-succeed', exitCode: 137 });
    const seen: string[] = [];
    const unsub = env.store.subscribe((ev) => {
      if (ev.resource.plural === 'pytorchjobs') {
        const last = (ev.object.status?.conditions ?? []).at(-1);
        if (last && seen.at(-1) !== last.type) seen.push(last.type);
      }
    });
    env.store.create(R.jobs, arenaJob('retry', 'echo ok', { restartPolicy: 'ExitCode' }));
    const job = await waitFor(env.store, R.jobs, 'retry', isTrue('Succeeded'));
    unsub();
    expect(seen).toEqual(expect.arrayContaining(['Restarting', 'Succeeded']));
    expect(seen.indexOf('Restarting')).toBeLessThan(seen.indexOf('Succeeded'));
    expect(events(env.store, 'retry').find((e) => e.reason === 'PyTorchJobRestarting')?.message).toBe(
      'PyTorchJob retry is restarting because 1 Master replica(s) failed.'
    );
    expect(condition(job, 'Succeeded')?.status).toBe('True');
    expect(logOf(env.runtime, 'retry-master-0')).toBe('ok\n');
  });

  it('fails a job past runPolicy.activeDeadlineSeconds with DeadlineExceeded and removes its running pod', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('slow', 'sleep 100000', { deadline: 60 }));
    const job = await waitFor(env.store, R.jobs, 'slow', isTrue('Failed'));
    expect(condition(job, 'Failed')).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'PyTorchJob slow has failed because it was active longer than specified deadline'
    });
    await waitGone(env.store, R.pods, 'slow-master-0');
  });

  it('recreates pods with a retryable exit code under restartPolicy ExitCode, up to backoffLimit', async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: 'exitcode', outcome: 'oom' });
    env.store.create(R.jobs, arenaJob('exitcode', 'echo x', { restartPolicy: 'ExitCode', backoffLimit: 1 }));
    const job = await waitFor(env.store, R.jobs, 'exitcode', isTrue('Failed'));
    expect(condition(job, 'Failed')).toMatchObject({
      reason: 'BackoffLimitExceeded',
      message: 'PyTorchJob exitcode has failed because it has reached the specified backoff limit'
    });
    expect(events(env.store, 'exitcode').filter((e) => e.reason === 'PyTorchJobRestarting')).toHaveLength(1);
  });

  it('deletes a finished job after ttlSecondsAfterFinished, with its pods', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('short-lived', 'echo bye', { ttl: 30 }));
    await waitFor(env.store, R.jobs, 'short-lived', isTrue('Succeeded'));
    await waitGone(env.store, R.jobs, 'short-lived');
    await waitGone(env.store, R.pods, 'short-lived-master-0');
  });

  it('never schedules a pending-forever job', async () => {
    createStorage(env.store);
    env.operator.setScenario({ match: 'stuck', outcome: 'pending-forever' });
    env.store.create(R.jobs, arenaJob('stuck', 'echo x'));
    const ev = await waitEvent(env.store, 'stuck-master-0', 'FailedScheduling');
    expect(ev.message).toMatch(/^0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    await env.clock.sleep(120);
    expect(env.store.get(R.pods, NS, 'stuck-master-0')!.status.phase).toBe('Pending');
  });

  it('restarts containers in place for restartPolicy OnFailure and counts restarts', async () => {
    createStorage(env.store);
    env.store.create(R.jobs, arenaJob('onf', 'false', { restartPolicy: 'OnFailure' }));
    const pod = await waitFor(
      env.store,
      R.pods,
      'onf-master-0',
      (p) => p.status?.containerStatuses?.[0]?.restartCount >= 2
    );
    const cs = pod.status.containerStatuses[0];
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(
      events(env.store, 'onf-master-0').some(
        (e) =>
          e.reason === 'BackOff' &&
          e.message.startsWith('Back-off restarting failed container pytorch in pod onf-master-0_')
      )
    ).toBe(true);
  });

  it('converts when the job runs its converter through a PVC subpath mount and a cd', async () => {
    createStorage(env.store, { path: '/models' });
    const { demoModelFiles } = await import('../../sandbox/models/demo.js');
    for (const f of demoModelFiles())
      if (f.path === 'config.json' || f.path.endsWith('.safetensors'))
        await env.ossClient.put(`models/tiny/${f.path}`, f.content);
    env.store.create(R.jobs, arenaJob('cdjob', `cd /mnt && ${convertCommand('--input-dir=tiny -o out -dt fp32')}`));
    await waitFor(env.store, R.jobs, 'cdjob', isTrue('Succeeded'));
    const head = await env.ossClient.head('models/out/1-gpu/model.wte.bin');
    expect(Number(head.res.headers['content-length' as keyof typeof head.res.headers])).toBe(384 * 64 * 4);
  });
});
