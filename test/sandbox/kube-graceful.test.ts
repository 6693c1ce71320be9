/**
 * Graceful pod deletion: a DELETE marks a bound, running pod Terminating (deletionTimestamp, grace period) and
 * the kubelet removes it; seen through the real kubectl, and end to end with the sandbox's operator as kubelet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startSandbox } from '../../sandbox/index.js';
import { startKube, type KubeHandle, type WatchEvent } from '../../sandbox/kube/index.js';
import { runKubectl, type KubectlOptions } from '../helpers/kubectl.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };

let dir: string;
let kube: KubeHandle;
let opts: KubectlOptions;
let ns: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-graceful-'));
  kube = await startKube({
    faults: new FaultRegistry(),
    clock: new ScenarioClock(1000),
    dir,
    gracefulPodDeletion: true
  });
  ns = kube.namespace;
  opts = { kubeconfig: kube.kubeconfigPath, cacheDir: path.join(dir, 'cache') };
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

function pod(name: string, nodeName?: string, grace?: number) {
  kube.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
      containers: [{ name: 'main', image: 'x:1' }]
    }
  });
  if (nodeName) kube.store.updateStatus(PODS, ns, name, { phase: 'Running' });
}

describe('graceful pod deletion (no kubelet running)', () => {
  it('leaves a running pod Terminating with its grace period until the kubelet removes it', async () => {
    pod('busy', 'node-1');
    const del = await runKubectl(['delete', 'pod', 'busy', '--wait=false'], opts);
    expect(del).toMatchObject({ code: 0 });
    const p = kube.store.get(PODS, ns, 'busy')!;
    expect(p.metadata.deletionGracePeriodSeconds).toBe(30);
    const left = Date.parse(String(p.metadata.deletionTimestamp)) - Date.now();
    expect(left).toBeGreaterThan(25_000);
    expect(left).toBeLessThanOrEqual(30_000);
    expect(p.metadata.generation).toBe(2);
    expect((await runKubectl(['get', 'pod', 'busy', '--no-headers'], opts)).stdout).toMatch(
      /^busy\s+0\/1\s+Terminating\s/
    );

    // a second DELETE may shorten the grace period, never lengthen it
    await runKubectl(['delete', 'pod', 'busy', '--wait=false', '--grace-period=5'], opts);
    expect(kube.store.get(PODS, ns, 'busy')!.metadata.deletionGracePeriodSeconds).toBe(5);
    await runKubectl(['delete', 'pod', 'busy', '--wait=false', '--grace-period=20'], opts);
    expect(kube.store.get(PODS, ns, 'busy')!.metadata.deletionGracePeriodSeconds).toBe(5);

    // the kubelet's final delete
    kube.store.delete(PODS, ns, 'busy', { gracePeriodSeconds: 0 });
    expect(kube.store.get(PODS, ns, 'busy')).toBeUndefined();
  });

  it('deletes at once a pod that is not bound to a node, one that finished, and a forced delete', async () => {
    pod('unscheduled');
    expect((await runKubectl(['delete', 'pod', 'unscheduled'], opts)).code).toBe(0);
    expect(kube.store.get(PODS, ns, 'unscheduled')).toBeUndefined();

    pod('finished', 'node-1');
    kube.store.updateStatus(PODS, ns, 'finished', { phase: 'Succeeded' });
    expect((await runKubectl(['delete', 'pod', 'finished'], opts)).code).toBe(0);
    expect(kube.store.get(PODS, ns, 'finished')).toBeUndefined();

    pod('forced', 'node-1');
    const forced = await runKubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force'], opts);
    expect(forced.code).toBe(0);
    expect(kube.store.get(PODS, ns, 'forced')).toBeUndefined();
  });
});

describe('graceful pod deletion with the operator as kubelet', () => {
  it('a deleted running pod is Terminating first, then the kubelet removes it', async () => {
    const sb = await startSandbox({ pieces: ['oss', 'kube'], seedDemo: false });
    try {
      const store = sb.kube!.store;
      const space = sb.kube!.namespace;
      store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'worker', namespace: space },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] }
      });
      const seen: string[] = [];
      const off = store.subscribe((ev: WatchEvent) => {
        if (ev.resource.plural === 'pods' && ev.object.metadata.name === 'worker')
          seen.push(ev.object.metadata.deletionTimestamp ? `${ev.type}:terminating` : ev.type);
      });
      const start = Date.now();
      while (store.get(PODS, space, 'worker')?.spec?.nodeName === undefined) {
        if (Date.now() - start > 10_000) throw new Error('the pod was never scheduled');
        await new Promise((r) => setTimeout(r, 20));
      }
      const admin = { kubeconfig: sb.info.kube!.adminKubeconfig!, cacheDir: path.join(sb.dir, 'cache') };
      const del = await runKubectl(['delete', 'pod', 'worker'], admin);
      off();
      expect(del).toMatchObject({ code: 0, stdout: `pod "worker" deleted from ${space} namespace\n` });
      expect(store.get(PODS, space, 'worker')).toBeUndefined();
      const first = seen.indexOf('MODIFIED:terminating');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(seen.slice(first + 1)).toContain('DELETED:terminating');
    } finally {
      await sb.stop();
    }
  });
});
