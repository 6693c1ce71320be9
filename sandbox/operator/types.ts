/** Public shapes of the operator: its options, its handle, and the Triton simulator hook. */
import type { ScenarioClock } from '../clock.js';
import type { ObjectStore, PodRuntime } from '../kube/contract.js';
import type { Scenario } from './scenarios.js';
import type { ProcessImage } from './process.js';

/**
 * Starts the Triton simulator for one `tritonserver` container (implemented in sandbox/triton/).
 * `args` are the server's flags (`--model-repository=/mnt/...`, `--http-port=8000`, ...) without the binary.
 * `ports` maps container ports to the local ports serving them. When `exited` resolves (the process ended on
 * its own: a crash), the kubelet restarts the container with back-off.
 */
export type StartTriton = (o: {
  namespace: string;
  pod: string;
  args: string[];
  gpus: number;
  resolvePodPath: (p: string) => { bucket: string; key: string } | undefined;
  log: (line: string) => void;
  /** The `degrade-under-load` scenario's degradation for this pod. */
  degrade?: { afterRequests: number; failEvery: number; latencyFactor: number };
}) => Promise<{ ports: Record<number, number>; stop(): Promise<void>; exited?: Promise<number> }>;

export interface OperatorOptions {
  store: ObjectStore;
  pods: PodRuntime;
  clock: ScenarioClock;
  oss: { endpoint: string; bucket: string; region: string; accessKeyId: string; accessKeySecret: string };
  /** Default: 2 nodes with 2 GPUs each and 1 CPU-only node. */
  nodes?: { name: string; gpus: number }[];
  /** Images the "registry" has. Default: `*.cr.aliyuncs.com/kube-ai/*`, `nvcr.io/nvidia/tritonserver*`, `sandbox/*`. */
  imageAllowlist?: RegExp[];
  startTriton?: StartTriton;
  /** Which PyTorchJob controller the cluster runs (default the Kubeflow training-operator); see README.md. */
  flavor?: OperatorFlavor;
  /**
   * Images whose containers run as real child processes of a host command (the image's entrypoint), keyed by
   * image or repository: `{ 'ghcr.io/org/arena-ft-pipeline-sync': { command: [process.execPath, 'dist/cli/index.js'] } }`.
   * Such images are always pullable. See README.md "Images that run for real".
   */
  images?: Record<string, ProcessImage>;
}

/**
 * `training-operator`: Kubeflow's training-operator (pods labelled `training.kubeflow.org/*`).
 * `pytorch-operator`: the older kubeflow/pytorch-operator that Arena's own `arena-artifacts` chart installs
 * (pods labelled `group-name`, `pytorch-job-name`, `pytorch-replica-type`, `pytorch-replica-index`, `job-role`).
 */
export type OperatorFlavor = 'training-operator' | 'pytorch-operator';

export interface OperatorHandle {
  setScenario(s: Scenario): void;
  clearScenarios(): void;
  /** Switch the PyTorchJob controller's flavor; jobs created from now on get its labels. */
  setFlavor(f: OperatorFlavor): void;
  stop(): Promise<void>;
}

export const DEFAULT_IMAGE_ALLOWLIST: RegExp[] = [
  /^[a-z0-9-]+(\.[a-z0-9-]+)*\.cr\.aliyuncs\.com\/kube-ai\/[^\s]+$/,
  /^nvcr\.io\/nvidia\/tritonserver(:[^\s]+)?$/,
  /^(docker\.io\/)?sandbox\/[^\s]+$/
];

/** Scenario seconds the simulated cluster takes for routine steps (multiplied by a 'slow' scenario). */
export const DURATIONS = {
  schedule: 0.5,
  pullImage: 6,
  createContainer: 1,
  mountRetry: 2,
  unschedulableRetry: 30,
  crashLoopDefault: 2
};
