/**
 * RBAC in the sandbox API server, driven by the real kubectl v1.34 and client-node: roles and bindings served as
 * resources, rule matching (subresources, resourceNames, `*`), the real Forbidden wording, ServiceAccount tokens,
 * port-forward authorized by its upgrade's method, and an apply that creates needing `create`.
 */
import * as k8s from '@kubernetes/client-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { parseRbacManifest, RBAC_MANIFEST } from '../../sandbox/index.js';
import { startKube, type KubeHandle, type KubeObject } from '../../sandbox/kube/index.js';
import { ruleAllows, type Attributes } from '../../sandbox/kube/rbac.js';
import { runKubectl, startKubectl, type KubectlOptions } from '../helpers/kubectl.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles' };

let dir: string;
let kube: KubeHandle;
let admin: KubectlOptions;
let sa: KubectlOptions;
let saUser: string;
let ns: string;
let manifest: KubeObject[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-rbac-'));
  kube = await startKube({ faults: new FaultRegistry(), clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  manifest = parseRbacManifest(await readFile(RBAC_MANIFEST, 'utf8')).objects;
  kube.applyManifest(manifest);
  const cfg = await kube.serviceAccountKubeconfig('arena-ft-pipeline');
  saUser = cfg.user;
  admin = { kubeconfig: kube.kubeconfigPath, cacheDir: path.join(dir, 'cache-admin') };
  sa = { kubeconfig: cfg.path, cacheDir: path.join(dir, 'cache-sa') };
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Replace the manifest's Role's rules for `fn`, then put the manifest's back. */
async function withRoleRules<T>(rules: unknown[], fn: () => Promise<T>): Promise<T> {
  const orig = kube.store.get(ROLES, ns, 'arena-ft-pipeline')!;
  kube.store.update(ROLES, { ...orig, rules });
  try {
    return await fn();
  } finally {
    const cur = kube.store.get(ROLES, ns, 'arena-ft-pipeline')!;
    kube.store.update(ROLES, { ...cur, rules: orig.rules });
  }
}

describe('rule matching (rbac.RuleAllows)', () => {
  const user = { name: 'u', groups: [] };
  const req = (o: Partial<Attributes>): Attributes => ({
    user,
    verb: 'get',
    resourceRequest: true,
    path: '',
    apiGroup: '',
    resource: 'pods',
    namespace: 'n',
    ...o
  });
  it.each([
    ['exact resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, req({}), true],
    ['another verb', { verbs: ['list'], apiGroups: [''], resources: ['pods'] }, req({}), false],
    ['another group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, req({}), false],
    [
      'a subresource is not its resource',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      req({ subresource: 'log' }),
      false
    ],
    [
      'resource/subresource',
      { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] },
      req({ subresource: 'log' }),
      true
    ],
    ['*/subresource', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, req({ subresource: 'log' }), true],
    [
      '* matches everything',
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      req({ subresource: 'portforward' }),
      true
    ],
    [
      'resourceNames: the named object',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req({ name: 'a' }),
      true
    ],
    [
      'resourceNames: another object',
      { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req({ name: 'b' }),
      false
    ],
    [
      'resourceNames: a nameless list',
      { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      req({ verb: 'list' }),
      false
    ],
    [
      'non-resource prefix',
      { verbs: ['get'], nonResourceURLs: ['/apis/*'] },
      req({ resourceRequest: false, path: '/apis/apps/v1' }),
      true
    ],
    ['non-resource rule vs resource request', { verbs: ['get'], nonResourceURLs: ['*'] }, req({}), false]
  ])('%s', (_what, rule, attrs, allowed) => {
    expect(ruleAllows(attrs, rule)).toBe(allowed);
  });
});

describe('RBAC through kubectl', () => {
  it('serves roles and bindings as resources, and mints ServiceAccount tokens', async () => {
    const rb = await runKubectl(['get', 'rolebindings', '-o', 'name'], admin);
    expect(rb.stdout).toBe('rolebinding.rbac.authorization.k8s.io/arena-ft-pipeline\n');
    const crb = await runKubectl(
      ['get', 'clusterrolebinding', 'arena-ft-pipeline', '-o', 'jsonpath={.roleRef.name}'],
      admin
    );
    expect(crb.stdout).toBe('arena-ft-pipeline');
    const token = await runKubectl(['create', 'token', 'arena-ft-pipeline'], admin);
    expect(token).toMatchObject({ code: 0, stderr: '' });
    expect(token.stdout.trim()).toMatch(/^\S{20,}$/);
    const missing = await runKubectl(['create', 'token', 'nobody'], admin);
    expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
  });

  it('the ServiceAccount may do what the manifest grants and nothing else, with the real Forbidden text', async () => {
    const can = async (...args: string[]) => (await runKubectl(['auth', 'can-i', ...args], sa)).stdout.trim();
    expect(await can('get', 'pods', '--subresource=portforward')).toBe('yes');
    expect(await can('create', 'pods', '--subresource=portforward')).toBe('yes');
    expect(await can('get', 'pods', '--subresource=log')).toBe('yes');
    expect(await can('get', 'pods', '--subresource=exec')).toBe('no');
    expect(await can('create', 'pods')).toBe('no');
    expect(await can('delete', 'pods')).toBe('no');
    expect(await can('patch', 'persistentvolumes')).toBe('yes');
    expect(await can('create', 'pytorchjobs.kubeflow.org')).toBe('yes');
    expect(await can('get', 'customresourcedefinitions/pytorchjobs.kubeflow.org')).toBe('yes');
    expect(await can('get', 'customresourcedefinitions/tfjobs.kubeflow.org')).toBe('no');
    expect(await can('get', 'secrets', '-n', 'kube-system')).toBe('no');

    const secrets = await runKubectl(['get', 'secrets', '-n', 'kube-system'], sa);
    expect(secrets.code).toBe(1);
    expect(secrets.stderr).toContain(
      `Error from server (Forbidden): secrets is forbidden: User "${saUser}" cannot list resource "secrets" in API group "" in the namespace "kube-system"`
    );
    const nodes = await runKubectl(['delete', 'node', 'n1'], sa);
    expect(nodes.stderr).toContain(
      `Error from server (Forbidden): nodes "n1" is forbidden: User "${saUser}" cannot delete resource "nodes" in API group "" at the cluster scope`
    );
    // a Namespace is authorized in its own namespace: the Role lets Arena read its namespace, and only that one
    expect((await runKubectl(['get', 'namespace', ns, '-o', 'name'], sa)).stdout).toBe(`namespace/${ns}\n`);
    expect((await runKubectl(['get', 'namespace', 'kube-system'], sa)).stderr).toContain(
      `namespaces "kube-system" is forbidden: User "${saUser}" cannot get resource "namespaces" in API group "" in the namespace "kube-system"`
    );
  });

  it('a binding to a missing Role adds the resolution error to the Forbidden message', async () => {
    kube.store.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'ghost', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ghost' },
        subjects: [{ kind: 'ServiceAccount', name: 'arena-ft-pipeline', namespace: ns }]
      }
    );
    const r = await runKubectl(['get', 'replicasets'], sa);
    expect(r.stderr).toContain(
      `replicasets.apps is forbidden: User "${saUser}" cannot list resource "replicasets" in API group "apps" in the namespace "${ns}": RBAC: role.rbac.authorization.k8s.io "ghost" not found`
    );
  });

  it('an apply that creates needs create as well as patch', async () => {
    const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } });
    const r = await withRoleRules([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }], () =>
      runKubectl(['apply', '--server-side', '-f', '-'], { ...sa, stdin: cm })
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `configmaps "applied" is forbidden: User "${saUser}" cannot create resource "configmaps" in API group "" in the namespace "${ns}"`
    );
    expect((await runKubectl(['apply', '--server-side', '-f', '-'], { ...sa, stdin: cm })).code).toBe(0);
  });

  it('a deleted ServiceAccount’s token stops working (401)', async () => {
    kube.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'short-lived', namespace: ns } }
    );
    const cfg = await kube.serviceAccountKubeconfig('short-lived');
    const opts = { kubeconfig: cfg.path, cacheDir: path.join(dir, 'cache-short') };
    expect((await runKubectl(['auth', 'can-i', 'get', 'pods'], opts)).stdout).toBe('no\n');
    kube.store.delete({ group: '', version: 'v1', plural: 'serviceaccounts' }, ns, 'short-lived');
    expect((await runKubectl(['get', 'pods'], opts)).stderr).toContain('You must be logged in to the server');
  });
});

describe('port-forward is authorized by the upgrade’s method (v1.34)', () => {
  let target: http.Server;
  beforeAll(async () => {
    target = http.createServer((req, res) => res.end(`hello from ${req.url}`));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    kube.store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'server', namespace: ns },
      spec: { containers: [{ name: 'main', image: 'x' }], nodeName: 'node-1' }
    });
    kube.store.updateStatus(PODS, ns, 'server', { phase: 'Running' });
    kube.pods.registerPort(ns, 'server', 8000, (target.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await new Promise((r) => target.close(r));
  });

  const rulesWith = (verbs: string[]) => [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/portforward'], verbs }
  ];

  /** client-node's PortForward: a WebSocket upgrade, i.e. a GET. */
  async function clientNodeForward(): Promise<string> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sa.kubeconfig);
    const out = new PassThrough();
    const input = new PassThrough();
    try {
      const ws = (await new k8s.PortForward(kc).portForward(ns, 'server', [8000], out, null, input)) as {
        close(): void;
      };
      ws.close();
      return 'connected';
    } catch (e) {
      return String((e as { message?: string }).message ?? e);
    }
  }

  it('client-node (WebSocket GET) needs get: create alone is refused with 403', async () => {
    expect(await withRoleRules(rulesWith(['create']), clientNodeForward)).toMatch(/403/);
    expect(await withRoleRules(rulesWith(['get']), clientNodeForward)).toBe('connected');
  });

  it('kubectl falls back to SPDY (POST, create) when the WebSocket GET is refused', async () => {
    for (const verbs of [['get'], ['create']]) {
      await withRoleRules(rulesWith(verbs), async () => {
        const pf = startKubectl(['port-forward', 'pod/server', ':8000'], sa);
        try {
          await pf.waitFor((o) => /Forwarding from 127\.0\.0\.1:\d+ -> 8000/.test(o));
          const port = Number(/127\.0\.0\.1:(\d+)/.exec(pf.stdout())![1]);
          expect(await (await fetch(`http://127.0.0.1:${port}/x`)).text()).toBe('hello from /x');
        } finally {
          pf.kill();
          await pf.done;
        }
      });
    }
  });
});
