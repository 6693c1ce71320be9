/**
 * `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` responses: the columns `kubectl get` prints, with
 * cells pre-formatted (kubectl prints cells verbatim, so AGE must already read like `5m`).
 */
import type { KubeObject } from './contract.js';
import type { ResourceDef } from './resources.js';
import { badRequest } from './status.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
  cell: (o: KubeObject) => string | number;
}

/** kubectl's duration.HumanDuration. */
export function humanAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d < 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const age = (o: KubeObject): string =>
  o.metadata.creationTimestamp ? humanAge(Date.now() - Date.parse(o.metadata.creationTimestamp)) : '<unknown>';
const col = (name: string, cell: Column['cell'], priority = 0, type = 'string'): Column => ({
  name,
  type,
  description: name,
  priority,
  cell
});
const NAME = col('Name', (o) => o.metadata.name);
const AGE = col('Age', age);

interface CS {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
}

/** printJob's STATUS: the terminal conditions first, then Terminating, Suspended, the interim conditions, Running. */
function jobStatus(o: KubeObject): string {
  const has = (t: string) =>
    (o.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/** kubectl's printPod status logic, for the states the sandbox produces. */
function podStatus(o: KubeObject): string {
  let reason: string = o.status?.reason || o.status?.phase || 'Unknown';
  const init: CS[] = o.status?.initContainerStatuses ?? [];
  for (const [i, c] of init.entries()) {
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue;
    if (c.state?.terminated) reason = `Init:${c.state.terminated.reason || 'Error'}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(o.spec?.initContainers ?? []).length}`;
    return reason;
  }
  for (const c of [...((o.status?.containerStatuses ?? []) as CS[])].reverse()) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated) reason = `ExitCode:${c.state.terminated.exitCode ?? 0}`;
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function lastCondition(o: KubeObject): string {
  const conds: { type: string; status: string }[] = o.status?.conditions ?? [];
  const c = conds[conds.length - 1];
  return c ? c.type : '';
}

const COLUMNS: Record<string, Column[]> = {
  pods: [
    NAME,
    col('Ready', (o) => {
      const cs: CS[] = o.status?.containerStatuses ?? [];
      return `${cs.filter((c) => c.ready).length}/${(o.spec?.containers ?? []).length}`;
    }),
    col('Status', podStatus),
    col(
      'Restarts',
      (o) => ((o.status?.containerStatuses ?? []) as CS[]).reduce((n, c) => n + (c.restartCount ?? 0), 0),
      0,
      'string'
    ),
    AGE,
    col('IP', (o) => o.status?.podIP ?? '<none>', 1),
    col('Node', (o) => o.spec?.nodeName ?? '<none>', 1)
  ],
  pytorchjobs: [NAME, col('State', lastCondition), AGE],
  // kubectl's printJob (pkg/printers/internalversion/printers.go)
  jobs: [
    NAME,
    col('Status', jobStatus),
    col('Completions', (o) =>
      o.spec?.completions != null
        ? `${o.status?.succeeded ?? 0}/${o.spec.completions}`
        : `${o.status?.succeeded ?? 0}/1 of ${o.spec?.parallelism ?? 1}`
    ),
    col('Duration', (o) =>
      o.status?.startTime
        ? humanAge(Date.parse(o.status.completionTime ?? new Date().toISOString()) - Date.parse(o.status.startTime))
        : ''
    ),
    AGE
  ],
  deployments: [
    NAME,
    col('Ready', (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`),
    col('Up-to-date', (o) => o.status?.updatedReplicas ?? 0, 0, 'integer'),
    col('Available', (o) => o.status?.availableReplicas ?? 0, 0, 'integer'),
    AGE
  ],
  replicasets: [
    NAME,
    col('Desired', (o) => o.spec?.replicas ?? 0, 0, 'integer'),
    col('Current', (o) => o.status?.replicas ?? 0, 0, 'integer'),
    col('Ready', (o) => o.status?.readyReplicas ?? 0, 0, 'integer'),
    AGE
  ],
  services: [
    NAME,
    col('Type', (o) => o.spec?.type ?? 'ClusterIP'),
    col('Cluster-IP', (o) => o.spec?.clusterIP ?? '<none>'),
    col(
      'External-IP',
      (o) => (o.status?.loadBalancer?.ingress ?? []).map((i: { ip?: string }) => i.ip).join(',') || '<none>'
    ),
    col(
      'Port(s)',
      (o) =>
        (o.spec?.ports ?? [])
          .map((p: { port: number; protocol?: string }) => `${p.port}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>'
    ),
    AGE
  ],
  configmaps: [
    NAME,
    col(
      'Data',
      (o) => Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length,
      0,
      'integer'
    ),
    AGE
  ],
  secrets: [
    NAME,
    col('Type', (o) => String(o.type ?? 'Opaque')),
    col('Data', (o) => Object.keys((o.data as object) ?? {}).length, 0, 'integer'),
    AGE
  ],
  namespaces: [NAME, col('Status', (o) => o.status?.phase ?? 'Active'), AGE],
  nodes: [
    NAME,
    col('Status', (o) =>
      ((o.status?.conditions ?? []) as { type: string; status: string }[]).some(
        (c) => c.type === 'Ready' && c.status === 'True'
      )
        ? 'Ready'
        : 'NotReady'
    ),
    col(
      'Roles',
      (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice(24))
          .join(',') || '<none>'
    ),
    AGE,
    col('Version', (o) => o.status?.nodeInfo?.kubeletVersion ?? '')
  ],
  persistentvolumes: [
    NAME,
    col('Capacity', (o) => o.spec?.capacity?.storage ?? ''),
    col('Access Modes', (o) => (o.spec?.accessModes ?? []).map(shortMode).join(',')),
    col('Reclaim Policy', (o) => o.spec?.persistentVolumeReclaimPolicy ?? 'Retain'),
    col('Status', (o) => o.status?.phase ?? ''),
    col('Claim', (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : '')),
    col('StorageClass', (o) => o.spec?.storageClassName ?? ''),
    AGE
  ],
  persistentvolumeclaims: [
    NAME,
    col('Status', (o) => o.status?.phase ?? ''),
    col('Volume', (o) => o.spec?.volumeName ?? ''),
    col('Capacity', (o) => o.status?.capacity?.storage ?? ''),
    col('Access Modes', (o) => (o.status?.accessModes ?? []).map(shortMode).join(',')),
    col('StorageClass', (o) => o.spec?.storageClassName ?? ''),
    AGE
  ],
  events: [
    col('Last Seen', (o) =>
      o.lastTimestamp ? humanAge(Date.now() - Date.parse(String(o.lastTimestamp))) : '<unknown>'
    ),
    col('Type', (o) => String(o.type ?? '')),
    col('Reason', (o) => String(o.reason ?? '')),
    col('Object', (o) => {
      const io = (o.involvedObject ?? {}) as { kind?: string; name?: string };
      return `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
    }),
    col('Message', (o) => String(o.message ?? ''))
  ],
  endpoints: [
    NAME,
    col('Endpoints', (o) => {
      const eps = ((o.subsets ?? []) as { addresses?: { ip: string }[]; ports?: { port: number }[] }[]).flatMap((s) =>
        (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`))
      );
      return eps.length ? eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '') : '<none>';
    }),
    AGE
  ],
  endpointslices: [
    NAME,
    col('AddressType', (o) => String(o.addressType ?? '')),
    col('Ports', (o) => ((o.ports ?? []) as { port?: number }[]).map((p) => p.port).join(',') || '<unset>'),
    col('Endpoints', (o) => {
      const ips = ((o.endpoints ?? []) as { addresses: string[] }[]).flatMap((e) => e.addresses);
      return ips.length
        ? ips.slice(0, 3).join(',') + (ips.length > 3 ? ` + ${ips.length - 3} more...` : '')
        : '<unset>';
    }),
    AGE
  ],
  rolebindings: [
    NAME,
    col('Role', (o) => `${(o.roleRef as { kind?: string })?.kind}/${(o.roleRef as { name?: string })?.name}`),
    AGE
  ],
  clusterrolebindings: [
    NAME,
    col('Role', (o) => `${(o.roleRef as { kind?: string })?.kind}/${(o.roleRef as { name?: string })?.name}`),
    AGE
  ],
  customresourcedefinitions: [NAME, col('Created At', (o) => o.metadata.creationTimestamp ?? '', 0, 'date')]
};

function shortMode(m: string): string {
  return (
    (
      { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' } as Record<
        string,
        string
      >
    )[m] ?? m
  );
}

/** `includeObject` of a Table request: the row's object in full, as metadata only (the default), or none. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

function rowObject(o: KubeObject, include: IncludeObject): Record<string, unknown> | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  def: ResourceDef,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject = 'Metadata'
): Record<string, unknown> {
  const cols = COLUMNS[def.plural] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.description,
      priority: c.priority
    })),
    rows: items.map((o) => {
      const object = rowObject(o, include);
      return { cells: cols.map((c) => c.cell(o)), ...(object ? { object } : {}) };
    })
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}
