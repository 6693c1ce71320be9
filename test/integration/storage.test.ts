import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeStorageStage } from '../../src/stages/storage.js';
import { PV, PVC, SECRET } from '../../src/k8s/types.js';
import { PipelineError } from '../../src/errors.js';
import { startCluster, type Cluster } from './cluster-stages-harness.js';

let cl: Cluster;
beforeAll(async () => {
  cl = await startCluster();
});
afterAll(async () => {
  await cl.stop();
});

describe('storage stage against the sandbox', () => {
  it('applies Secret, PV and PVC server-side, waits for Bound, and reports unchanged on a second run', async () => {
    const cfg = cl.cfg();
    const stage = makeStorageStage(cl.deps);
    const first = await stage.run(cl.context(cfg).ctx);
    expect(first.status).toBe('done');
    expect(first.summary).toMatch(
      /applied Secret .*PersistentVolume model-pv.*PersistentVolumeClaim .*model-pvc; PVC Bound/
    );
    const api = cl.api(cfg);
    const pv = await api.get(PV, undefined, 'model-pv');
    expect(pv?.metadata.labels).toMatchObject({
      'alicloud-pvname': 'model-pv',
      'app.kubernetes.io/managed-by': 'arena-ft-pipeline'
    });
    expect((pv?.metadata.managedFields as { manager: string }[]).map((m) => m.manager)).toContain('arena-ft-pipeline');
    expect((await api.get(PVC, cfg.cluster.namespace, 'model-pvc'))?.status?.phase).toBe('Bound');
    expect(((await api.get(SECRET, cfg.cluster.namespace, 'oss-secret'))?.data as Record<string, string>).akId).toBe(
      Buffer.from(cfg.oss.accessKeyId).toString('base64')
    );

    const rv = pv?.metadata.resourceVersion;
    const second = await stage.run(cl.context(cfg).ctx);
    expect(second.status).toBe('skipped');
    expect(second.summary).toMatch(/unchanged/);
    expect((await api.get(PV, undefined, 'model-pv'))?.metadata.resourceVersion).toBe(rv);
    expect(await stage.plan(cl.context(cfg).ctx)).toEqual({
      action: 'skip',
      reason: 'Secret, PV and PVC exist unchanged'
    });
  });

  it('refuses a PV of the same name that mounts another bucket, and leaves it alone', async () => {
    const cfg = cl.cfg({ cluster: { pvName: 'other-pv', pvcName: 'other-pvc' } });
    const api = cl.api(cfg);
    await api.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'other-pv' },
      spec: {
        capacity: { storage: '5Gi' },
        accessModes: ['ReadWriteMany'],
        csi: {
          driver: 'ossplugin.csi.alibabacloud.com',
          volumeHandle: 'other-pv',
          volumeAttributes: { bucket: 'someone-else', url: 'x', path: '/' }
        }
      }
    });
    const err = await makeStorageStage(cl.deps)
      .run(cl.context(cfg).ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as PipelineError).code).toBe('STORAGE_CONFLICT');
    expect((err as PipelineError).message).toBe(
      'PersistentVolume other-pv already exists and it mounts bucket "someone-else", not "' + cfg.oss.bucket + '"'
    );
    expect((await api.get(PV, undefined, 'other-pv'))?.spec.csi.volumeAttributes.bucket).toBe('someone-else');
    expect(await api.get(PVC, cfg.cluster.namespace, 'other-pvc')).toBeUndefined();
  });

  it('refuses a synced prefix outside the PV path before touching the cluster', async () => {
    const cfg = cl.cfg({ cluster: { pvPath: '/elsewhere' } });
    await expect(makeStorageStage(cl.deps).run(cl.context(cfg).ctx)).rejects.toMatchObject({
      code: 'STORAGE_PATH_OUTSIDE_PV'
    });
  });
});
