/**
 * Field ownership for server-side apply. Fields are leaf paths (objects are walked; lists and scalars are
 * atomic), stored in `metadata.managedFields` as FieldsV1 (`{"f:data":{"f:hello":{}}}`) per manager.
 * Simplification against the real structured-merge-diff: lists are atomic (no merge keys), status is not tracked.
 */
import type { KubeObject } from './contract.js';
import { clone, deepEqual, isObj } from './patch.js';
import { ApiError } from './status.js';
import type { ResourceDef } from './resources.js';

type Path = string[];
type Obj = Record<string, unknown>;

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  paths: Map<string, Path>;
}

const SEP = '\u0000';
const key = (p: Path) => p.join(SEP);

function walk(v: unknown, prefix: Path, out: Map<string, Path>): void {
  if (isObj(v) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v)) if (x !== undefined) walk(x, [...prefix, k], out);
  } else out.set(key(prefix), prefix);
}

/** The leaf paths an object (or apply configuration) sets, excluding identity, bookkeeping and status. */
export function leafPaths(obj: KubeObject | Obj): Map<string, Path> {
  const out = new Map<string, Path>();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status' || v === undefined) continue;
    if (k === 'metadata') {
      const m = v as Obj;
      for (const mk of ['labels', 'annotations'])
        if (isObj(m?.[mk]) && Object.keys(m[mk]).length) walk(m[mk], ['metadata', mk], out);
      continue;
    }
    walk(v, [k], out);
  }
  return out;
}

export function getAt(obj: unknown, p: Path): unknown {
  let cur = obj;
  for (const k of p) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function deleteAt(obj: Obj, p: Path): void {
  const parents: Obj[] = [];
  let cur: unknown = obj;
  for (const k of p.slice(0, -1)) {
    if (!isObj(cur)) return;
    parents.push(cur);
    cur = cur[k];
  }
  if (!isObj(cur)) return;
  delete cur[p[p.length - 1]];
  // prune parents left empty (never the top level)
  for (let i = p.length - 2; i >= 1; i--) {
    const node = getAt(obj, p.slice(0, i + 1));
    if (isObj(node) && !Object.keys(node).length) delete (parents[i] as Obj)[p[i]];
    else break;
  }
}

function toFieldsV1(paths: Iterable<Path>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let cur = root;
    for (const k of p) cur = (cur[`f:${k}`] ??= {}) as Obj;
  }
  return root;
}

function fromFieldsV1(f: unknown, prefix: Path, out: Map<string, Path>): void {
  const keys = isObj(f) ? Object.keys(f).filter((k) => k.startsWith('f:')) : [];
  if (!keys.length) {
    if (prefix.length) out.set(key(prefix), prefix);
    return;
  }
  for (const k of keys) fromFieldsV1((f as Obj)[k], [...prefix, k.slice(2)], out);
}

export function readManagers(obj: KubeObject | undefined): ManagerEntry[] {
  const mf = (obj?.metadata.managedFields ?? []) as Obj[];
  return mf.map((e) => {
    const paths = new Map<string, Path>();
    fromFieldsV1(e.fieldsV1, [], paths);
    return {
      manager: String(e.manager),
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(e.apiVersion),
      time: String(e.time),
      paths
    };
  });
}

export function writeManagers(obj: KubeObject, managers: ManagerEntry[]): void {
  obj.metadata.managedFields = managers
    .filter((m) => m.paths.size)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.paths.values())
    }));
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const overlaps = (a: Path, b: Path) => a.slice(0, Math.min(a.length, b.length)).every((k, i) => k === b[i]);

/** Ownership after a non-apply write (create, update, patch): the writer takes every field it changed. */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, manager: string): void {
  const managers = readManagers(before);
  const oldPaths = before ? leafPaths(before) : new Map<string, Path>();
  const newPaths = leafPaths(after);
  const changed = new Map<string, Path>();
  for (const [k, p] of newPaths)
    if (!oldPaths.has(k) || !deepEqual(getAt(before, p), getAt(after, p))) changed.set(k, p);
  const removed = [...oldPaths].filter(([k]) => !newPaths.has(k)).map(([, p]) => p);
  for (const m of managers) {
    for (const [k, p] of m.paths) {
      if (
        removed.some((r) => overlaps(r, p)) ||
        (m.manager !== manager || m.operation !== 'Update' ? changed.has(k) : false)
      )
        m.paths.delete(k);
    }
  }
  if (changed.size) {
    let mine = managers.find((m) => m.manager === manager && m.operation === 'Update');
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion: after.apiVersion, time: now(), paths: new Map() };
      managers.push(mine);
    }
    for (const [k, p] of changed) mine.paths.set(k, p);
    mine.time = now();
  }
  writeManagers(after, managers);
}

/** The object after `manager` applies `config` (server-side apply). Throws 409 on conflicts unless `force`. */
export function applyConfig(
  def: ResourceDef,
  existing: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean
): KubeObject {
  const managers = readManagers(existing);
  const want = leafPaths(config);
  const conflicts: { manager: string; path: Path }[] = [];
  for (const m of managers) {
    if (m.manager === manager && m.operation === 'Apply') continue;
    for (const [k, q] of m.paths) {
      for (const [, p] of want) {
        if (!overlaps(p, q)) continue;
        const at = q.length >= p.length ? q : p;
        if (!deepEqual(getAt(existing, at), getAt(config, at))) {
          if (force) m.paths.delete(k);
          else conflicts.push({ manager: m.manager, path: q });
        }
        break;
      }
    }
  }
  if (conflicts.length) throw conflictError(def, config.metadata.name, conflicts);

  const result: KubeObject = existing
    ? clone(existing)
    : { apiVersion: config.apiVersion, kind: config.kind, metadata: { ...clone(config.metadata) } };
  let mine = managers.find((m) => m.manager === manager && m.operation === 'Apply');
  for (const [k, p] of mine?.paths ?? []) {
    if (want.has(k)) continue;
    if (managers.some((m) => m !== mine && [...m.paths.values()].some((q) => overlaps(p, q)))) continue;
    deleteAt(result as Obj, p);
  }
  for (const [k, v] of Object.entries(config)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata') {
      const cm = v as Obj;
      for (const mk of ['labels', 'annotations'])
        if (isObj(cm[mk])) (result.metadata as Obj)[mk] = mergeObjects((result.metadata as Obj)[mk], cm[mk]);
      for (const mk of ['ownerReferences', 'finalizers'])
        if (cm[mk] !== undefined) (result.metadata as Obj)[mk] = clone(cm[mk]);
      continue;
    }
    result[k] = mergeObjects(result[k], v);
  }
  if (!mine) {
    mine = { manager, operation: 'Apply', apiVersion: config.apiVersion, time: now(), paths: new Map() };
    managers.push(mine);
  }
  mine.paths = want;
  mine.time = existing && deepEqual(stripMF(existing), stripMF(result)) ? mine.time : now();
  writeManagers(result, managers);
  return result;
}

function stripMF(o: KubeObject): KubeObject {
  const c = clone(o);
  delete c.metadata.managedFields;
  return c;
}

function mergeObjects(target: unknown, src: unknown): unknown {
  // an empty map in a configuration claims the map, it does not clear what others set in it
  if (!isObj(src) || !isObj(target)) return clone(src);
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(src)) out[k] = mergeObjects(out[k], v);
  return out;
}

function conflictError(def: ResourceDef, name: string, conflicts: { manager: string; path: Path }[]): ApiError {
  const fmt = (p: Path) => '.' + p.join('.');
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const n = conflicts.length;
  let body: string;
  if (byManager.size === 1 && n === 1) {
    body = `conflict with "${conflicts[0].manager}" using ${def.group ? `${def.group}/` : ''}${def.version}: ${fmt(conflicts[0].path)}`;
  } else {
    body = [...byManager]
      .map(
        ([m, ps]) =>
          `conflicts with "${m}" using ${def.group ? `${def.group}/` : ''}${def.version}:\n${ps.map((p) => `- ${fmt(p)}`).join('\n')}`
      )
      .join('\n');
  }
  return new ApiError(409, 'Conflict', `Apply failed with ${n} conflict${n > 1 ? 's' : ''}: ${body}`, {
    name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.plural,
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}" using ${def.group ? `${def.group}/` : ''}${def.version}`,
      field: fmt(c.path)
    }))
  });
}
