/** Flag values → pieces of pod specs, shared by `submit pytorchjob` and `serve triton`, with Arena's checks. */
import { posix } from 'node:path';
import type { FlagSpec, FlagValues } from './flags.js';
import { ArenaError } from './kube.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Arena's JobMaxLength. */
const JOB_MAX_LENGTH = 49;

/** A flag value Arena rejects before touching the cluster (`failed to validate command args: …`). */
export function invalid(msg: string): ArenaError {
  return new ArenaError(`failed to validate command args: ${msg}`);
}

/** util.ValidateJobName, after the `--name must be set` check. */
export function checkName(name: string | undefined): string {
  if (!name) throw invalid('--name must be set');
  if (name.length > JOB_MAX_LENGTH) {
    throw invalid(`the len ${name.length} of name ${name} is too long, it should be less than ${JOB_MAX_LENGTH}`);
  }
  if (!DNS1123_LABEL.test(name)) {
    throw invalid(
      "the job name must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    );
  }
  return name;
}

export interface DataVolume {
  pvc: string;
  mountPath: string;
}

const RESTRICTED_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';

/** util.ValidateDatasets: `<pvc>:<absolute path>`, PVC names not repeated. */
export function parseData(values: string[]): DataVolume[] {
  const seen = new Set<string>();
  return values.map((d) => {
    const parts = d.split(':');
    if (parts.length !== 2) throw invalid(`dataset ${d} has incorrect format, should like data_name:/data0`);
    const [pvc, mountPath] = parts;
    if (pvc.length === 1)
      throw invalid('volume name is too short, names should be at least two alphanumeric characters');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(pvc)) {
      throw invalid(
        `${JSON.stringify(pvc)} includes invalid characters for a local volume name, only ${JSON.stringify(RESTRICTED_NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`
      );
    }
    if (seen.has(pvc)) throw invalid(`your PVC name: ${pvc} is repeated, please check it`);
    seen.add(pvc);
    if (posix.normalize(mountPath) === '/') throw invalid("invalid specification: dataDir can't be '/'");
    if (!mountPath.startsWith('/')) throw invalid(`invalid dataDir: '${mountPath}' must be absolute`);
    return { pvc, mountPath };
  });
}

export function parsePairs(flag: string, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw invalid(`invalid --${flag} "${v}": it should be KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function tolerations(values: string[]): object[] {
  return values.map((t) => (t === 'all' ? { operator: 'Exists' } : { key: t, operator: 'Exists' }));
}

export function volumes(data: DataVolume[]): { volumes: object[]; mounts: object[] } {
  return {
    volumes: data.map((d) => ({ name: d.pvc, persistentVolumeClaim: { claimName: d.pvc } })),
    mounts: data.map((d) => ({ name: d.pvc, mountPath: d.mountPath }))
  };
}

/** The flags every submit/serve command shares. */
export const COMMON_JOB_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string', default: '', usage: 'override name' },
  { name: 'image', type: 'string', default: '', usage: 'the docker image name of the job' },
  { name: 'gpus', type: 'int', default: 0, usage: 'the GPU count of each replica to run the job' },
  { name: 'cpu', type: 'string', default: '', usage: 'the cpu resource to use for the job, like 1 for 1 core' },
  { name: 'memory', type: 'string', default: '', usage: 'the memory resource to use for the job, like 1Gi' },
  {
    name: 'data',
    short: 'd',
    type: 'stringArray',
    usage: 'specify the datasource to mount to the job, like <name_of_datasource>:<mount_point_on_job>'
  },
  { name: 'env', short: 'e', type: 'stringArray', usage: 'the environment variables' },
  {
    name: 'selector',
    type: 'stringArray',
    usage: 'assigning jobs to some k8s particular nodes, usage: "--selector=key=value"'
  },
  {
    name: 'toleration',
    type: 'stringArray',
    usage: 'tolerate some k8s nodes with taints, usage: "--toleration=taint-key" or "--toleration=all"'
  },
  { name: 'label', short: 'l', type: 'stringArray', usage: 'specify the label' },
  {
    name: 'annotation',
    short: 'a',
    type: 'stringArray',
    usage: 'specify the annotations, usage: "--annotation=key=value"'
  },
  { name: 'image-pull-policy', type: 'string', default: '', usage: 'the policy to pull the image' },
  { name: 'shell', type: 'string', default: 'sh', usage: 'specify the linux shell, usage: bash or sh' }
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
