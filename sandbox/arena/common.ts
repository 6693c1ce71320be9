/** Flag values → pieces of pod specs, shared by `submit pytorchjob` and `serve triton`, with Arena's checks. */
import type { FlagSpec, FlagValues } from './flags.js';
import { ArenaError } from './kube.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function checkName(what: string, name: string | undefined): string {
  if (!name) throw new ArenaError('--name must be set');
  if (name.length > 63 || !DNS1035.test(name)) {
    throw new ArenaError(
      `invalid ${what} name "${name}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`
    );
  }
  return name;
}

export interface DataVolume {
  pvc: string;
  mountPath: string;
}

export function parseData(values: string[]): DataVolume[] {
  return values.map((d) => {
    const i = d.indexOf(':');
    const pvc = i < 0 ? '' : d.slice(0, i);
    const mountPath = i < 0 ? '' : d.slice(i + 1);
    if (pvc === '' || mountPath === '' || mountPath.includes(':')) {
      throw new ArenaError(`invalid --data "${d}": it should be <PVC name>:<mount path in the container>, e.g. training-data:/data`);
    }
    if (!mountPath.startsWith('/')) throw new ArenaError(`invalid --data "${d}": the mount path "${mountPath}" must be an absolute path`);
    return { pvc, mountPath };
  });
}

export function parsePairs(flag: string, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new ArenaError(`invalid --${flag} "${v}": it should be KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function tolerations(values: string[]): object[] {
  return values.map((t) => (t === 'all' ? { operator: 'Exists' } : { key: t, operator: 'Exists' }));
}

export function volumes(data: DataVolume[]): { volumes: object[]; mounts: object[] } {
  const names = new Map<string, number>();
  const vols: object[] = [];
  const mounts: object[] = [];
  for (const d of data) {
    const n = names.get(d.pvc) ?? 0;
    names.set(d.pvc, n + 1);
    const name = n === 0 ? d.pvc : `${d.pvc}-${n}`;
    vols.push({ name, persistentVolumeClaim: { claimName: d.pvc } });
    mounts.push({ name, mountPath: d.mountPath });
  }
  return { volumes: vols, mounts };
}

/** The flags every submit/serve command shares. */
export const COMMON_JOB_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string', default: '', usage: 'override name' },
  { name: 'image', type: 'string', default: '', usage: 'the docker image name of the job' },
  { name: 'gpus', type: 'int', default: 0, usage: 'the GPU count of each replica to run the job' },
  { name: 'cpu', type: 'string', default: '', usage: 'the cpu resource to use for the job, like 1 for 1 core' },
  { name: 'memory', type: 'string', default: '', usage: 'the memory resource to use for the job, like 1Gi' },
  { name: 'data', short: 'd', type: 'stringArray', usage: 'specify the datasource to mount to the job, like <name_of_datasource>:<mount_point_on_job>' },
  { name: 'env', short: 'e', type: 'stringArray', usage: 'the environment variables' },
  { name: 'selector', type: 'stringArray', usage: 'assigning jobs to some k8s particular nodes, usage: "--selector=key=value"' },
  { name: 'toleration', type: 'stringArray', usage: 'tolerate some k8s nodes with taints, usage: "--toleration=taint-key" or "--toleration=all"' },
  { name: 'label', short: 'l', type: 'stringArray', usage: 'specify the label' },
  { name: 'annotation', short: 'a', type: 'stringArray', usage: 'specify the annotations, usage: "--annotation=key=value"' },
  { name: 'image-pull-policy', type: 'string', default: '', usage: 'the policy to pull the image' }
];

export function resources(f: FlagValues, gpus: number): Record<string, unknown> {
  const limits: Record<string, string> = {};
  if (gpus > 0) limits['nvidia.com/gpu'] = String(gpus);
  if (f.cpu) limits.cpu = String(f.cpu);
  if (f.memory) limits.memory = String(f.memory);
  if (Number(f.gpumemory ?? 0) > 0) limits['aliyun.com/gpu-mem'] = String(f.gpumemory);
  return Object.keys(limits).length ? { limits, requests: { ...limits } } : {};
}

export function envList(f: FlagValues): { name: string; value: string }[] {
  return Object.entries(parsePairs('env', f.env as string[])).map(([name, value]) => ({ name, value }));
}

/** "3m", "2h", "5d" — kubectl's short ages, as Arena prints them. */
export function age(since: string | undefined, now = Date.now()): string {
  if (!since) return 'N/A';
  const s = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Left-aligned columns separated by two spaces (Go's tabwriter as Arena configures it). */
export function columns(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('  ')).join('\n') + '\n';
}
