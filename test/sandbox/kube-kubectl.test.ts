/**
 * The sandbox Kubernetes API server driven by the real kubectl v1.34.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { kubectlPath, runKubectl, startKubectl, type KubectlOptions } from '../helpers/kubectl.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const CMS = { group: '', version: 'v1', plural: 'configmaps' };
const JOBS = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' };

let dir: string;
let kube: KubeHandle;
let faults: FaultRegistry;
let opts: KubectlOptions;
let ns: string;

function runningPod(
  name: string,
  labels: Record<string, string> = {},
  owner?: { kind: string; name: string; uid: string; apiVersion: string }
) {
  kube.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox' }], nodeName: 'node-1' }
  });
  kube.store.updateStatus(PODS, ns, name, {
    phase: 'Running',
    podIP: '10.0.0.5',
    containerStatuses: [
      { name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } } }
    ]
  });
}

function job(name: string) {
  return kube.store.create(JOBS, {
    apiVersion: 'kubeflow.org/v1',
    kind: 'PyTorchJob',
    metadata: { name, namespace: ns },
    spec: {
      pytorchReplicaSpecs: {
        Master: {
          replicas: 1,
          restartPolicy: 'Never',
          template: { spec: { containers: [{ name: 'pytorch', image: 'x' }] } }
        }
      }
    }
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-kubectl-'));
  faults = new FaultRegistry();
  kube = await startKube({ faults, clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  opts = { kubeconfig: kube.kubeconfigPath, cacheDir: path.join(dir, 'cache') };
  await kubectlPath();
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the sandbox API server', () => {
  it('gets pods as a table and as JSON, and pytorchjobs with their state', async () => {
    runningPod('web-1', { app: 'web' });
    job('table-job');
    kube.store.updateStatus(JOBS, ns, 'table-job', {
      conditions: [
        { type: 'Created', status: 'True' },
        { type: 'Running', status: 'True' }
      ]
    });

    const table = await runKubectl(['get', 'pods'], opts);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(table.stdout).toMatch(/web-1\s+1\/1\s+Running\s+0\s+\d+s/);

    const json = await runKubectl(['get', 'pods', '-l', 'app in (web,api)', '-o', 'json'], opts);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'web-1'
    ]);

    const jobs = await runKubectl(['get', 'pytorchjobs'], opts);
    expect(jobs.stdout).toMatch(/^NAME\s+STATE\s+AGE\n/);
    expect(jobs.stdout).toMatch(/table-job\s+Running\s+\d+s/);
  });

  it('applies server-side: creates, leaves unchanged, reports a conflict, forces', async () => {
    const file = path.join(dir, 'cm.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  hello: world\n');
    const first = await runKubectl(['apply', '--server-side', '-f', file], opts);
    expect(first).toMatchObject({ code: 0, stdout: 'configmap/settings serverside-applied\n' });
    const rv = kube.store.get(CMS, ns, 'settings')!.metadata.resourceVersion;

    const again = await runKubectl(['apply', '--server-side', '-f', file], opts);
    expect(again.code).toBe(0);
    expect(kube.store.get(CMS, ns, 'settings')!.metadata.resourceVersion).toBe(rv);

    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  hello: mars\n');
    const clash = await runKubectl(['apply', '--server-side', '--field-manager=other', '-f', file], opts);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.hello');

    const forced = await runKubectl(
      ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', file],
      opts
    );
    expect(forced.code).toBe(0);
    expect(kube.store.get(CMS, ns, 'settings')!.data).toEqual({ hello: 'mars' });

    const strict = path.join(dir, 'job.yaml');
    await writeFile(
      strict,
      `apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: applied-job\nspec:\n  runPolicy: {cleanPodPolicy: None}\n`
    );
    const crd = await runKubectl(['apply', '--server-side', '-f', strict], opts);
    expect(crd).toMatchObject({ code: 0, stdout: 'pytorchjob.kubeflow.org/applied-job serverside-applied\n' });
  });

  it("creates from kubectl's protobuf bodies and scales a Deployment through its scale subresource", async () => {
    const secret = await runKubectl(
      ['create', 'secret', 'generic', 'oss-keys', '--from-literal=akId=id1', '-o', 'json'],
      opts
    );
    expect(secret.code).toBe(0);
    expect(JSON.parse(secret.stdout)).toMatchObject({
      type: 'Opaque',
      data: { akId: Buffer.from('id1').toString('base64') }
    });
    const badNs = await runKubectl(['create', 'namespace', 'Bad_NS'], opts);
    expect(badNs.stderr).toContain(
      'The Namespace "Bad_NS" is invalid: metadata.name: Invalid value: "Bad_NS": a lowercase RFC 1123 label'
    );

    const deploy =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx}]}\n';
    expect((await runKubectl(['apply', '--server-side', '-f', '-'], { ...opts, stdin: deploy })).code).toBe(0);
    expect((await runKubectl(['scale', 'deployment/web', '--replicas=3'], opts)).stdout).toBe(
      'deployment.apps/web scaled\n'
    );
    expect(kube.store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, ns, 'web')!.spec.replicas).toBe(3);
  });

  it('waits for a PyTorchJob condition flipped through the store', async () => {
    job('wait-job');
    const waiting = startKubectl(['wait', '--for=condition=Succeeded', 'pytorchjob/wait-job', '--timeout=20s'], opts);
    await until(() =>
      faults.recorded('kube').some((r) => /pytorchjobs\?.*watch=true/.test(r.url) && /wait-job/.test(r.url))
    );
    kube.store.updateStatus(JOBS, ns, 'wait-job', {
      conditions: [{ type: 'Succeeded', status: 'True', reason: 'JobSucceeded' }]
    });
    const r = await waiting.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pytorchjob.kubeflow.org/wait-job condition met');
  });

  it('follows logs until the container terminates, and reports a container that has not started', async () => {
    runningPod('logger');
    kube.pods.appendLog(ns, 'logger', 'main', 'line one\n');
    const follow = startKubectl(['logs', '-f', 'logger'], opts);
    await follow.waitFor((out) => out.includes('line one\n'));
    kube.pods.appendLog(ns, 'logger', 'main', 'line two\nline three\n');
    await follow.waitFor((out) => out.includes('line three\n'));
    kube.store.updateStatus(PODS, ns, 'logger', {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 0, reason: 'Completed' } } }]
    });
    expect(await follow.done).toMatchObject({ code: 0, stdout: 'line one\nline two\nline three\n' });

    const tail = await runKubectl(['logs', 'logger', '--tail=1'], opts);
    expect(tail.stdout).toBe('line three\n');

    kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'starting', namespace: ns },
      spec: { containers: [{ name: 'main', image: 'x' }] }
    });
    const early = await runKubectl(['logs', 'starting'], opts);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('container "main" in pod "starting" is waiting to start: ContainerCreating');
  });

  it('port-forwards over WebSocket-tunnelled SPDY and over the raw SPDY fallback', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const target = http.createServer((req, res) => {
      if (req.url === '/big') res.end(big);
      else res.end(`hello from ${req.url}`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    try {
      runningPod('server');
      kube.pods.registerPort(ns, 'server', 8000, (target.address() as AddressInfo).port);
      for (const [env, method] of [
        [{}, 'GET'],
        [{ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'POST']
      ] as const) {
        faults.reset();
        const pf = startKubectl(['port-forward', 'pod/server', ':8000'], { ...opts, env });
        try {
          await pf.waitFor((out) => /Forwarding from 127\.0\.0\.1:\d+ -> 8000/.test(out));
          const port = Number(/127\.0\.0\.1:(\d+)/.exec(pf.stdout())![1]);
          expect(await (await fetch(`http://127.0.0.1:${port}/hi`)).text()).toBe('hello from /hi');
          expect((await (await fetch(`http://127.0.0.1:${port}/big`)).arrayBuffer()).byteLength).toBe(big.length);
          const upgrades = faults.recorded('kube').filter((r) => r.url.endsWith('/portforward'));
          expect(upgrades.map((r) => [r.method, r.status])).toEqual([[method, 101]]);
        } finally {
          pf.kill();
          await pf.done;
        }
      }
      kube.store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pending', namespace: ns },
        spec: { containers: [{ name: 'main', image: 'x' }] }
      });
      const refused = await runKubectl(['port-forward', 'pod/pending', ':8000'], opts);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('unable to forward port because pod is not running. Current status=Pending');
    } finally {
      await new Promise((r) => target.close(r));
    }
  });

  it('deletes and waits until the object is gone, cascading to owned pods', async () => {
    const owner = job('doomed');
    runningPod(
      'doomed-master-0',
      {},
      { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', name: 'doomed', uid: owner.metadata.uid! }
    );
    const r = await runKubectl(['delete', 'pytorchjob', 'doomed'], opts);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('pytorchjob.kubeflow.org "doomed" deleted');
    expect(kube.store.get(JOBS, ns, 'doomed')).toBeUndefined();
    expect(kube.store.get(PODS, ns, 'doomed-master-0')).toBeUndefined();

    const missing = await runKubectl(['delete', 'cm', 'nope'], opts);
    expect(missing.stderr).toContain('Error from server (NotFound): configmaps "nope" not found');
  });

  it('answers 401 without a valid token and 403 for the read-only user', async () => {
    const bad = path.join(dir, 'bad-kubeconfig');
    await writeFile(bad, (await readFile(kube.kubeconfigPath, 'utf8')).replace(kube.token, 'wrong-token'));
    const unauth = await runKubectl(['get', 'cm'], { ...opts, kubeconfig: bad });
    expect(unauth.code).toBe(1);
    expect(unauth.stderr).toContain('You must be logged in to the server');

    const ro = { ...opts, kubeconfig: kube.readOnlyKubeconfigPath };
    expect((await runKubectl(['get', 'cm', 'settings', '-o', 'name'], ro)).stdout).toBe('configmap/settings\n');
    expect((await runKubectl(['auth', 'can-i', 'get', 'pods'], ro)).stdout).toBe('yes\n');
    expect(await runKubectl(['auth', 'can-i', 'create', 'pods'], ro)).toMatchObject({ code: 1, stdout: 'no\n' });
    const denied = await runKubectl(['delete', 'cm', 'settings'], ro);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `Error from server (Forbidden): configmaps "settings" is forbidden: User "ci-readonly" cannot delete resource "configmaps" in API group "" in the namespace "${ns}"`
    );
  });
});

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
