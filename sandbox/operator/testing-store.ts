/**
 * A minimal in-memory ObjectStore and PodRuntime for the operator's own tests while sandbox/kube's store is
 * being written. Only what the controllers use: CRUD, status, background GC of dependents, label selectors
 * of the `a=b,c` form, events as core/v1 Event objects, and logs kept in memory.
 */
import { randomUUID } from 'node:crypto';
import {
  StatusError,
  type KubeObject,
  type ListOptions,
  type ObjectStore,
  type PodRuntime,
  type ResourceType,
  type WatchEvent
} from '../kube/contract.js';

const EVENTS: ResourceType = { group: '', version: 'v1', plural: 'events' };

function keyOf(res: ResourceType, ns: string | undefined, name: string): string {
  return `${res.group}/${res.plural}/${ns ?? ''}/${name}`;
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (!t) return true;
    const neq = t.split('!=');
    if (neq.length === 2) return labels?.[neq[0]] !== neq[1];
    const eq = t.split(/==?/);
    if (eq.length === 2) return labels?.[eq[0]] === eq[1];
    return labels?.[t] !== undefined;
  });
}

export class MemoryStore implements ObjectStore {
  private objects = new Map<string, { res: ResourceType; obj: KubeObject }>();
  private listeners = new Set<(ev: WatchEvent) => void>();
  private rv = 1;
  private eventSeq = 0;

  get(res: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const e = this.objects.get(keyOf(res, namespace, name));
    return e ? structuredClone(e.obj) : undefined;
  }

  list(res: ResourceType, namespace: string | undefined, opts?: ListOptions) {
    const items: KubeObject[] = [];
    for (const e of this.objects.values()) {
      if (e.res.group !== res.group || e.res.plural !== res.plural) continue;
      if (namespace !== undefined && e.obj.metadata.namespace !== namespace) continue;
      if (!matchesSelector(e.obj.metadata.labels, opts?.labelSelector)) continue;
      items.push(structuredClone(e.obj));
    }
    return { items, resourceVersion: String(this.rv) };
  }

  create(res: ResourceType, obj: KubeObject): KubeObject {
    const k = keyOf(res, obj.metadata.namespace, obj.metadata.name);
    if (this.objects.has(k)) throw new StatusError(409, 'AlreadyExists', `${res.plural} "${obj.metadata.name}" already exists`);
    const o = structuredClone(obj);
    o.metadata.uid = randomUUID();
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.generation = 1;
    o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.objects.set(k, { res, obj: o });
    this.emit('ADDED', res, o);
    return structuredClone(o);
  }

  update(res: ResourceType, obj: KubeObject): KubeObject {
    const k = keyOf(res, obj.metadata.namespace, obj.metadata.name);
    const cur = this.objects.get(k);
    if (!cur) throw new StatusError(404, 'NotFound', `${res.plural} "${obj.metadata.name}" not found`);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.obj.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `the object has been modified`);
    }
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, uid: cur.obj.metadata.uid, creationTimestamp: cur.obj.metadata.creationTimestamp };
    o.status = cur.obj.status;
    const specChanged = JSON.stringify(o.spec) !== JSON.stringify(cur.obj.spec);
    o.metadata.generation = (cur.obj.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    o.metadata.resourceVersion = String(++this.rv);
    cur.obj = o;
    this.emit('MODIFIED', res, o);
    return structuredClone(o);
  }

  updateStatus(res: ResourceType, namespace: string | undefined, name: string, status: unknown): KubeObject {
    const cur = this.objects.get(keyOf(res, namespace, name));
    if (!cur) throw new StatusError(404, 'NotFound', `${res.plural} "${name}" not found`);
    cur.obj = { ...cur.obj, status: structuredClone(status) };
    cur.obj.metadata = { ...cur.obj.metadata, resourceVersion: String(++this.rv) };
    this.emit('MODIFIED', res, cur.obj);
    return structuredClone(cur.obj);
  }

  delete(res: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const k = keyOf(res, namespace, name);
    const cur = this.objects.get(k);
    if (!cur) throw new StatusError(404, 'NotFound', `${res.plural} "${name}" not found`);
    this.objects.delete(k);
    cur.obj.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', res, cur.obj);
    const uid = cur.obj.metadata.uid;
    for (const [, e] of [...this.objects]) {
      if (e.obj.metadata.ownerReferences?.some((r) => r.uid === uid)) {
        try {
          this.delete(e.res, e.obj.metadata.namespace, e.obj.metadata.name);
        } catch {
          // already gone through another owner
        }
      }
    }
    return structuredClone(cur.obj);
  }

  subscribe(listener: (ev: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recordEvent(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${involved.metadata.name}.${(++this.eventSeq).toString(16).padStart(16, '0')}`,
        namespace: involved.metadata.namespace ?? 'default'
      },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now
    });
  }

  /** Test helper: the events recorded about an object, oldest first. */
  eventsFor(name: string): { type: string; reason: string; message: string }[] {
    return this.list(EVENTS, undefined)
      .items.filter((e) => (e.involvedObject as { name: string }).name === name)
      .map((e) => ({ type: e.type as string, reason: e.reason as string, message: e.message as string }));
  }

  private emit(type: WatchEvent['type'], res: ResourceType, obj: KubeObject): void {
    for (const l of [...this.listeners]) l({ type, resource: res, object: structuredClone(obj) });
  }
}

export class MemoryPodRuntime implements PodRuntime {
  readonly logs = new Map<string, string>();
  readonly ports = new Map<string, number>();

  appendLog(namespace: string, pod: string, container: string, text: string): void {
    const k = `${namespace}/${pod}/${container}`;
    this.logs.set(k, (this.logs.get(k) ?? '') + text);
  }
  registerPort(namespace: string, pod: string, containerPort: number, localPort: number): void {
    this.ports.set(`${namespace}/${pod}:${containerPort}`, localPort);
  }
  unregisterPod(namespace: string, pod: string): void {
    for (const k of [...this.ports.keys()]) if (k.startsWith(`${namespace}/${pod}:`)) this.ports.delete(k);
  }
  log(namespace: string, pod: string, container: string): string {
    return this.logs.get(`${namespace}/${pod}/${container}`) ?? '';
  }
}
