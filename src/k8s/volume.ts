/**
 * The OSS static volume (ACK CSI plugin): credential Secret, PV and PVC as plain objects built from the config,
 * and the check that an existing PV or PVC of the same name mounts the same place (else it is someone else's).
 */
import { MANAGED_BY, type KObj } from './types.js';

export const OSS_CSI_DRIVER = 'ossplugin.csi.alibabacloud.com';
const SIZE = '20Gi';

/** What the volume objects are built from (the config fits it: its `cluster` and `oss` settings). */
export interface OssVolumeOptions {
  readonly cluster: {
    readonly namespace: string;
    readonly secretName: string;
    readonly pvName: string;
    readonly pvcName: string;
    /** The bucket folder the PV mounts. */
    readonly pvPath: string;
  };
  readonly oss: {
    readonly bucket: string;
    readonly accessKeyId: string;
    readonly accessKeySecret: string;
    /** The endpoint the CSI plugin uses inside the cluster. */
    readonly clusterEndpoint: string;
  };
}

const labels = (extra: Record<string, string> = {}) => ({ ...MANAGED_BY, ...extra });
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function ossSecret(cfg: OssVolumeOptions): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: cfg.cluster.secretName, namespace: cfg.cluster.namespace, labels: labels() },
    type: 'Opaque',
    data: { akId: b64(cfg.oss.accessKeyId), akSecret: b64(cfg.oss.accessKeySecret) }
  };
}

/** The CSI plugin's endpoint: a bare host (the plugin adds the scheme). */
export function csiUrl(cfg: OssVolumeOptions): string {
  return cfg.oss.clusterEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function ossPv(cfg: OssVolumeOptions): KObj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: cfg.cluster.pvName, labels: labels({ 'alicloud-pvname': cfg.cluster.pvName }) },
    spec: {
      capacity: { storage: SIZE },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      csi: {
        driver: OSS_CSI_DRIVER,
        volumeHandle: cfg.cluster.pvName,
        nodePublishSecretRef: { name: cfg.cluster.secretName, namespace: cfg.cluster.namespace },
        volumeAttributes: {
          bucket: cfg.oss.bucket,
          url: csiUrl(cfg),
          path: cfg.cluster.pvPath,
          otherOpts: '-o max_stat_cache_size=0 -o allow_other'
        }
      }
    }
  };
}

export function ossPvc(cfg: OssVolumeOptions): KObj {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: cfg.cluster.pvcName, namespace: cfg.cluster.namespace, labels: labels() },
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: SIZE } },
      storageClassName: '',
      selector: { matchLabels: { 'alicloud-pvname': cfg.cluster.pvName } }
    }
  };
}

const normPath = (p: unknown) => `/${String(p ?? '').replace(/^\/+|\/+$/g, '')}`;

/** Why an existing PV cannot be ours (it mounts something else), or undefined. */
export function pvConflict(
  existing: KObj,
  desired: KObj,
  claim?: { name: string; namespace: string }
): string | undefined {
  const got = existing.spec?.csi;
  const want = desired.spec.csi;
  if (!got)
    return `it is not a CSI volume (${
      Object.keys(existing.spec ?? {})
        .filter((k) => typeof existing.spec[k] === 'object')
        .join(', ') || 'no source'
    })`;
  if (got.driver !== want.driver) return `it uses the CSI driver "${got.driver}", not ${want.driver}`;
  const ga = got.volumeAttributes ?? {};
  const wa = want.volumeAttributes;
  if (ga.bucket !== wa.bucket) return `it mounts bucket "${ga.bucket}", not "${wa.bucket}"`;
  if (normPath(ga.path) !== normPath(wa.path)) return `it mounts path "${ga.path}" of the bucket, not "${wa.path}"`;
  if (String(ga.url ?? '').replace(/^https?:\/\//, '') !== wa.url)
    return `it mounts through endpoint "${ga.url}", not "${wa.url}"`;
  const bound = existing.spec?.claimRef as { name?: string; namespace?: string } | undefined;
  if (claim && bound?.name && (bound.name !== claim.name || bound.namespace !== claim.namespace)) {
    return `it is bound to the claim ${bound.namespace}/${bound.name}, not ${claim.namespace}/${claim.name}`;
  }
  return undefined;
}

/** Why an existing PVC cannot be ours, or undefined. */
export function pvcConflict(existing: KObj, desired: KObj, pvName: string): string | undefined {
  const volumeName = existing.spec?.volumeName as string | undefined;
  if (volumeName && volumeName !== pvName) return `it is bound to the volume "${volumeName}", not "${pvName}"`;
  const sc = existing.spec?.storageClassName as string | undefined;
  if (sc !== undefined && sc !== null && sc !== '')
    return `it asks for storage class "${sc}" (a dynamic volume), not the static OSS volume`;
  const sel = existing.spec?.selector?.matchLabels?.['alicloud-pvname'] as string | undefined;
  const wantSel = desired.spec.selector.matchLabels['alicloud-pvname'] as string;
  if (!volumeName && sel !== wantSel)
    return `it selects ${sel ? `the volume "${sel}"` : 'no volume by label'}, not "${wantSel}"`;
  return undefined;
}

/** True when every field of `want` has the same value in `got` (extra fields in `got` are ignored). */
export function contains(got: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') return got === want;
  if (Array.isArray(want))
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => contains(got[i], w));
  if (got === null || typeof got !== 'object') return false;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) =>
    contains((got as Record<string, unknown>)[k], v)
  );
}
