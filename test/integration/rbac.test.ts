/**
 * The stages run as deploy/rbac.yaml's ServiceAccount (the harness's kubeconfig). Taking one verb out of the
 * manifest's Role or ClusterRole — as a cluster admin editing it would — makes the stage that needs it fail with
 * the API server's Forbidden message, and the product's error names the rule to grant.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parseRbacManifest, RBAC_MANIFEST } from '../../sandbox/index.js';
import type { KubeObject } from '../../sandbox/kube/index.js';
import { PipelineError } from '../../src/errors.js';
import { makeConvertStage } from '../../src/stages/convert.js';
import { makeDeployStage } from '../../src/stages/deploy.js';
import { makeSmokeStage } from '../../src/stages/smoke.js';
import { makeStorageStage } from '../../src/stages/storage.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
let manifest: KubeObject[];
const SA = 'system:serviceaccount:default-group:arena-ft-pipeline';
const RBAC = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The manifest's Role or ClusterRole with `verb` taken off `resource` (the rule is kept for its other verbs). */
function withoutVerb(kind: 'Role' | 'ClusterRole', resource: string, verb: string): KubeObject {
  const role = structuredClone(manifest.find((o) => o.kind === kind)!);
  const rules = (role.rules as Rule[]).flatMap((r) => {
    if (!r.resources.includes(resource) || !r.verbs.includes(verb)) return [r];
    const rest = r.resources.filter((x) => x !== resource);
    return [
      ...(rest.length ? [{ ...r, resources: rest }] : []),
      { ...r, resources: [resource], verbs: r.verbs.filter((v) => v !== verb) }
    ];
  });
  expect(JSON.stringify(rules)).not.toEqual(JSON.stringify(role.rules));
  return { ...role, rules };
}

/** Replace the live Role/ClusterRole (as `kubectl apply` by an admin would), run `fn`, then restore the manifest's. */
async function revoked<T>(kind: 'Role' | 'ClusterRole', resource: string, verb: string, fn: () => Promise<T>) {
  const store = cl.sb.kube!.store;
  const res = RBAC(kind === 'Role' ? 'roles' : 'clusterroles');
  const ns = kind === 'Role' ? 'default-group' : undefined;
  const put = (o: KubeObject) => {
    const cur = store.get(res, ns, o.metadata.name)!;
    store.update(res, { ...o, metadata: { ...cur.metadata } });
  };
  put(withoutVerb(kind, resource, verb));
  try {
    return await fn();
  } finally {
    put(manifest.find((o) => o.kind === kind)!);
  }
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the stage to fail');
    },
    (e: unknown) => e as PipelineError
  );

beforeAll(async () => {
  manifest = parseRbacManifest(await readFile(RBAC_MANIFEST, 'utf8')).objects;
  cl = await startCluster({ speed: 200 });
});
afterAll(async () => {
  await cl?.stop();
});

describe('the pipeline as the least-privilege ServiceAccount', () => {
  it('runs as the manifest’s ServiceAccount', () => {
    expect(cl.sb.info.kube!.user).toBe(SA);
    expect(cl.sb.info.kube!.pipelineKubeconfig).not.toBe(cl.sb.info.kube!.adminKubeconfig);
  });

  it('without get on persistentvolumes (ClusterRole) the storage stage fails naming the rule', async () => {
    const cfg = cl.cfg();
    const err = await revoked('ClusterRole', 'persistentvolumes', 'get', () =>
      failure(makeStorageStage(cl.deps).run(cl.context(cfg).ctx))
    );
    expect(err).toBeInstanceOf(PipelineError);
    expect(err.code).toBe('K8S_FORBIDDEN');
    expect(err.message).toContain(
      `persistentvolumes "model-pv" is forbidden: User "${SA}" cannot get resource "persistentvolumes" in API group "" at the cluster scope`
    );
    expect(err.hint).toContain(`{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] }`);
    expect(err.hint).toContain('ClusterRole');
    // with the manifest's rules back, the same stage passes
    expect((await makeStorageStage(cl.deps).run(cl.context(cfg).ctx)).status).toBe('done');
  });

  it('without watch on pytorchjobs the wait for the converter fails naming the verb (a refused watch has no body)', async () => {
    const cfg = cl.cfg();
    await cl.seedModel(cfg);
    const watched = cl.cfg({ convert: { ...cfg.convert, jobName: 'ft-watch' } });
    const err = await revoked('Role', 'pytorchjobs', 'watch', () =>
      failure(makeConvertStage(cl.deps).run(cl.context(watched).ctx))
    );
    expect(err.code).toBe('K8S_FORBIDDEN');
    expect(err.message).toContain(
      'the Kubernetes API refused watch pytorchjobs (HTTP 403 Forbidden): no permission to watch pytorchjobs'
    );
    expect(err.hint).toContain(
      `{ apiGroups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: ['watch'] } in the Role bound to the kubeconfig’s user in namespace default-group`
    );
  });

  it('without create on pytorchjobs (Role) arena submit fails naming the rule', async () => {
    const cfg = cl.cfg();
    await cl.seedModel(cfg);
    // (the denied submit uses its own job name: the Arena stand-in leaves its ConfigMap behind where v0.15.2
    // deletes it, pkg/workflow/workflow.go:190, which is the arena helper's to fix)
    const denied = cl.cfg({ convert: { ...cfg.convert, jobName: 'ft-denied' } });
    const err = await revoked('Role', 'pytorchjobs', 'create', () =>
      failure(makeConvertStage(cl.deps).run(cl.context(denied).ctx))
    );
    expect(err.code).toBe('K8S_FORBIDDEN');
    expect(err.message).toContain(
      `pytorchjobs.kubeflow.org is forbidden: User "${SA}" cannot create resource "pytorchjobs" in API group "kubeflow.org" in the namespace "default-group"`
    );
    expect(err.hint).toContain(`{ apiGroups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: ['create'] }`);
    expect(err.hint).toContain('Role bound to');
    expect((await makeConvertStage(cl.deps).run(cl.context(cfg).ctx)).status).toBe('done');
  });

  it('without get on pods/portforward the smoke test fails naming the subresource (create alone is not enough in 1.34)', async () => {
    const cfg = cl.cfg();
    const t = cl.context(cfg);
    expect((await makeDeployStage(cl.deps).run(t.ctx)).status).toBe('done');
    const err = await revoked('Role', 'pods/portforward', 'get', () => failure(makeSmokeStage(cl.deps).run(t.ctx)));
    expect(err.code).toBe('K8S_FORBIDDEN');
    expect(err.message).toMatch(/the port-forward to pod \S+ \(HTTP 403 Forbidden\).*deleted serving version v1/);
    expect(err.hint).toContain(`{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['get', 'create'] }`);
  });
});
