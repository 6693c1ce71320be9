/**
 * Label and field selectors, parsed the way the API server parses `?labelSelector=` and `?fieldSelector=`.
 */
import type { KubeObject, ResourceType } from './contract.js';
import { badRequest } from './status.js';

type LabelReq =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (obj: KubeObject) => boolean;

export function parseLabelSelector(sel: string | undefined): Matcher {
  if (!sel || !sel.trim()) return () => true;
  const reqs: LabelReq[] = [];
  let i = 0;
  const s = sel;
  const skipWs = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readKey = () => {
    skipWs();
    const m = /^[A-Za-z0-9._/-]+/.exec(s.slice(i));
    if (!m) throw badRequest(`unable to parse requirement: found '${s.slice(i, i + 1)}', expected: identifier`);
    i += m[0].length;
    return m[0];
  };
  const readValue = () => {
    skipWs();
    const m = /^[A-Za-z0-9._-]*/.exec(s.slice(i))!;
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === '!') {
      i++;
      reqs.push({ op: 'notexists', key: readKey() });
    } else {
      const key = readKey();
      skipWs();
      const rest = s.slice(i);
      if (rest.startsWith('==')) {
        i += 2;
        reqs.push({ op: 'eq', key, value: readValue() });
      } else if (rest.startsWith('!=')) {
        i += 2;
        reqs.push({ op: 'neq', key, value: readValue() });
      } else if (rest.startsWith('=')) {
        i += 1;
        reqs.push({ op: 'eq', key, value: readValue() });
      } else if (/^(in|notin)\s*\(/.test(rest)) {
        const op = rest.startsWith('in') ? 'in' : 'notin';
        const close = s.indexOf(')', i);
        if (close < 0) throw badRequest(`unable to parse requirement: found '', expected: ')'`);
        const inner = s.slice(s.indexOf('(', i) + 1, close);
        reqs.push({ op, key, values: inner.split(',').map((v) => v.trim()) });
        i = close + 1;
      } else {
        reqs.push({ op: 'exists', key });
      }
    }
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') throw badRequest(`unable to parse requirement: found '${s[i]}', expected: ','`);
      i++;
    }
  }
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.value;
        case 'neq':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.includes(v);
        case 'notin':
          return !has || !r.values.includes(v);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
  };
}

/** Field paths each kind supports in field selectors (beyond metadata.name / metadata.namespace). */
const FIELDS: Record<string, Record<string, (o: KubeObject) => unknown>> = {
  pods: {
    'status.phase': (o) => o.status?.phase,
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy
  },
  events: {
    'involvedObject.name': (o) => (o.involvedObject as { name?: string })?.name,
    'involvedObject.kind': (o) => (o.involvedObject as { kind?: string })?.kind,
    'involvedObject.namespace': (o) => (o.involvedObject as { namespace?: string })?.namespace,
    'involvedObject.uid': (o) => (o.involvedObject as { uid?: string })?.uid,
    reason: (o) => o.reason,
    type: (o) => o.type
  },
  secrets: { type: (o) => o.type },
  namespaces: { 'status.phase': (o) => o.status?.phase },
  persistentvolumeclaims: { 'status.phase': (o) => o.status?.phase }
};

export function parseFieldSelector(res: ResourceType, sel: string | undefined): Matcher {
  if (!sel || !sel.trim()) return () => true;
  const tests: Matcher[] = [];
  for (const part of sel.split(',')) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${part}'`);
    const [, field, op, value] = m;
    let get: ((o: KubeObject) => unknown) | undefined;
    if (field === 'metadata.name') get = (o) => o.metadata.name;
    else if (field === 'metadata.namespace') get = (o) => o.metadata.namespace ?? '';
    else get = FIELDS[res.plural]?.[field];
    if (!get) {
      throw badRequest(
        res.group && !['apps'].includes(res.group)
          ? `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`
      );
    }
    const g = get;
    tests.push(op === '!=' ? (o) => String(g(o) ?? '') !== value : (o) => String(g(o) ?? '') === value);
  }
  return (o) => tests.every((t) => t(o));
}
