import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../sandbox/kube/contract.js';
import type { StartTriton } from '../../sandbox/operator/index.js';
import {
  NS,
  R,
  condition,
  createStorage,
  events,
  logOf,
  startEnv,
  waitEvent,
  waitFor,
  waitGone,
  type Env
} from './operator-fixtures.js';

/** A stand-in Triton: answers /v2/health/ready with `ready()`; records how it was started. */
function fakeTriton(ready: () => boolean) {
  const started: { pod: string; args: string[]; gpus: number; repo?: { bucket: string; key: string } }[] = [];
  const servers = new Set<http.Server>();
  const start: StartTriton = async (o) => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/v2/health/ready' && ready() ? 200 : 400).end();
    });
    servers.add(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const repoArg = o.args.find((a) => a.startsWith('--model-repository='))?.split('=')[1];
    started.push({ pod: o.pod, args: o.args, gpus: o.gpus, repo: repoArg ? o.resolvePodPath(repoArg) : undefined });
    o.log('I1125 12:00:00.000000 1 server.cc:108] Initializing Triton Inference Server\n');
    return {
      ports: { 8000: (server.address() as AddressInfo).port },
      stop: () =>
        new Promise<void>((r) => {
          servers.delete(server);
          server.closeAllConnections();
          server.close(() => r());
        })
    };
  };
  return { start, started };
}

function tritonDeployment(
  name: string,
  o: { gpus?: number; progressDeadlineSeconds?: number; image?: string } = {}
): KubeObject {
  const version = '202611251200';
  const release = `${name}-${version}`;
  const labels = {
    servingName: name,
    servingVersion: version,
    servingType: 'triton-serving',
    app: 'tritoninferenceserver',
    release
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${release}-tritoninferenceserver`, namespace: NS, labels },
    spec: {
      replicas: 1,
      ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { release, app: 'tritoninferenceserver' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'tritonserver',
              image:
                o.image ??
                'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers',
              args: [
                'tritonserver',
                '--model-repository=/mnt/triton/bloom-v1',
                '--http-port=8000',
                '--grpc-port=8001',
                '--allow-metrics=true'
              ],
              ports: [
                { name: 'http', containerPort: 8000, protocol: 'TCP' },
                { name: 'grpc', containerPort: 8001, protocol: 'TCP' },
                { name: 'metrics', containerPort: 8002, protocol: 'TCP' }
              ],
              readinessProbe: {
                httpGet: { path: '/v2/health/ready', port: 'http' },
                initialDelaySeconds: 15,
                periodSeconds: 10,
                failureThreshold: 3,
                timeoutSeconds: 1
              },
              resources: { limits: { 'nvidia.com/gpu': o.gpus ?? 2 } },
              volumeMounts: [
                { name: 'bloom-pvc', mountPath: '/mnt' },
                { name: 'dshm', mountPath: '/dev/shm' }
              ]
            }
          ],
          volumes: [
            { name: 'bloom-pvc', persistentVolumeClaim: { claimName: 'bloom-pvc' } },
            { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }
          ]
        }
      }
    }
  };
}

const DEPLOY = 'bloom-202611251200-tritoninferenceserver';

function podsOf(env: Env): KubeObject[] {
  return env.store.list(R.pods, NS).items.filter((p) => p.metadata.name.startsWith(`${DEPLOY}-`));
}

describe('operator: Deployments as arena serve triton creates them', () => {
  let env: Env;
  let isReady = true;
  let triton: ReturnType<typeof fakeTriton>;
  beforeEach(async () => {
    isReady = true;
    triton = fakeTriton(() => isReady);
    env = await startEnv({ seed: false, startTriton: triton.start });
    createStorage(env.store, { path: '/models' });
  });
  afterEach(async () => {
    await env.stop();
  });

  it('rolls out: ReplicaSet, pod with Triton started, readiness probe, Available and NewReplicaSetAvailable', async () => {
    env.store.create(R.deployments, tritonDeployment('bloom'));
    const dep = await waitFor(
      env.store,
      R.deployments,
      DEPLOY,
      (d) => condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
    );
    expect(dep.status).toMatchObject({
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1
    });
    expect(condition(dep, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.'
    });
    const rs = env.store.list(R.replicasets, NS).items.find((x) => x.metadata.ownerReferences?.[0]?.name === DEPLOY)!;
    expect(rs.metadata.name).toMatch(new RegExp(`^${DEPLOY}-[bcdfghjklmnpqrstvwxz2456789]+$`));
    expect(condition(dep, 'Progressing')?.message).toBe(
      `ReplicaSet "${rs.metadata.name}" has successfully progressed.`
    );
    const [pod] = podsOf(env);
    expect(pod.metadata.name).toMatch(new RegExp(`^${rs.metadata.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata.name });
    expect(pod.metadata.labels).toMatchObject({
      servingName: 'bloom',
      servingType: 'triton-serving',
      'pod-template-hash': expect.any(String)
    });
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses[0]).toMatchObject({
      name: 'tritonserver',
      ready: true,
      restartCount: 0,
      state: { running: {} }
    });
    expect(pod.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    expect(triton.started).toEqual([
      {
        pod: pod.metadata.name,
        args: [
          '--model-repository=/mnt/triton/bloom-v1',
          '--http-port=8000',
          '--grpc-port=8001',
          '--allow-metrics=true'
        ],
        gpus: 2,
        repo: { bucket: 'models', key: 'models/triton/bloom-v1' }
      }
    ]);
    expect(env.runtime.localPort(NS, pod.metadata.name, 8000)).toEqual(expect.any(Number));
    expect(logOf(env.runtime, pod.metadata.name, 'tritonserver')).toBe(
      'I1125 12:00:00.000000 1 server.cc:108] Initializing Triton Inference Server\n'
    );
    expect(events(env.store, DEPLOY).map((e) => e.message)).toContain(
      `Scaled up replica set ${rs.metadata.name} to 1 from 0`
    );

    // deleting the Deployment removes its pods and gives the GPUs back
    env.store.delete(R.deployments, NS, DEPLOY);
    await waitGone(env.store, R.pods, pod.metadata.name);
    env.store.create(R.deployments, tritonDeployment('bloom', { gpus: 2 }));
    const again = await waitFor(env.store, R.deployments, DEPLOY, (d) => condition(d, 'Available')?.status === 'True');
    expect(again.status.availableReplicas).toBe(1);
  });

  it('rolls a changed template out to a new ReplicaSet and scales the old one down once the new pod is ready', async () => {
    env.store.create(R.deployments, tritonDeployment('bloom', { gpus: 1 }));
    const first = await waitFor(
      env.store,
      R.deployments,
      DEPLOY,
      (d) => condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
    );
    const [oldPod] = podsOf(env);
    const changed = structuredClone(first);
    changed.spec.template.spec.containers[0].args.push('--log-verbose=1');
    env.store.update(R.deployments, changed);
    const dep = await waitFor(
      env.store,
      R.deployments,
      DEPLOY,
      (d) => d.status?.observedGeneration === 2 && condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
    );
    expect(dep.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    const sets = env.store
      .list(R.replicasets, NS)
      .items.filter((x) => x.metadata.ownerReferences?.[0]?.name === DEPLOY);
    expect(sets.map((x) => x.spec.replicas).sort()).toEqual([0, 1]);
    expect(sets.map((x) => x.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
    expect(env.store.get(R.pods, NS, oldPod.metadata.name)).toBeUndefined();
    expect(triton.started.at(-1)?.args).toContain('--log-verbose=1');
  });

  it('times out progressing when the server never gets ready (ProgressDeadlineExceeded)', async () => {
    isReady = false;
    env.store.create(R.deployments, tritonDeployment('bloom', { progressDeadlineSeconds: 120 }));
    const dep = await waitFor(
      env.store,
      R.deployments,
      DEPLOY,
      (d) => condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded'
    );
    expect(condition(dep, 'Progressing')).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet ".*" has timed out progressing\.$/)
    });
    expect(condition(dep, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(dep.status.unavailableReplicas).toBe(1);
    const [pod] = podsOf(env);
    expect(pod.status.containerStatuses[0].ready).toBe(false);
    const ev = await waitEvent(env.store, pod.metadata.name, 'Unhealthy');
    expect(ev).toMatchObject({
      type: 'Warning',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 400'
    });
  });

  it('crash-loops with back-off and a growing restartCount (crash-loop scenario)', async () => {
    env.operator.setScenario({ match: /^bloom-/, outcome: 'crash-loop', afterSeconds: 1 });
    env.store.create(R.deployments, tritonDeployment('bloom'));
    const name = () => podsOf(env)[0]?.metadata.name ?? 'none';
    await waitFor(env.store, R.deployments, DEPLOY, () => podsOf(env).length === 1);
    const pod = await waitFor(env.store, R.pods, name(), (p) => p.status?.containerStatuses?.[0]?.restartCount >= 2);
    const cs = pod.status.containerStatuses[0];
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const waiting = await waitFor(
      env.store,
      R.pods,
      name(),
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'
    );
    expect(waiting.status.containerStatuses[0].state.waiting.message).toMatch(
      /^back-off \d+s restarting failed container=tritonserver pod=/
    );
    expect(logOf(env.runtime, name(), 'tritonserver')).toContain(
      'error: creating server: Internal - failed to load all models\n'
    );
    const dep = env.store.get(R.deployments, NS, DEPLOY)!;
    expect(condition(dep, 'Available')?.status).toBe('False');
  });

  it('leaves serving pods Pending when the GPUs are taken, and schedules them when a Deployment goes', async () => {
    env.store.create(R.deployments, tritonDeployment('bloom', { gpus: 2 }));
    await waitFor(env.store, R.deployments, DEPLOY, (d) => condition(d, 'Available')?.status === 'True');
    const other = tritonDeployment('other', { gpus: 2 });
    const third = tritonDeployment('third', { gpus: 2 });
    env.store.create(R.deployments, other);
    env.store.create(R.deployments, third);
    const thirdName = third.metadata.name;
    await waitFor(env.store, R.deployments, other.metadata.name, (d) => condition(d, 'Available')?.status === 'True');
    await waitFor(env.store, R.deployments, thirdName, () =>
      env.store
        .list(R.pods, NS)
        .items.some(
          (p) =>
            p.metadata.name.startsWith(thirdName) &&
            p.status?.conditions?.some((c: { reason?: string }) => c.reason === 'Unschedulable')
        )
    );
    // the pods of a deleted Deployment give their GPUs to the one waiting
    env.store.delete(R.deployments, NS, DEPLOY);
    await waitFor(env.store, R.deployments, thirdName, (d) => condition(d, 'Available')?.status === 'True');
  });
});
