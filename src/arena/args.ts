/**
 * Pure builders for the `arena` command lines this product runs. Every value that reaches Arena is checked
 * here (names are DNS-1123) so a bad value fails before any process starts; the arrays go to @actions/exec as
 * they are, never through a shell.
 */
import { PipelineError } from '../errors.js';
import { isDnsLabel } from '../util/dns.js';

/** Throws when `value` is not a DNS-1123 label (src/util/dns.ts). */
export function checkDns1123Label(what: string, value: string): string {
  if (!isDnsLabel(value)) {
    throw new PipelineError(
      'INVALID_NAME',
      `${what} "${value}" is not a valid Kubernetes name (DNS-1123 label)`,
      'Use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit.'
    );
  }
  return value;
}

function positive(what: string, n: number, min = 1): string {
  if (!Number.isInteger(n) || n < min) {
    throw new PipelineError(
      'INVALID_VALUE',
      `${what} must be an integer ≥ ${min}, got ${n}`,
      `Set ${what} to ${min} or more.`
    );
  }
  return String(n);
}

/** `<pvc>:<mountPath>` for `--data`. */
export function dataFlag(pvc: string, mountPath: string): string {
  checkDns1123Label('PVC name', pvc);
  if (!mountPath.startsWith('/') || mountPath.includes(':')) {
    throw new PipelineError(
      'INVALID_VALUE',
      `mount path "${mountPath}" must be absolute and contain no ":"`,
      'Set mount-path to an absolute path such as /mnt.'
    );
  }
  return `${pvc}:${mountPath}`;
}

export interface PytorchJobSpec {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly gpus: number;
  readonly workers: number;
  readonly pvc: string;
  readonly mountPath: string;
  readonly runningTimeoutSeconds: number;
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * `--clean-task-policy`: which pods the operator deletes when the job ends (Running: those still running or
   * pending, so no GPU stays held; finished pods keep their log and status for the diagnosis).
   */
  readonly cleanTaskPolicy?: 'None' | 'Running' | 'All';
  /** `--ttl-after-finished`: the operator deletes the finished job (and so its pods) this long after it ended. */
  readonly ttlAfterFinishedSeconds?: number;
  /** Run by Arena as `sh -c "<command>"` in container `pytorch`. */
  readonly command: string;
}

export function submitPytorchJobArgs(spec: PytorchJobSpec): string[] {
  const args = [
    'submit',
    'pytorchjob',
    `--name=${checkDns1123Label('job name', spec.name)}`,
    `--namespace=${checkDns1123Label('namespace', spec.namespace)}`,
    `--image=${nonEmpty('converter image', spec.image)}`,
    `--gpus=${positive('convert gpus', spec.gpus, 0)}`,
    `--workers=${positive('convert workers', spec.workers)}`,
    `--data=${dataFlag(spec.pvc, spec.mountPath)}`,
    `--running-timeout=${positive('convert timeout', spec.runningTimeoutSeconds)}s`
  ];
  if (spec.cleanTaskPolicy) args.push(`--clean-task-policy=${spec.cleanTaskPolicy}`);
  if (spec.ttlAfterFinishedSeconds !== undefined)
    args.push(`--ttl-after-finished=${positive('convert ttl', spec.ttlAfterFinishedSeconds)}s`);
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push(`--label=${k}=${v}`);
  args.push(nonEmpty('converter command', spec.command));
  return args;
}

export interface TritonServeSpec {
  readonly name: string;
  readonly version: string;
  readonly namespace: string;
  readonly image: string;
  readonly gpus: number;
  readonly replicas: number;
  readonly pvc: string;
  readonly mountPath: string;
  /** The model repository as the pod sees it (under the mount path). */
  readonly modelRepository: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export function serveTritonArgs(spec: TritonServeSpec): string[] {
  const args = [
    'serve',
    'triton',
    `--name=${checkDns1123Label('serving name', spec.name)}`,
    `--version=${checkDns1123Label('serving version', spec.version)}`,
    `--namespace=${checkDns1123Label('namespace', spec.namespace)}`,
    `--image=${nonEmpty('serving image', spec.image)}`,
    `--gpus=${positive('serve gpus', spec.gpus, 0)}`,
    `--replicas=${positive('serve replicas', spec.replicas)}`,
    `--data=${dataFlag(spec.pvc, spec.mountPath)}`,
    `--model-repository=${nonEmpty('model repository', spec.modelRepository)}`,
    '--allow-metrics'
  ];
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push(`--label=${k}=${v}`);
  return args;
}

/** `arena delete <job>`: the job and its Helm release record (deleting only the PyTorchJob leaves the latter). */
export function deleteJobArgs(name: string, namespace: string): string[] {
  return ['delete', checkDns1123Label('job name', name), `--namespace=${checkDns1123Label('namespace', namespace)}`];
}

export function serveDeleteArgs(name: string, version: string, namespace: string): string[] {
  return [
    'serve',
    'delete',
    checkDns1123Label('serving name', name),
    `--version=${checkDns1123Label('serving version', version)}`,
    `--namespace=${checkDns1123Label('namespace', namespace)}`
  ];
}

function nonEmpty(what: string, v: string): string {
  if (v.trim() === '') throw new PipelineError('INVALID_VALUE', `${what} is empty`, `Set ${what}.`);
  return v;
}
