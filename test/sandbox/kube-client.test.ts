/**
 * The sandbox Kubernetes API server driven by @kubernetes/client-node 2 (CRUD, watch/informer with 410,
 * log follow, PortForward) and by plain HTTPS for protocol details clients rarely show.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const CMS = { group: '', version: 'v1', plural: 'configmaps' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let dir: string;
let kube: KubeHandle;
let faults: FaultRegistry;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let ns: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kube-client-'));
  faults = new FaultRegistry();
  kube = await startKube({ faults, clock: new ScenarioClock(1000), dir });
  ns = kube.namespace;
  kc = new k8s.KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A raw HTTPS request with the admin token (or `token`). */
function api(
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
  token = kube.token
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: Json }> {
  return new Promise((resolve, reject) => {
    const u = new URL(p, kube.endpoint);
    const req = https.request(
      u,
      {
        method,
        ca: Buffer.from(kube.caData, 'base64'),
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers }
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
      }
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

function runningPod(name: string) {
  kube.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'main', image: 'x' }], nodeName: 'node-1' }
  });
  kube.store.updateStatus(PODS, ns, name, {
    phase: 'Running',
    containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }]
  });
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('client-node against the sandbox API server', () => {
  it('creates, reads, replaces (409 on a stale resourceVersion), patches and deletes', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'crud', labels: { tier: 'a' } }, data: { k: 'v1' } }
    });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ name: 'crud', namespace: ns });
    expect(read.data).toEqual({ k: 'v1' });

    const replaced = await core.replaceNamespacedConfigMap({
      name: 'crud',
      namespace: ns,
      body: { ...read, data: { k: 'v2' } }
    });
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(Number(read.metadata!.resourceVersion));
    await expect(
      core.replaceNamespacedConfigMap({ name: 'crud', namespace: ns, body: { ...read, data: { k: 'v3' } } })
    ).rejects.toMatchObject({ code: 409 });

    const patched = await core.patchNamespacedConfigMap(
      { name: 'crud', namespace: ns, body: { data: { extra: 'x' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)
    );
    expect(patched.data).toEqual({ k: 'v2', extra: 'x' });
    const jp = await core.patchNamespacedConfigMap(
      { name: 'crud', namespace: ns, body: [{ op: 'remove', path: '/data/k' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch)
    );
    expect(jp.data).toEqual({ extra: 'x' });

    const listed = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'tier=a,!missing' });
    expect(listed.items.map((c) => c.metadata?.name)).toEqual(['crud']);

    await core.deleteNamespacedConfigMap({ name: 'crud', namespace: ns });
    await expect(core.readNamespacedConfigMap({ name: 'crud', namespace: ns })).rejects.toMatchObject({ code: 404 });

    const secret = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'oss' }, stringData: { akId: 'id' } }
    });
    expect(secret.data).toEqual({ akId: Buffer.from('id').toString('base64') });
  });

  it('serves PyTorchJobs with a status subresource through CustomObjectsApi', async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const body = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'cj' },
      spec: { pytorchReplicaSpecs: {} }
    };
    await custom.createNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: ns,
      plural: 'pytorchjobs',
      body
    });
    await custom.patchNamespacedCustomObjectStatus(
      {
        group: 'kubeflow.org',
        version: 'v1',
        namespace: ns,
        plural: 'pytorchjobs',
        name: 'cj',
        body: { status: { conditions: [{ type: 'Running', status: 'True' }] } }
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)
    );
    const got = (await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: ns,
      plural: 'pytorchjobs',
      name: 'cj'
    })) as k8s.KubernetesObject & { status: unknown };
    expect(got.status).toEqual({ conditions: [{ type: 'Running', status: 'True' }] });
    expect(got.metadata?.generation).toBe(1);
    const crd = await kc
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: 'pytorchjobs.kubeflow.org' });
    expect(crd.spec.versions[0].subresources?.status).toEqual({});
  });

  it('watches: an informer re-lists after 410 Gone, and a raw watch gets the Expired ERROR event', async () => {
    const path_ = `/api/v1/namespaces/${ns}/configmaps`;
    const informer = k8s.makeInformer(kc, path_, () => core.listNamespacedConfigMap({ namespace: ns }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(o.metadata!.name!));
    await informer.start();
    kube.store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: ns } });
    await until(() => seen.includes('w1'));

    // Changes elsewhere move the resourceVersion on; compaction then makes the informer's last one too old.
    kube.store.create(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'elsewhere', namespace: 'default' }
    });
    kube.compact();
    const lists = () =>
      faults.recorded('kube').filter((r) => r.url.startsWith(path_) && !r.url.includes('watch')).length;
    const before = lists();
    kube.dropWatches();
    await until(() => lists() > before);
    kube.store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w2', namespace: ns } });
    await until(() => seen.includes('w2'));
    expect(
      informer
        .list(ns)
        .map((o) => o.metadata!.name)
        .sort()
    ).toEqual(expect.arrayContaining(['w1', 'w2']));
    await informer.stop();

    const events: [string, Json][] = [];
    const done = new Promise<unknown>((resolve) => {
      void new k8s.Watch(kc).watch(path_, { resourceVersion: '1' }, (type, obj) => events.push([type, obj]), resolve);
    });
    await done;
    expect(events).toEqual([['ERROR', expect.objectContaining({ kind: 'Status', reason: 'Expired', code: 410 })]]);
  });

  it('follows a container log until the pod succeeds', async () => {
    runningPod('follow-me');
    kube.pods.appendLog(ns, 'follow-me', 'main', 'first\n');
    let out = '';
    const finished = new Promise<void>((resolve) => {
      const sink = new Writable({
        write(chunk, _enc, cb) {
          out += chunk;
          cb();
        },
        final(cb) {
          resolve();
          cb();
        }
      });
      void new k8s.Log(kc).log(ns, 'follow-me', 'main', sink, { follow: true });
    });
    await until(() => out.includes('first'));
    kube.pods.appendLog(ns, 'follow-me', 'main', 'second\n');
    await until(() => out.includes('second'));
    kube.store.updateStatus(PODS, ns, 'follow-me', { phase: 'Succeeded' });
    await finished;
    expect(out).toBe('first\nsecond\n');
  });

  it('port-forwards with PortForward (v4.channel.k8s.io)', async () => {
    const target = http.createServer((req, res) => res.end(`pod says ${req.url}`));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    try {
      runningPod('pf');
      kube.pods.registerPort(ns, 'pf', 8000, (target.address() as AddressInfo).port);
      const input = new PassThrough();
      let out = '';
      const output = new Writable({
        write(chunk, _e, cb) {
          out += chunk;
          cb();
        }
      });
      const ws = (await new k8s.PortForward(kc).portForward(ns, 'pf', [8000], output, null, input)) as {
        close(): void;
      };
      input.write('GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await until(() => out.includes('pod says /ping'));
      expect(out).toMatch(/^HTTP\/1\.1 200 OK/);
      ws.close();
    } finally {
      await new Promise((r) => target.close(r));
    }
  });

  it('speaks the protocol details: Status errors, Table, selectors, dryRun, strict fields, SSA, faults', async () => {
    const unauth = await api('GET', `/api/v1/namespaces/${ns}/pods`, undefined, {}, 'nope');
    expect(unauth.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401
    });

    const missing = await api('GET', `/apis/kubeflow.org/v1/namespaces/${ns}/pytorchjobs/ghost`);
    expect(missing.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pytorchjobs.kubeflow.org "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', group: 'kubeflow.org', kind: 'pytorchjobs' },
      code: 404
    });

    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } };
    const bad = await api('POST', `/api/v1/namespaces/${ns}/configmaps`, cm);
    expect(bad.status).toBe(422);
    expect(bad.json.message).toContain(
      'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'
    );

    const strict = await api('POST', `/api/v1/namespaces/${ns}/configmaps?fieldValidation=Strict`, {
      ...cm,
      metadata: { name: 'ok' },
      bogus: 1
    });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toContain('strict decoding error: unknown field "bogus"');

    const dry = await api('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=All`, {
      ...cm,
      metadata: { name: 'dry' }
    });
    expect(dry.status).toBe(201);
    expect(kube.store.get(CMS, ns, 'dry')).toBeUndefined();

    const ssa = (body: unknown, manager: string, extra = '') =>
      api('PATCH', `/api/v1/namespaces/${ns}/configmaps/ssa?fieldManager=${manager}${extra}`, body, {
        'Content-Type': 'application/apply-patch+yaml'
      });
    expect((await ssa('apiVersion: v1\nkind: ConfigMap\ndata:\n  a: "1"\n  b: "2"\n', 'one')).status).toBe(201);
    const clash = await ssa({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '9' } }, 'two');
    expect(clash.status).toBe(409);
    expect(clash.json.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "one" using v1', field: '.data.a' }
    ]);
    // a manager dropping a field it owned removes it
    const dropped = await ssa({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, 'one');
    expect(dropped.json.data).toEqual({ a: '1' });
    expect(dropped.json.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'one', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } })
    ]);

    runningPod('tabled');
    // a partial configuration (labels only) of an object created by someone else applies cleanly
    const labelled = await api(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/tabled?fieldManager=labeller`,
      { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { team: 'ml' } } },
      {
        'Content-Type': 'application/apply-patch+yaml'
      }
    );
    expect(labelled.status).toBe(200);
    expect(labelled.json.metadata.labels).toEqual({ team: 'ml' });
    expect(labelled.json.spec.containers).toHaveLength(1);
    const table = await api(
      'GET',
      `/api/v1/namespaces/${ns}/pods?fieldSelector=status.phase%3DRunning,metadata.name%3Dtabled`,
      undefined,
      {
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
      }
    );
    expect(table.json.kind).toBe('Table');
    expect(table.json.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age'
    ]);
    expect(table.json.rows.map((r: { cells: unknown[] }) => r.cells.slice(0, 4))).toEqual([
      ['tabled', '1/1', 'Running', 0]
    ]);

    faults.add({
      service: 'kube',
      method: 'GET',
      path: '/configmaps/ssa$',
      action: { kind: 'status', status: 503, message: 'etcd is sad' }
    });
    const injected = await api('GET', `/api/v1/namespaces/${ns}/configmaps/ssa`);
    expect(injected.json).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      message: 'etcd is sad',
      code: 503
    });
    expect((await api('GET', `/api/v1/namespaces/${ns}/configmaps/ssa`)).status).toBe(200);

    const discovery = await api('GET', '/apis/kubeflow.org/v1');
    expect(discovery.json.resources).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'pytorchjobs', kind: 'PyTorchJob', namespaced: true })])
    );
    expect((await api('GET', '/openapi/v2')).status).toBe(404);
  });
});
