/**
 * The PV controller's static binding (PVC with storageClassName "" → a matching Available PV), the OSS CSI
 * plugin's mount checks (driver, nodePublishSecretRef with akId/akSecret) and the mapping of an in-pod path
 * to an OSS bucket and key through volumeMounts → PVC → PV (volumeAttributes.bucket + path).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { posix } from 'node:path';
import type { KubeObject, ObjectStore } from '../kube/contract.js';
import { PVCS, PVS, SECRETS, now, parseQuantity, patchObject, patchStatus } from './common.js';

export const OSS_DRIVER = 'ossplugin.csi.alibabacloud.com';

export class VolumeBinder {
  /** PVC keys already told that nothing matches (the event is recorded once per claim and reason). */
  private told = new Map<string, string>();

  constructor(private store: ObjectStore) {}

  /** Bring every PV and PVC to its right phase; idempotent, called on any PV/PVC change. */
  reconcile(): void {
    const pvs = this.store.list(PVS, undefined).items;
    for (const pv of pvs) {
      if (!pv.status?.phase)
        patchStatus(this.store, PVS, undefined, pv.metadata.name, (s) => void (s.phase = 'Available'));
    }
    // a PV whose claim went away is Released (Retain) and never binds again
    for (const pv of pvs) {
      const ref = pv.spec?.claimRef;
      if (!ref || pv.status?.phase !== 'Bound') continue;
      const claim = this.store.get(PVCS, ref.namespace, ref.name);
      if (!claim || (ref.uid && claim.metadata.uid !== ref.uid)) {
        patchStatus(this.store, PVS, undefined, pv.metadata.name, (s) => void (s.phase = 'Released'));
      }
    }
    for (const pvc of this.store.list(PVCS, undefined).items) {
      if (pvc.status?.phase === 'Bound') continue;
      this.bind(pvc);
    }
  }

  private bind(pvc: KubeObject): void {
    const ns = pvc.metadata.namespace;
    const name = pvc.metadata.name;
    const key = `${ns}/${name}`;
    const sc = pvc.spec?.storageClassName;
    if (sc !== '' && sc !== undefined && !pvc.spec?.volumeName) {
      this.pending(pvc, key, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${sc}" not found`);
      return;
    }
    const want = parseQuantity(pvc.spec?.resources?.requests?.storage);
    const modes: string[] = pvc.spec?.accessModes ?? [];
    const labels: Record<string, string> = pvc.spec?.selector?.matchLabels ?? {};
    const candidates = this.store
      .list(PVS, undefined)
      .items.filter((pv) => {
        if (pvc.spec?.volumeName && pv.metadata.name !== pvc.spec.volumeName) return false;
        const ref = pv.spec?.claimRef;
        if (ref && !(ref.namespace === ns && ref.name === name && (!ref.uid || ref.uid === pvc.metadata.uid)))
          return false;
        if (pv.status?.phase && pv.status.phase !== 'Available' && !ref) return false;
        if (pv.status?.phase === 'Released' || pv.status?.phase === 'Failed') return false;
        if ((pv.spec?.storageClassName ?? '') !== (sc ?? '')) return false;
        if (Object.entries(labels).some(([k, v]) => pv.metadata.labels?.[k] !== v)) return false;
        if (parseQuantity(pv.spec?.capacity?.storage) < want) return false;
        const pvModes: string[] = pv.spec?.accessModes ?? [];
        return modes.every((m) => pvModes.includes(m));
      })
      .sort((a, b) => parseQuantity(a.spec?.capacity?.storage) - parseQuantity(b.spec?.capacity?.storage));
    const pv = candidates[0];
    if (!pv) {
      this.pending(
        pvc,
        key,
        'Normal',
        'FailedBinding',
        'no persistent volumes available for this claim and no storage class is set'
      );
      return;
    }
    patchObject(this.store, PVS, undefined, pv.metadata.name, (o) => {
      o.spec.claimRef = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: ns,
        name,
        uid: pvc.metadata.uid,
        resourceVersion: pvc.metadata.resourceVersion
      };
      o.metadata.annotations = { ...o.metadata.annotations, 'pv.kubernetes.io/bound-by-controller': 'yes' };
    });
    patchStatus(this.store, PVS, undefined, pv.metadata.name, (s) => {
      s.phase = 'Bound';
      s.lastPhaseTransitionTime = now();
    });
    const bound = patchObject(this.store, PVCS, ns, name, (o) => {
      o.spec.volumeName = pv.metadata.name;
      o.metadata.annotations = {
        ...o.metadata.annotations,
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes'
      };
    });
    if (!bound) return;
    patchStatus(this.store, PVCS, ns, name, (s) => {
      s.phase = 'Bound';
      s.accessModes = pv.spec?.accessModes;
      s.capacity = pv.spec?.capacity;
    });
    this.told.delete(key);
  }

  private pending(pvc: KubeObject, key: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (pvc.status?.phase !== 'Pending') {
      patchStatus(this.store, PVCS, pvc.metadata.namespace, pvc.metadata.name, (s) => void (s.phase = 'Pending'));
    }
    if (this.told.get(key) === message) return;
    this.told.set(key, message);
    const fresh = this.store.get(PVCS, pvc.metadata.namespace, pvc.metadata.name);
    if (fresh) this.store.recordEvent(fresh, type, reason, message);
  }
}

/** Why a pod's volumes keep it from being scheduled (kube-scheduler's VolumeBinding), or undefined. */
export function volumeSchedulingProblem(store: ObjectStore, pod: KubeObject): string | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = store.get(PVCS, pod.metadata.namespace, claim);
    if (!pvc) return `persistentvolumeclaim "${claim}" not found`;
    if (pvc.status?.phase !== 'Bound') return 'pod has unbound immediate PersistentVolumeClaims';
  }
  return undefined;
}

/** Why the kubelet cannot mount a pod's volumes (a FailedMount event message), or undefined. */
export function mountProblem(store: ObjectStore, pod: KubeObject): string | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    const pvc = store.get(PVCS, pod.metadata.namespace, claim);
    const pv = pvc?.spec?.volumeName ? store.get(PVS, undefined, pvc.spec.volumeName) : undefined;
    if (!pvc || !pv)
      return `MountVolume.SetUp failed for volume "${v.name}" : persistentvolumeclaim "${claim}" is not bound`;
    const csi = pv.spec?.csi;
    if (!csi) continue;
    const vol = pv.metadata.name;
    if (csi.driver !== OSS_DRIVER) {
      return `MountVolume.SetUp failed for volume "${vol}" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name ${csi.driver} not found in the list of registered CSI drivers`;
    }
    const ref = csi.nodePublishSecretRef;
    if (ref?.name) {
      const secretNs = ref.namespace ?? pod.metadata.namespace;
      const secret = store.get(SECRETS, secretNs, ref.name);
      if (!secret) {
        return `MountVolume.SetUp failed for volume "${vol}" : kubernetes.io/csi: failed to find the secret ${ref.name} in the namespace ${secretNs} with error: secrets "${ref.name}" not found`;
      }
      const has = (k: string) =>
        Boolean(
          (secret.data as Record<string, string> | undefined)?.[k] ||
          (secret.stringData as Record<string, string> | undefined)?.[k]
        );
      if (!has('akId') || !has('akSecret')) {
        return `MountVolume.SetUp failed for volume "${vol}" : rpc error: code = InvalidArgument desc = failed to get credentials from secret ${secretNs}/${ref.name}: akId and akSecret are both required`;
      }
    } else if (!csi.volumeAttributes?.authType) {
      return `MountVolume.SetUp failed for volume "${vol}" : rpc error: code = InvalidArgument desc = missing access key: set nodePublishSecretRef (akId/akSecret) or authType`;
    }
    if (!csi.volumeAttributes?.bucket) {
      return `MountVolume.SetUp failed for volume "${vol}" : rpc error: code = InvalidArgument desc = bucket is empty`;
    }
  }
  return undefined;
}

export interface OssLocation {
  bucket: string;
  key: string;
}

/** Map an absolute in-container path onto OSS through the container's volume mounts, or undefined. */
export function resolvePodPath(
  store: ObjectStore,
  pod: KubeObject,
  container: any,
  p: string
): OssLocation | undefined {
  const norm = posix.normalize(p);
  const mounts: { name: string; mountPath: string; subPath?: string }[] = container?.volumeMounts ?? [];
  const mount = mounts
    .filter((m) => {
      const mp = posix.normalize(m.mountPath).replace(/\/+$/, '') || '/';
      return norm === mp || norm.startsWith(mp === '/' ? '/' : mp + '/');
    })
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return undefined;
  const vol = (pod.spec?.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
  const claim = vol?.persistentVolumeClaim?.claimName;
  if (!claim) return undefined;
  const pvc = store.get(PVCS, pod.metadata.namespace, claim);
  const pv = pvc?.spec?.volumeName ? store.get(PVS, undefined, pvc.spec.volumeName) : undefined;
  const attrs = pv?.spec?.csi?.volumeAttributes;
  if (!attrs?.bucket) return undefined;
  const mp = posix.normalize(mount.mountPath).replace(/\/+$/, '');
  const rel = norm.slice(mp.length).replace(/^\/+/, '');
  const key = posix
    .join(String(attrs.path ?? '/'), mount.subPath ?? '', rel)
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  return { bucket: String(attrs.bucket), key };
}
