/**
 * The object store: one global resourceVersion counter, an event log for watch resumption (with a
 * compaction point below which a resourceVersion is "too old"), background garbage collection through
 * ownerReferences, and the write paths the API server and the sandbox controllers share.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject, ListOptions, ObjectStore, ResourceType, WatchEvent } from './contract.js';
import { applyConfig, recordUpdate } from './fields.js';
import { clone, deepEqual } from './patch.js';
import { findResource, RESOURCES, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, conflict, alreadyExists, notFound } from './status.js';
import { applyDefaults, normalizeSecret, validateDefaulted, validateObject, validateUpdate } from './validate.js';

export interface LogEntry {
  rv: number;
  type: WatchEvent['type'];
  def: ResourceDef;
  object: KubeObject;
  /** The object before this change (for selector transitions in watches). */
  prev?: KubeObject;
}

export interface WriteOptions {
  /** Field manager for managedFields (the contract's methods write as `sandbox-controller`). */
  manager?: string;
  dryRun?: boolean;
  /** Keep the input's managedFields (server-side apply computed them already). */
  keepManagedFields?: boolean;
}

const CONTROLLER = 'sandbox-controller';
const LOG_CAP = 20_000;
const EVENTS = { group: '', version: 'v1', plural: 'events' };

export const timestamp = (d = new Date()) => d.toISOString().replace(/\.\d+Z$/, 'Z');

function resolve(res: ResourceType): ResourceDef {
  const def = findResource(res);
  if (!def) throw new ApiError(404, 'NotFound', `the server could not find the requested resource`, {});
  return def;
}

/** An object read through another served version than it was written with (Istio's versions share one schema). */
function asVersion(def: ResourceDef, o: KubeObject): KubeObject {
  if (def.storageVersion) o.apiVersion = `${def.group}/${def.version}`;
  return o;
}

function objKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${namespace ?? ''}/${name}` : name;
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(o: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...o };
  delete rest.metadata;
  delete rest.status;
  return rest;
}

function withoutManaged(o: KubeObject): KubeObject {
  const c = { ...o, metadata: { ...o.metadata } };
  delete c.metadata.managedFields;
  delete c.metadata.resourceVersion;
  return c;
}

export class Store implements ObjectStore {
  private rv = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly log: LogEntry[] = [];
  /** The log holds every change with rv > compactedRv; watching from an older rv gets 410 Gone. */
  private compactedRv = 0;
  private readonly listeners = new Set<(ev: WatchEvent) => void>();
  private readonly internal = new Set<(e: LogEntry) => void>();
  private gracefulPods = false;

  constructor() {
    for (const r of RESOURCES) this.data.set(this.bucketName(r), new Map());
  }

  /** Every served version of a kind shares the storage version's bucket (one object, several versions). */
  private bucketName(r: ResourceType): string {
    return `${r.group}/${findResource(r)?.storageVersion ?? r.version}/${r.plural}`;
  }

  private bucket(def: ResourceDef): Map<string, KubeObject> {
    return this.data.get(this.bucketName(def))!;
  }

  currentRv(): string {
    return String(this.rv);
  }

  /** Every resourceVersion older than now becomes too old to watch from. */
  compact(): void {
    this.compactedRv = this.rv;
    this.log.length = 0;
  }

  /** The changes after `rv`, or 'expired' when `rv` is older than the compaction point. */
  changesSince(rv: number): LogEntry[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    return this.log.filter((e) => e.rv > rv);
  }

  compactionPoint(): number {
    return this.compactedRv;
  }

  subscribeInternal(fn: (e: LogEntry) => void): () => void {
    this.internal.add(fn);
    return () => this.internal.delete(fn);
  }

  // ---- ObjectStore --------------------------------------------------------------------------------

  get(res: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const def = resolve(res);
    const o = this.bucket(def).get(objKey(def, namespace, name));
    return o && asVersion(def, clone(o));
  }

  list(
    res: ResourceType,
    namespace: string | undefined,
    opts: ListOptions = {}
  ): { items: KubeObject[]; resourceVersion: string } {
    const def = resolve(res);
    const byLabel = parseLabelSelector(opts.labelSelector);
    const byField = parseFieldSelector(def, opts.fieldSelector);
    const items = [...this.bucket(def).values()]
      .filter((o) => !def.namespaced || !namespace || o.metadata.namespace === namespace)
      .filter((o) => byLabel(o) && byField(o))
      .sort(
        (a, b) =>
          (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name)
      )
      .map((o) => asVersion(def, clone(o)));
    return { items, resourceVersion: this.currentRv() };
  }

  create(res: ResourceType, obj: KubeObject): KubeObject {
    return this.createWith(res, obj, { manager: CONTROLLER });
  }

  update(res: ResourceType, obj: KubeObject): KubeObject {
    return this.updateWith(res, obj, { manager: CONTROLLER });
  }

  updateStatus(res: ResourceType, namespace: string | undefined, name: string, status: unknown): KubeObject {
    const def = resolve(res);
    const cur = this.bucket(def).get(objKey(def, namespace, name));
    if (!cur) throw notFound(def, name);
    if (deepEqual(cur.status, status)) return clone(cur);
    const next = clone(cur);
    next.status = clone(status);
    return this.commit(def, 'MODIFIED', next, cur);
  }

  delete(
    res: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { gracePeriodSeconds?: number } = {}
  ): KubeObject {
    return this.deleteWith(res, namespace, name, opts);
  }

  /**
   * From now on a bound, running pod is deleted gracefully (a kubelet is there to finish it): DELETE sets
   * `deletionTimestamp` and `deletionGracePeriodSeconds`, and the pod stays (Terminating) until the kubelet
   * deletes it with a grace period of 0. Without a kubelet, pods go at once.
   */
  enableGracefulPodDeletion(): void {
    this.gracefulPods = true;
  }

  subscribe(listener: (ev: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recordEvent(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const now = timestamp();
    const same = [...this.bucket(resolve(EVENTS)).values()].find(
      (e) =>
        e.metadata.namespace === namespace &&
        (e.involvedObject as { uid?: string })?.uid === involved.metadata.uid &&
        (e.involvedObject as { name?: string })?.name === involved.metadata.name &&
        e.reason === reason &&
        e.message === message
    );
    if (same) {
      const next = clone(same);
      next.count = Number(next.count ?? 1) + 1;
      next.lastTimestamp = now;
      this.commit(resolve(EVENTS), 'MODIFIED', next, same);
      return;
    }
    this.createWith(
      EVENTS,
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: involved.metadata.name,
          namespace: involved.metadata.namespace,
          uid: involved.metadata.uid,
          resourceVersion: involved.metadata.resourceVersion
        },
        reason,
        message,
        type,
        source: { component: reasonSource(involved.kind, reason) },
        reportingComponent: reasonSource(involved.kind, reason),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1
      },
      { manager: CONTROLLER }
    );
  }

  // ---- write paths shared with the HTTP layer ----------------------------------------------------

  createWith(res: ResourceType, input: KubeObject, opts: WriteOptions): KubeObject {
    const def = resolve(res);
    const obj = clone(input);
    obj.metadata = obj.metadata ?? ({} as KubeObject['metadata']);
    if (def.namespaced && !obj.metadata.namespace) obj.metadata.namespace = 'default';
    if (!def.namespaced) delete obj.metadata.namespace;
    validateObject(def, obj);
    normalizeSecret(def, obj);
    const ns = obj.metadata.namespace;
    if (def.namespaced && !this.bucket(resolve({ group: '', version: 'v1', plural: 'namespaces' })).has(ns!)) {
      throw notFound({ group: '', version: 'v1', plural: 'namespaces' }, ns!);
    }
    if (this.bucket(def).has(objKey(def, ns, obj.metadata.name))) throw alreadyExists(def, obj.metadata.name);
    obj.metadata.uid = randomUUID(); // before the defaults: a Job's generated selector names it
    applyDefaults(def, obj);
    validateDefaulted(def, obj);
    obj.metadata.generation = 1;
    obj.metadata.creationTimestamp = timestamp();
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    if (!opts.keepManagedFields) delete obj.metadata.managedFields;
    if (opts.manager) recordUpdate(undefined, obj, opts.manager);
    if (opts.dryRun) return obj;
    return this.commit(def, 'ADDED', obj, undefined);
  }

  /** PUT semantics: replace spec and metadata, keep status for kinds with a status subresource. */
  updateWith(res: ResourceType, input: KubeObject, opts: WriteOptions & { subresource?: 'status' }): KubeObject {
    const def = resolve(res);
    const obj = clone(input);
    if (def.namespaced && !obj.metadata?.namespace) obj.metadata.namespace = 'default';
    const cur = this.bucket(def).get(objKey(def, obj.metadata?.namespace, obj.metadata?.name));
    if (!cur) throw notFound(def, obj.metadata?.name ?? '');
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion)
      throw conflict(def, cur.metadata.name);
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = clone(cur);
      next.status = obj.status;
    } else {
      validateObject(def, obj);
      normalizeSecret(def, obj);
      next = obj;
      if (def.subresources.includes('status')) next.status = clone(cur.status);
      next.metadata.uid = cur.metadata.uid;
      next.metadata.creationTimestamp = cur.metadata.creationTimestamp;
      next.metadata.generation = cur.metadata.generation;
      if (def.plural === 'namespaces')
        next.metadata.labels = { ...next.metadata.labels, 'kubernetes.io/metadata.name': cur.metadata.name };
      next.metadata.managedFields = cur.metadata.managedFields;
      validateUpdate(def, next, cur);
      if (opts.manager) recordUpdate(cur, next, opts.manager);
    }
    return this.finishUpdate(def, cur, next, opts);
  }

  /** Server-side apply: create when absent, else merge the manager's configuration with conflict checks. */
  apply(
    res: ResourceType,
    namespace: string | undefined,
    name: string,
    config: KubeObject,
    opts: WriteOptions & { force: boolean; subresource?: 'status' }
  ): { object: KubeObject; created: boolean } {
    const def = resolve(res);
    const manager = opts.manager!;
    // in an apply configuration, null means "not specified"
    const cfg = stripNulls(clone(config)) as KubeObject;
    cfg.metadata = { ...cfg.metadata, name };
    if (def.namespaced) cfg.metadata.namespace = namespace;
    if (def.plural === 'secrets' && cfg.stringData) {
      // write-only: fold into data before ownership is computed, so the manager owns .data.<key>
      const data = { ...((cfg.data as Record<string, string>) ?? {}) };
      for (const [k, v] of Object.entries(cfg.stringData as Record<string, string>))
        data[k] = Buffer.from(String(v)).toString('base64');
      cfg.data = data;
      delete cfg.stringData;
    }
    const cur = this.bucket(def).get(objKey(def, namespace, name));
    if (opts.subresource === 'status') {
      if (!cur) throw notFound(def, name);
      const next = clone(cur);
      next.status = cfg.status;
      return { object: this.finishUpdate(def, cur, next, opts), created: false };
    }
    if (!cur) {
      const merged = applyConfig(def, undefined, cfg, manager, opts.force);
      return { object: this.createWith(def, merged, { dryRun: opts.dryRun, keepManagedFields: true }), created: true };
    }
    const next = applyConfig(def, cur, cfg, manager, opts.force);
    validateObject(def, next);
    normalizeSecret(def, next);
    validateUpdate(def, next, cur);
    return { object: this.finishUpdate(def, cur, next, opts), created: false };
  }

  private finishUpdate(def: ResourceDef, cur: KubeObject, next: KubeObject, opts: WriteOptions): KubeObject {
    if (
      deepEqual(withoutManaged(cur), withoutManaged(next)) &&
      deepEqual(cur.metadata.managedFields ?? [], next.metadata.managedFields ?? [])
    )
      return clone(cur);
    if (!deepEqual(specPart(cur), specPart(next))) next.metadata.generation = Number(cur.metadata.generation ?? 1) + 1;
    if (opts.dryRun) return next;
    return this.commit(def, 'MODIFIED', next, cur);
  }

  deleteWith(
    res: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: {
      dryRun?: boolean;
      preconditionUid?: string;
      orphan?: boolean;
      /** propagationPolicy Foreground: the owner stays (deletionTimestamp, `foregroundDeletion`) until its dependents are gone. */
      foreground?: boolean;
      gracePeriodSeconds?: number;
    }
  ): KubeObject {
    const def = resolve(res);
    const k = objKey(def, namespace, name);
    const cur = this.bucket(def).get(k);
    if (!cur) throw notFound(def, name);
    if (opts.preconditionUid && opts.preconditionUid !== cur.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${opts.preconditionUid}, UID in object meta: ${cur.metadata.uid}`,
        { name, kind: def.plural }
      );
    }
    if (opts.dryRun) return clone(cur);
    if (opts.foreground && !opts.orphan && this.dependentsOf(cur).length) return this.deleteForeground(def, cur);
    const terminating = this.gracefulDelete(def, cur, opts.gracePeriodSeconds);
    if (terminating) return terminating;
    const gone = this.remove(def, cur);
    if (opts.orphan) this.orphanDependents(gone);
    else this.collectGarbage(gone, def);
    this.finishForeground();
    return clone(gone);
  }

  private remove(def: ResourceDef, cur: KubeObject): KubeObject {
    this.bucket(def).delete(objKey(def, cur.metadata.namespace, cur.metadata.name));
    const gone = clone(cur);
    this.rv++;
    gone.metadata.resourceVersion = String(this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', def, object: gone, prev: cur });
    return gone;
  }

  /** Owners being deleted in the foreground, by uid. */
  private readonly foregroundOwners = new Map<string, { def: ResourceDef; namespace?: string; name: string }>();

  private dependentsOf(owner: KubeObject): [ResourceDef, KubeObject][] {
    const out: [ResourceDef, KubeObject][] = [];
    for (const r of RESOURCES) {
      for (const o of this.bucket(r).values()) {
        if ((o.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid)) out.push([r, o]);
      }
    }
    return out;
  }

  /**
   * The garbage collector's foreground deletion: the owner gets a deletionTimestamp and the `foregroundDeletion`
   * finalizer, its dependents are deleted (pods gracefully), and the owner goes once none is left.
   */
  private deleteForeground(def: ResourceDef, cur: KubeObject): KubeObject {
    let marked = clone(cur);
    if (!cur.metadata.deletionTimestamp) {
      const next = clone(cur);
      next.metadata.deletionTimestamp = timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      next.metadata.finalizers = [...((next.metadata.finalizers as string[]) ?? []), 'foregroundDeletion'];
      next.metadata.generation = Number(cur.metadata.generation ?? 1) + 1;
      marked = this.commit(def, 'MODIFIED', next, cur);
      this.foregroundOwners.set(cur.metadata.uid!, { def, namespace: cur.metadata.namespace, name: cur.metadata.name });
      for (const [r, o] of this.dependentsOf(cur)) {
        if (this.bucket(r).has(objKey(r, o.metadata.namespace, o.metadata.name)))
          this.deleteWith(r, o.metadata.namespace, o.metadata.name, {});
      }
    }
    this.finishForeground();
    return marked;
  }

  /** Removes foreground-deleted owners whose dependents are all gone. */
  private finishForeground(): void {
    for (const [uid, o] of this.foregroundOwners) {
      const cur = this.bucket(o.def).get(objKey(o.def, o.namespace, o.name));
      if (!cur || cur.metadata.uid !== uid) {
        this.foregroundOwners.delete(uid);
        continue;
      }
      if (this.dependentsOf(cur).length) continue;
      this.foregroundOwners.delete(uid);
      const done = clone(cur);
      done.metadata.finalizers = ((cur.metadata.finalizers as string[]) ?? []).filter(
        (f) => f !== 'foregroundDeletion'
      );
      if (!(done.metadata.finalizers as string[]).length) delete done.metadata.finalizers;
      this.remove(o.def, done);
    }
  }

  /**
   * The pod strategy's CheckGracefulDelete + BeforeDelete: a pod bound to a node and not finished gets a
   * deletionTimestamp (now + grace), deletionGracePeriodSeconds and a new generation instead of going; a
   * second DELETE may only shorten the grace. Undefined when the object should go now.
   */
  private gracefulDelete(def: ResourceDef, cur: KubeObject, requested: number | undefined): KubeObject | undefined {
    if (!this.gracefulPods || def.plural !== 'pods') return undefined;
    const grace = Math.max(
      0,
      requested ?? Number(cur.metadata.deletionGracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30)
    );
    const finished = ['Succeeded', 'Failed'].includes(cur.status?.phase);
    if (grace === 0 || !cur.spec?.nodeName || finished) return undefined;
    const current = cur.metadata.deletionGracePeriodSeconds as number | undefined;
    if (cur.metadata.deletionTimestamp && current !== undefined && grace >= current) return clone(cur);
    const next = clone(cur);
    next.metadata.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
    next.metadata.deletionGracePeriodSeconds = grace;
    next.metadata.generation = Number(cur.metadata.generation ?? 1) + 1;
    return this.commit(def, 'MODIFIED', next, cur);
  }

  /** Background cascading deletion: dependents (by ownerReferences uid) and a namespace's contents. */
  private collectGarbage(owner: KubeObject, def: ResourceDef): void {
    for (const r of RESOURCES) {
      for (const o of [...this.bucket(r).values()]) {
        const owned = (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid);
        const inNs = def.plural === 'namespaces' && r.namespaced && o.metadata.namespace === owner.metadata.name;
        if ((owned || inNs) && this.bucket(r).has(objKey(r, o.metadata.namespace, o.metadata.name))) {
          this.deleteWith(r, o.metadata.namespace, o.metadata.name, {});
        }
      }
    }
  }

  /** propagationPolicy Orphan: dependents stay, without their ownerReference to the deleted owner. */
  private orphanDependents(owner: KubeObject): void {
    for (const r of RESOURCES) {
      for (const o of [...this.bucket(r).values()]) {
        const refs = o.metadata.ownerReferences ?? [];
        if (!refs.some((ref) => ref.uid === owner.metadata.uid)) continue;
        const next = clone(o);
        next.metadata.ownerReferences = refs.filter((ref) => ref.uid !== owner.metadata.uid);
        if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences;
        this.commit(r, 'MODIFIED', next, o);
      }
    }
  }

  private commit(
    def: ResourceDef,
    type: 'ADDED' | 'MODIFIED',
    obj: KubeObject,
    prev: KubeObject | undefined
  ): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.bucket(def).set(objKey(def, obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ rv: this.rv, type, def, object: clone(obj), prev });
    return clone(obj);
  }

  private emit(e: LogEntry): void {
    this.log.push(e);
    if (this.log.length > LOG_CAP) {
      const dropped = this.log.splice(0, LOG_CAP / 2);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
    // A listener's bug must not break the write that triggered it (nor the other listeners): report it.
    const safely = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        process.emitWarning(`kube store listener failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    };
    for (const fn of [...this.internal]) safely(() => fn(e));
    const resource = { group: e.def.group, version: e.def.version, plural: e.def.plural };
    for (const fn of [...this.listeners]) safely(() => fn({ type: e.type, resource, object: clone(e.object) }));
  }
}

/** The component a real cluster would name as an Event's source, from the object and reason. */
function reasonSource(kind: string, reason: string): string {
  if (/Scheduling|Scheduled|Preempt/.test(reason)) return 'default-scheduler';
  const byKind: Record<string, string> = {
    PyTorchJob: 'pytorchjob-controller',
    Deployment: 'deployment-controller',
    ReplicaSet: 'replicaset-controller',
    PersistentVolumeClaim: 'persistentvolume-controller',
    PersistentVolume: 'persistentvolume-controller',
    Pod: 'kubelet',
    Node: 'kubelet'
  };
  return byKind[kind] ?? 'sandbox-controller';
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out;
}
