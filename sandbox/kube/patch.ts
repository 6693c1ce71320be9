/**
 * Patches: JSON merge patch (RFC 7386), strategic merge patch (merge patch plus merge-by-key for the lists the
 * sandbox's kinds use) and JSON patch (RFC 6902).
 */
import { ApiError } from './status.js';

type Json = unknown;
type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** List fields merged by key in a strategic merge patch (as the built-in types declare `patchMergeKey`). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  imagePullSecrets: 'name',
  ownerReferences: 'uid'
};

export function strategicMergePatch(target: Json, patch: Json, field = ''): Json {
  if (Array.isArray(patch) && Array.isArray(target) && MERGE_KEYS[field]) {
    const key = MERGE_KEYS[field];
    const out = target.map((x) => clone(x));
    for (const item of patch) {
      if (!isObj(item)) return clone(patch);
      const idx = out.findIndex((x) => isObj(x) && x[key] === item[key]);
      if (item.$patch === 'delete') {
        if (idx >= 0) out.splice(idx, 1);
      } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], item);
      else out.push(strategicMergePatch(undefined, item));
    }
    return out;
  }
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, k);
  }
  return out;
}

function invalidPatch(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw invalidPatch(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getPtr(doc: Json, path: string[]): Json {
  let cur: Json = doc;
  for (const k of path) {
    if (Array.isArray(cur)) cur = cur[Number(k)];
    else if (isObj(cur)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, path: string[], full: string): { parent: Obj | Json[]; key: string } {
  const parent = getPtr(doc, path.slice(0, -1));
  if (!isObj(parent) && !Array.isArray(parent)) throw invalidPatch(`doc is missing path: "${full}": missing value`);
  return { parent, key: path[path.length - 1] };
}

export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops))
    throw new ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root = clone(doc);
  for (const op of ops as Obj[]) {
    const path = String(op.path ?? '');
    const segs = parsePointer(path);
    const add = (value: Json) => {
      if (!segs.length) {
        root = clone(value);
        return;
      }
      const { parent, key } = parentOf(root, segs, path);
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (!(i >= 0 && i <= parent.length))
          throw invalidPatch(`add operation does not apply: doc is missing path: "${path}": missing value`);
        parent.splice(i, 0, clone(value));
      } else parent[key] = clone(value);
    };
    const remove = () => {
      const { parent, key } = parentOf(root, segs, path);
      if (Array.isArray(parent)) {
        const i = Number(key);
        if (!(i >= 0 && i < parent.length))
          throw invalidPatch(`remove operation does not apply: doc is missing path: "${path}": missing value`);
        parent.splice(i, 1);
      } else {
        if (!(key in parent))
          throw invalidPatch(`remove operation does not apply: doc is missing path: "${path}": missing value`);
        delete parent[key];
      }
    };
    switch (op.op) {
      case 'add':
        add(op.value);
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        if (getPtr(root, segs) === undefined)
          throw invalidPatch(`replace operation does not apply: doc is missing key: ${path}: missing value`);
        remove();
        add(op.value);
        break;
      case 'move':
      case 'copy': {
        const from = parsePointer(String(op.from ?? ''));
        const v = getPtr(root, from);
        if (v === undefined)
          throw invalidPatch(
            `${op.op} operation does not apply: doc is missing from path: ${String(op.from)}: missing value`
          );
        if (op.op === 'move') {
          const { parent, key } = parentOf(root, from, String(op.from));
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else delete parent[key];
        }
        add(v);
        break;
      }
      case 'test':
        if (!deepEqual(getPtr(root, segs), op.value)) throw invalidPatch(`testing value ${path} failed: test failed`);
        break;
      default:
        throw invalidPatch(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return root;
}
