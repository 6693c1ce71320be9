/**
 * What a real API server adds to what it is given, seen through the real kubectl v1.34: the defaults of
 * Deployments, Pods and Services, Endpoints and EndpointSlices kept from the ready pods behind a Service, and
 * Table responses that carry the whole object when asked (`--sort-by`).
 */
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { runKubectl, type KubectlOptions } from '../helpers/kubectl.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const EVENTS = { group: '', version: 'v1', plural: 'events' };

let dir: string;
let kube: KubeHandle;
let opts: KubectlOptions;
let ns: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-fidelity-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  opts = { kubeconfig: kube.kubeconfigPath, cacheDir: path.join(dir, 'cache') };
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

const json = async (...args: string[]) => {
  const r = await runKubectl([...args, '-o', 'json'], opts);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pod(name: string, ip: string, ready: boolean, labels = { app: 'web' }) {
  kube.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'main', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }]
    }
  });
  kube.store.updateStatus(PODS, ns, name, {
    phase: 'Running',
    podIP: ip,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }]
  });
}

describe('defaults the API server fills in', () => {
  it('Deployment: strategy, revisionHistoryLimit, progressDeadlineSeconds, and the pod template’s defaults', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'defaults' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              { name: 'tagged', image: 'nginx:1.27', ports: [{ containerPort: 80 }] },
              { name: 'latest', image: 'nginx:latest' },
              { name: 'untagged', image: 'registry.example.com:5000/nginx' }
            ]
          }
        }
      }
    };
    expect(
      (await runKubectl(['apply', '--server-side', '-f', '-'], { ...opts, stdin: JSON.stringify(dep) })).code
    ).toBe(0);
    const d = await json('get', 'deployment', 'defaults');
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600
    });
    const spec = d.spec.template.spec;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {}
    });
    expect(spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy)).toEqual([
      'IfNotPresent',
      'Always',
      'Always'
    ]);
    expect(spec.containers[0]).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }]
    });
  });

  it('Service: type, sessionAffinity, cluster IP, IP family, port protocol and targetPort', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'plain' },
      spec: { selector: { app: 'none' }, ports: [{ name: 'http', port: 8000 }] }
    };
    expect(
      (await runKubectl(['apply', '--server-side', '-f', '-'], { ...opts, stdin: JSON.stringify(svc) })).code
    ).toBe(0);
    const s = await json('get', 'service', 'plain');
    expect(s.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      ports: [{ name: 'http', port: 8000, protocol: 'TCP', targetPort: 8000 }]
    });
    expect(s.spec.clusterIPs).toEqual([s.spec.clusterIP]);
    expect(s.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});

describe('Endpoints and EndpointSlices', () => {
  it('follow the pods behind a Service: ready in addresses, unready apart, a named targetPort resolved', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
    };
    expect(
      (await runKubectl(['apply', '--server-side', '-f', '-'], { ...opts, stdin: JSON.stringify(svc) })).code
    ).toBe(0);
    pod('web-1', '10.0.0.11', true);
    pod('web-2', '10.0.0.12', false);
    pod('other', '10.0.0.13', true, { app: 'other' });

    const ep = await until(async () => {
      const e = await json('get', 'endpoints', 'web');
      return e.subsets?.[0]?.notReadyAddresses ? e : undefined;
    });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          { ip: '10.0.0.11', nodeName: 'node-1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-1' }) }
        ],
        notReadyAddresses: [
          { ip: '10.0.0.12', nodeName: 'node-1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'web-2' }) }
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }]
      }
    ]);
    expect(ep.metadata.labels).toEqual({ tier: 'front' });

    const slices = await json('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
    expect(slices.items).toHaveLength(1);
    const slice = slices.items[0];
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'
    });
    expect(slice.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', name: 'web', controller: true })
    ]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(
      slice.endpoints.map((e: { addresses: string[]; conditions: unknown }) => [e.addresses[0], e.conditions])
    ).toEqual([
      ['10.0.0.11', { ready: true, serving: true, terminating: false }],
      ['10.0.0.12', { ready: false, serving: false, terminating: false }]
    ]);

    // client-node's typed models read both kinds
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    const typedSlices = await kc
      .makeApiClient(k8s.DiscoveryV1Api)
      .listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web' });
    expect((typedSlices.items[0].endpoints ?? []).map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
      ['10.0.0.11', true],
      ['10.0.0.12', false]
    ]);
    const typedEp = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedEndpoints({ name: 'web', namespace: ns });
    expect(typedEp.subsets?.[0].addresses?.map((a) => a.ip)).toEqual(['10.0.0.11']);

    // kubectl describe reads the slices: the ready endpoint is listed
    const described = await runKubectl(['describe', 'service', 'web'], opts);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Endpoints:\s+10\.0\.0\.11:8080/);
    expect(described.stdout).toMatch(/TargetPort:\s+http\/TCP/);

    // a pod turning ready moves; a deleted Service takes its Endpoints and (owned) slice along
    kube.store.updateStatus(PODS, ns, 'web-2', {
      phase: 'Running',
      podIP: '10.0.0.12',
      conditions: [{ type: 'Ready', status: 'True' }]
    });
    await until(async () =>
      (await json('get', 'endpoints', 'web')).subsets?.[0]?.addresses?.length === 2 ? true : undefined
    );
    expect((await runKubectl(['delete', 'service', 'web'], opts)).code).toBe(0);
    await until(async () => {
      const r = await runKubectl(
        ['get', 'endpoints,endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'name'],
        opts
      );
      const ep = await runKubectl(['get', 'endpoints', 'web'], opts);
      return r.stdout === '' && ep.code === 1 ? true : undefined;
    });
  });
});

describe('Table responses', () => {
  it('carry the whole object with includeObject=Object: kubectl get events --sort-by=.lastTimestamp', async () => {
    const involved = kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'evented', namespace: ns },
      spec: { containers: [{ name: 'main', image: 'x:1' }] }
    });
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const [name, reason, s] of [
      ['e-late', 'Late', 30],
      ['e-early', 'Early', 10],
      ['e-middle', 'Middle', 20]
    ] as const) {
      kube.store.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: { kind: 'Pod', name: 'evented', namespace: ns, uid: involved.metadata.uid },
        reason,
        message: reason,
        type: 'Normal',
        firstTimestamp: at(s),
        lastTimestamp: at(s),
        count: 1
      });
    }
    const r = await runKubectl(
      ['get', 'events', '--sort-by=.lastTimestamp', '--field-selector=involvedObject.name=evented'],
      opts
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const reasons = r.stdout
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[2]);
    expect(reasons).toEqual(['Early', 'Middle', 'Late']);
  });
});
