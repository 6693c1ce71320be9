/** Resource types, timestamps and store helpers shared by the controllers. */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { StatusError, type KubeObject, type ObjectStore, type ResourceType } from '../kube/contract.js';

export const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods' };
export const SERVICES: ResourceType = { group: '', version: 'v1', plural: 'services' };
export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets' };
export const PVS: ResourceType = { group: '', version: 'v1', plural: 'persistentvolumes' };
export const PVCS: ResourceType = { group: '', version: 'v1', plural: 'persistentvolumeclaims' };
export const NODES: ResourceType = { group: '', version: 'v1', plural: 'nodes' };
export const PYTORCHJOBS: ResourceType = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' };
export const DEPLOYMENTS: ResourceType = { group: 'apps', version: 'v1', plural: 'deployments' };
export const REPLICASETS: ResourceType = { group: 'apps', version: 'v1', plural: 'replicasets' };

export function sameRes(a: ResourceType, b: ResourceType): boolean {
  return a.group === b.group && a.plural === b.plural;
}

/** RFC 3339 with second precision, as the API server writes times. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function objKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function isGone(err: unknown): boolean {
  return err instanceof StatusError && err.code === 404;
}

/**
 * Read-modify-write of an object's status; returns undefined when the object is gone. `mutate` gets a copy of
 * the current status (never undefined) and may return false to skip the write.
 */
export function patchStatus(
  store: ObjectStore,
  res: ResourceType,
  ns: string | undefined,
  name: string,
  mutate: (status: any, obj: KubeObject) => boolean | void
): KubeObject | undefined {
  const cur = store.get(res, ns, name);
  if (!cur) return undefined;
  const status = structuredClone(cur.status ?? {});
  if (mutate(status, cur) === false) return cur;
  if (JSON.stringify(status) === JSON.stringify(cur.status ?? {})) return cur;
  try {
    return store.updateStatus(res, ns, name, status);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** Read-modify-write of a whole object (spec/metadata), retried on conflicts. */
export function patchObject(
  store: ObjectStore,
  res: ResourceType,
  ns: string | undefined,
  name: string,
  mutate: (obj: KubeObject) => boolean | void
): KubeObject | undefined {
  for (let attempt = 0; ; attempt++) {
    const cur = store.get(res, ns, name);
    if (!cur) return undefined;
    if (mutate(cur) === false) return cur;
    try {
      return store.update(res, cur);
    } catch (err) {
      if (isGone(err)) return undefined;
      if (err instanceof StatusError && err.code === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

export function safeDelete(store: ObjectStore, res: ResourceType, ns: string | undefined, name: string): void {
  try {
    store.delete(res, ns, name);
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix generateName uses (k8s.io/apimachinery/pkg/util/rand.String). */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)];
  return s;
}

/** pod-template-hash: FNV-32a of the template, rendered with the same safe alphabet (like SafeEncodeString). */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(JSON.stringify(template))) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return Array.from(String(h), (d) => SAFE_ALPHABET[Number(d) % SAFE_ALPHABET.length]).join('');
}

export function gpuLimit(container: any): number {
  const v = container?.resources?.limits?.['nvidia.com/gpu'] ?? container?.resources?.requests?.['nvidia.com/gpu'];
  const n = typeof v === 'number' ? v : Number.parseInt(String(v ?? '0'), 10);
  return Number.isFinite(n) ? n : 0;
}

/** Kubernetes quantity ("20Gi", "500M", "1") in bytes. */
export function parseQuantity(q: unknown): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? '0'));
  if (!m) return 0;
  const mult: Record<string, number> = {
    '': 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    m: 1e-3
  };
  return Number(m[1]) * (mult[m[2]] ?? 1);
}
