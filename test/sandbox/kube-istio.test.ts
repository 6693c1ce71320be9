/**
 * Istio's networking.istio.io kinds in the sandbox API server, through @kubernetes/client-node and raw HTTPS:
 * served only while the CRDs exist (404 page not found otherwise), v1/v1beta1/v1alpha3 served over one stored
 * object, the validation webhook's denials; and the mesh router's split by VirtualService weights and by the
 * Service's endpoints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { Router } from '../../sandbox/mesh/index.js';

let dir: string;
let kube: KubeHandle;
let kc: k8s.KubeConfig;
let ns: string;
const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

function raw(method: string, p: string, body?: unknown): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(p, kube.endpoint),
      {
        method,
        ca: Buffer.from(kube.caData, 'base64'),
        headers: { Authorization: `Bearer ${kube.token}`, 'Content-Type': 'application/json' }
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
      }
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const vs = (name: string, route: object[], version = 'v1') => ({
  apiVersion: `networking.istio.io/${version}`,
  kind: 'VirtualService',
  metadata: { name, namespace: ns },
  spec: { hosts: ['bloom'], http: [{ route }] }
});
const dest = (subset: string, weight?: number) => ({
  destination: { host: 'bloom', subset },
  ...(weight === undefined ? {} : { weight })
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-istio-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir, istio: true });
  ns = kube.namespace;
  kc = new k8s.KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
});
afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('networking.istio.io in the sandbox API server', () => {
  it('discovery lists the group with v1, v1beta1 and v1alpha3, v1 preferred', async () => {
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    const g = groups.groups.find((x) => x.name === 'networking.istio.io')!;
    expect(g.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1', 'v1alpha3']);
    expect(g.preferredVersion!.version).toBe('v1');
    const list = JSON.parse((await raw('GET', '/apis/networking.istio.io/v1')).text);
    expect(list.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['virtualservices', 'destinationrules'])
    );
  });

  it('one object, seen through every served version; server-side apply with a field manager', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.patch(
      vs('split', [dest('a', 90), dest('b', 10)]) as k8s.KubernetesObject,
      undefined,
      undefined,
      'arena-ft-pipeline',
      true,
      k8s.PatchStrategy.ServerSideApply
    );
    for (const v of ['v1', 'v1beta1', 'v1alpha3']) {
      const got = JSON.parse(
        (await raw('GET', `/apis/networking.istio.io/${v}/namespaces/${ns}/virtualservices/split`)).text
      );
      expect(got.apiVersion).toBe(`networking.istio.io/${v}`);
      expect(got.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
    }
    const got = JSON.parse(
      (await raw('GET', `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/split`)).text
    );
    expect(got.metadata.managedFields[0]).toMatchObject({ manager: 'arena-ft-pipeline', operation: 'Apply' });
  });

  it.each([
    ['a negative weight', [dest('a', -5), dest('b', 105)], 'weight -5 < 0'],
    ['several destinations weighing 0 in all', [dest('a', 0), dest('b', 0)], 'total destination weight = 0'],
    ['a subset name that is not a DNS label', [dest('Sub_A')], 'subset name is invalid: Sub_A'],
    ['the host *', [{ destination: { host: '*' } }], 'invalid destination host *']
  ])('the validation webhook denies %s', async (_what, route, msg) => {
    const r = await raw('POST', `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`, vs('bad', route));
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).message).toBe(
      `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${msg}`
    );
  });

  it('denies a VirtualService without routes (what Arena v0.15.2 sends), several errors in Istio’s format', async () => {
    const arenaSends = { ...vs('arena', [], 'v1alpha3'), spec: { hosts: ['*'], gateways: ['arena-gateway'] } };
    const r = await raw('POST', `/apis/networking.istio.io/v1alpha3/namespaces/${ns}/virtualservices`, arenaSends);
    expect(JSON.parse(r.text).message).toMatch(
      /configuration is invalid: http, tcp or tls must be provided in virtual service$/
    );
    const two = await raw(
      'POST',
      `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`,
      vs('two', [dest('A_', -1), dest('b', 0)])
    );
    expect(JSON.parse(two.text).message).toBe(
      'admission webhook "validation.istio.io" denied the request: configuration is invalid: 2 errors occurred:\n\t* subset name is invalid: A_\n\t* weight -1 < 0\n'
    );
  });

  it('accepts weights that do not sum to 100 (nothing requires it) and a DestinationRule with subsets', async () => {
    expect(
      (
        await raw(
          'POST',
          `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`,
          vs('odd', [dest('a', 3), dest('b', 1)])
        )
      ).status
    ).toBe(201);
    const dr = {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'bloom', namespace: ns },
      spec: { host: 'bloom', subsets: [{ name: 'a', labels: { servingVersion: 'a' } }] }
    };
    expect((await raw('POST', `/apis/networking.istio.io/v1beta1/namespaces/${ns}/destinationrules`, dr)).status).toBe(
      201
    );
    const dup = {
      ...dr,
      apiVersion: 'networking.istio.io/v1',
      metadata: { name: 'dup', namespace: ns },
      spec: { host: 'bloom', subsets: [{ name: 'a' }, { name: 'a' }] }
    };
    const r = await raw('POST', `/apis/networking.istio.io/v1/namespaces/${ns}/destinationrules`, dup);
    expect(JSON.parse(r.text).message).toMatch(/duplicate subset names: a$/);
  });
});

describe('the mesh router', () => {
  const pod = (name: string, version: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { servingName: 'bloom', servingType: 'triton-serving', servingVersion: version }
    },
    spec: { containers: [{ name: 'tritonserver', image: 'x' }] },
    status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] }
  });
  const drop = (res: typeof VS, name: string) => {
    if (kube.store.get(res, ns, name)) kube.store.delete(res, ns, name);
  };
  const DR = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' };
  const PODS = { group: '', version: 'v1', plural: 'pods' };
  const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' };

  beforeAll(() => {
    // one VirtualService per host here (the ones above route the same host)
    for (const n of ['split', 'odd']) drop(VS, n);
    drop(DR, 'bloom');
    kube.store.create(DR, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'bloom', namespace: ns },
      spec: { host: 'bloom', subsets: ['a', 'b'].map((v) => ({ name: v, labels: { servingVersion: v } })) }
    } as never);
    for (const [n, v] of [
      ['bloom-a-0', 'a'],
      ['bloom-b-0', 'b'],
      ['bloom-b-1', 'b']
    ]) {
      const p = kube.store.create(PODS, pod(n, v) as never);
      kube.store.updateStatus(PODS, ns, n, pod(n, v).status);
      void p;
    }
    kube.store.create({ group: '', version: 'v1', plural: 'services' }, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'bloom', namespace: ns },
      spec: { selector: { servingName: 'bloom', servingType: 'triton-serving' }, ports: [{ port: 8000 }] }
    } as never);
  });

  const picks = (router: Router, n: number) => {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const p = router.pick(ns, 'bloom');
      const v = p?.metadata.labels?.servingVersion ?? 'none';
      out[v] = (out[v] ?? 0) + 1;
    }
    return out;
  };

  it.each([
    [
      [
        ['a', 90],
        ['b', 10]
      ],
      100,
      { a: 90, b: 10 }
    ],
    [
      [
        ['a', 3],
        ['b', 1]
      ],
      40,
      { a: 30, b: 10 }
    ],
    [
      [
        ['a', 0],
        ['b', 100]
      ],
      50,
      { b: 50 }
    ],
    [[['b', 100]], 20, { b: 20 }]
  ])('VirtualService weights %j over %i requests → %j', (weights, n, want) => {
    drop(VS, 'route-bloom');
    kube.store.create(
      VS,
      vs(
        'route-bloom',
        weights.map(([s, w]) => dest(String(s), Number(w)))
      ) as never
    );
    const router = new Router(kube.store, kube.pods as never);
    expect(picks(router, n)).toEqual(want);
  });

  it('a subset the DestinationRule does not define gets nothing (Envoy answers 503)', () => {
    drop(VS, 'route-bloom');
    kube.store.create(VS, vs('route-bloom', [dest('zzz', 100)]) as never);
    expect(picks(new Router(kube.store, kube.pods as never), 3)).toEqual({ none: 3 });
  });

  it('without Istio, the Service’s ready endpoints in turn', async () => {
    for (const n of ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'])
      kube.store.delete(CRDS, undefined, n);
    // the endpoints controller writes the Service's Endpoints on its next turn
    const EP = { group: '', version: 'v1', plural: 'endpoints' };
    for (let i = 0; i < 100 && !kube.store.get(EP, ns, 'bloom')?.subsets; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(picks(new Router(kube.store, kube.pods as never), 9)).toEqual({ a: 3, b: 6 });
  });

  it('without the CRDs the group is gone: 404 page not found, as the real API server', async () => {
    const r = await raw('GET', `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`);
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 page not found\n');
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).not.toContain('networking.istio.io');
  });
});
