/**
 * The sandbox Kubernetes store (the contract the operator codes against), its selectors and patches, and the
 * watch stream's edges (selector transitions, bookmarks, timeoutSeconds, injected resets), over raw HTTPS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ScenarioClock } from '../../sandbox/clock.js';
import { FaultRegistry } from '../../sandbox/faults.js';
import { StatusError, type KubeObject, type WatchEvent } from '../../sandbox/kube/contract.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../sandbox/kube/patch.js';
import { parseFieldSelector, parseLabelSelector } from '../../sandbox/kube/selectors.js';
import { Store } from '../../sandbox/kube/store.js';
import { humanAge } from '../../sandbox/kube/table.js';

const PODS = { group: '', version: 'v1', plural: 'pods' };
const CMS = { group: '', version: 'v1', plural: 'configmaps' };
const DEPLOY = { group: 'apps', version: 'v1', plural: 'deployments' };
const EVENTS = { group: '', version: 'v1', plural: 'events' };
const NS = { group: '', version: 'v1', plural: 'namespaces' };

const obj = (labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels }
});

describe('selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'api' }, false],
    ['app!=web', {}, true],
    ['app in (web, api),tier', { app: 'api', tier: 'x' }, true],
    ['app notin (web)', { app: 'web' }, false],
    ['!canary', { canary: 'y' }, false],
    ['release', { release: '' }, true]
  ])('label selector %s on %j → %s', (sel, labels, want) => {
    expect(parseLabelSelector(sel)(obj(labels))).toBe(want);
  });

  it('field selectors know pod phase and event involvedObject, and reject unknown fields', () => {
    const pod = { ...obj({}), status: { phase: 'Running' } };
    expect(parseFieldSelector(PODS, 'status.phase=Running,metadata.name!=q')(pod)).toBe(true);
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e' },
      involvedObject: { name: 'job', kind: 'PyTorchJob' }
    };
    expect(parseFieldSelector(EVENTS, 'involvedObject.name=job,involvedObject.kind=PyTorchJob')(ev)).toBe(true);
    expect(() => parseFieldSelector(CMS, 'data.x=1')).toThrow('field label not supported: data.x');
  });
});

describe('patches', () => {
  it('merge, strategic (containers by name) and JSON patch', () => {
    expect(mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } })).toEqual({ a: 1, b: { d: 3 } });
    const spec = {
      containers: [
        { name: 'a', image: '1' },
        { name: 'b', image: '1' }
      ]
    };
    expect(strategicMergePatch(spec, { containers: [{ name: 'b', image: '2' }] })).toEqual({
      containers: [
        { name: 'a', image: '1' },
        { name: 'b', image: '2' }
      ]
    });
    expect(
      jsonPatch({ a: [1, 2] }, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'replace', path: '/a/0', value: 0 },
        { op: 'test', path: '/a/1', value: 2 }
      ])
    ).toEqual({ a: [0, 2, 3] });
    expect(() => jsonPatch({}, [{ op: 'remove', path: '/x' }])).toThrow(StatusError);
  });

  it('formats ages like kubectl', () => {
    expect([5_000, 150_000, 300_000, 3_600_000 * 3, 86_400_000 * 3].map(humanAge)).toEqual([
      '5s',
      '2m30s',
      '5m',
      '3h',
      '3d'
    ]);
  });
});

describe('store (the operator contract)', () => {
  let store: Store;
  beforeEach(() => {
    store = new Store();
    store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  });

  const deployment = (): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'ns' },
    spec: { replicas: 1 }
  });

  it('creates with uid, resourceVersion, generation and timestamp; refuses duplicates, bad names, missing namespaces', () => {
    const d = store.create(DEPLOY, deployment());
    expect(d.metadata).toMatchObject({
      generation: 1,
      uid: expect.any(String),
      resourceVersion: expect.stringMatching(/^\d+$/),
      creationTimestamp: expect.stringMatching(/Z$/)
    });
    expect(() => store.create(DEPLOY, deployment())).toThrow(
      expect.objectContaining({ code: 409, reason: 'AlreadyExists', message: 'deployments.apps "d" already exists' })
    );
    expect(() =>
      store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'UPPER', namespace: 'ns' } })
    ).toThrow(expect.objectContaining({ code: 422 }));
    expect(() =>
      store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'nope' } })
    ).toThrow('namespaces "nope" not found');
  });

  it('update bumps generation only for spec changes, keeps status, and conflicts on a stale resourceVersion', () => {
    const d = store.create(DEPLOY, deployment());
    store.updateStatus(DEPLOY, 'ns', 'd', { readyReplicas: 1 });
    const labelled = store.update(DEPLOY, {
      ...d,
      metadata: { ...d.metadata, resourceVersion: undefined, labels: { a: 'b' } }
    });
    expect(labelled.metadata.generation).toBe(1);
    expect(labelled.status).toEqual({ readyReplicas: 1 });
    const scaled = store.update(DEPLOY, { ...labelled, spec: { replicas: 3 } });
    expect(scaled.metadata.generation).toBe(2);
    expect(() => store.update(DEPLOY, labelled)).toThrow(expect.objectContaining({ code: 409, reason: 'Conflict' }));
  });

  it('delete removes dependents through ownerReferences and emits DELETED events in order', () => {
    const events: WatchEvent[] = [];
    store.subscribe((e) => events.push(e));
    const d = store.create(DEPLOY, deployment());
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: d.metadata.uid!, controller: true };
    store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'd-1', namespace: 'ns', ownerReferences: [owner] },
      spec: { containers: [{ name: 'c' }] }
    });
    store.delete(DEPLOY, 'ns', 'd');
    expect(store.get(PODS, 'ns', 'd-1')).toBeUndefined();
    expect(events.map((e) => `${e.type} ${e.resource.plural}/${e.object.metadata.name}`)).toEqual([
      'ADDED deployments/d',
      'ADDED pods/d-1',
      'DELETED deployments/d',
      'DELETED pods/d-1'
    ]);
    expect(() => store.delete(DEPLOY, 'ns', 'd')).toThrow(expect.objectContaining({ code: 404 }));
  });

  it('orphans dependents when asked (propagationPolicy Orphan)', () => {
    const d = store.create(DEPLOY, deployment());
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: d.metadata.uid!, controller: true };
    store.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'd-1', namespace: 'ns', ownerReferences: [owner] },
      spec: { containers: [{ name: 'c' }] }
    });
    store.deleteWith(DEPLOY, 'ns', 'd', { orphan: true });
    expect(store.get(PODS, 'ns', 'd-1')?.metadata.ownerReferences).toBeUndefined();
  });

  it('records events as core/v1 Events and counts repeats', () => {
    const d = store.create(DEPLOY, deployment());
    store.recordEvent(d, 'Warning', 'FailedScheduling', '0/3 nodes are available');
    store.recordEvent(d, 'Warning', 'FailedScheduling', '0/3 nodes are available');
    const evs = store.list(EVENTS, 'ns', { fieldSelector: 'involvedObject.name=d' }).items;
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      type: 'Warning',
      reason: 'FailedScheduling',
      count: 2,
      involvedObject: { kind: 'Deployment', uid: d.metadata.uid }
    });
  });
});

describe('watch streams over HTTPS', () => {
  let dir: string;
  let kube: KubeHandle;
  let faults: FaultRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-store-'));
    faults = new FaultRegistry();
    kube = await startKube({ faults, clock: new ScenarioClock(6000), dir, namespace: 'team' });
  });
  afterAll(async () => {
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Reads newline-delimited watch events until the stream ends or `stop` says enough. */
  function watch(
    p: string,
    stop: (evs: { type: string; object: KubeObject }[]) => boolean,
    onOpen?: () => void
  ): Promise<{ type: string; object: KubeObject }[]> {
    return new Promise((resolve, reject) => {
      const evs: { type: string; object: KubeObject }[] = [];
      const req = https.get(
        new URL(p, kube.endpoint),
        { ca: Buffer.from(kube.caData, 'base64'), headers: { Authorization: `Bearer ${kube.token}` } },
        (res) => {
          let buf = '';
          onOpen?.();
          res.on('data', (d) => {
            buf += d;
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              evs.push(JSON.parse(buf.slice(0, i)));
              buf = buf.slice(i + 1);
              if (stop(evs)) {
                req.destroy();
                resolve(evs);
              }
            }
          });
          res.on('end', () => resolve(evs));
          res.on('error', () => resolve(evs));
        }
      );
      req.on('error', (e) => (req.destroyed ? resolve(evs) : reject(e)));
    });
  }

  it('turns label changes into ADDED/DELETED for a selecting watcher, and replays from a resourceVersion', async () => {
    const start = kube.store.list(CMS, 'team').resourceVersion;
    const cm = (labels: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'sel', namespace: 'team', labels }
    });
    kube.store.create(CMS, cm({ app: 'x' }));
    const got = watch(
      `/api/v1/namespaces/team/configmaps?watch=true&labelSelector=app%3Dy&resourceVersion=${start}`,
      (e) => e.length >= 2
    );
    const cur = kube.store.get(CMS, 'team', 'sel')!;
    kube.store.update(CMS, { ...cur, metadata: { ...cur.metadata, labels: { app: 'y' } } });
    const again = kube.store.get(CMS, 'team', 'sel')!;
    kube.store.update(CMS, { ...again, metadata: { ...again.metadata, labels: { app: 'z' } } });
    expect((await got).map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('sends BOOKMARKs (every scenario minute) when asked', async () => {
    const rv = kube.store.list(PODS, 'team').resourceVersion;
    const evs = await watch(
      `/api/v1/namespaces/team/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`,
      (e) => e.length >= 2
    );
    expect(
      evs.every((e) => e.type === 'BOOKMARK' && e.object.kind === 'Pod' && e.object.metadata.resourceVersion)
    ).toBe(true);
  });

  /** One request on its own connection; Node sends a DELETE body without Content-Length (unframed), as is. */
  function call(
    method: string,
    p: string,
    body?: string
  ): Promise<{ status: number; json: { code?: number; reason?: string } }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(p, kube.endpoint),
        {
          method,
          agent: false,
          ca: Buffer.from(kube.caData, 'base64'),
          headers: { Authorization: `Bearer ${kube.token}`, 'Content-Type': 'application/json' }
        },
        (res) => {
          let t = '';
          res.on('data', (d) => (t += d));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode!, json: JSON.parse(t || '{}') });
            } catch (e) {
              reject(e);
            }
          });
        }
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it.each([
    ['POST', '/api/v1/namespaces/team/configmaps', '{"metadata":"x"}', 400],
    ['POST', '/api/v1/namespaces/team/configmaps', '{"metadata":{"name":5}}', 400],
    ['POST', '/api/v1/namespaces/team/configmaps', '{"metadata":{"name":"a"},"data":{"k":{"x":1}}}', 400],
    [
      'POST',
      '/api/v1/namespaces/team/configmaps',
      '{"metadata":{"name":"deep"},"data":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + '}',
      400
    ],
    ['POST', '/api/v1/namespaces/team/secrets', '{"metadata":{"name":"s"},"data":{"a":"not base64!"}}', 400],
    ['GET', '/api/v1/namespaces/team/configmaps?watch=true&resourceVersion=abc', undefined, 400],
    ['GET', '/api/v1/namespaces/team/pods/%E0%A4%A', undefined, 404],
    ['DELETE', '/api/v1/namespaces/team/configmaps/nope', '{"propagationPolicy":"Background"}', 404]
  ])('answers hostile input with a Status: %s %s', async (method, p, body, code) => {
    const r = await call(method, p, body);
    expect(r.status).toBe(code);
    expect(r.json.code).toBe(code);
  });

  it('flips a body byte on an injected corrupt fault', async () => {
    faults.add({
      service: 'kube',
      method: 'GET',
      path: '/api/v1/namespaces/team$',
      action: { kind: 'corrupt', atByte: 0 }
    });
    await expect(call('GET', '/api/v1/namespaces/team')).rejects.toThrow(SyntaxError);
    expect((await call('GET', '/api/v1/namespaces/team')).status).toBe(200);
  });

  it('cuts a watch mid-stream on an injected reset fault', async () => {
    faults.add({ service: 'kube', path: 'configmaps\\?watch', action: { kind: 'reset', afterBytes: 10 } });
    const evs = await watch('/api/v1/namespaces/team/configmaps?watch=true', () => false);
    expect(evs).toEqual([]);
  });
});
