/** What the controllers share: the store, the clock, the scheduler, scenarios and callbacks between them. */
import type { ScenarioClock } from '../clock.js';
import type { KubeObject, ObjectStore, PodRuntime } from '../kube/contract.js';
import type { OssClients } from './oss-fs.js';
import type { ScenarioBook } from './scenarios.js';
import type { Scheduler } from './scheduler.js';
import type { StartTriton } from './types.js';
import type { ProcessImage } from './process.js';

export interface OperatorContext {
  store: ObjectStore;
  pods: PodRuntime;
  clock: ScenarioClock;
  scheduler: Scheduler;
  scenarios: ScenarioBook;
  oss: OssClients;
  startTriton?: StartTriton;
  /** node|image pairs already pulled. */
  imageCache: Set<string>;
  imageAllowed(image: string): boolean;
  /** Images that run as real host processes (see process.ts). */
  images?: Record<string, ProcessImage>;
  /** The PyTorchJob or Deployment a pod belongs to (scenarios match on it), else the pod's own name. */
  ownerName(pod: KubeObject): string;
  /** Wake every pod worker waiting on a resource (GPUs freed, claims bound, Secrets created). */
  pokeAll(): void;
  /** A pod reached Succeeded or Failed. */
  podFinished(pod: KubeObject): void;
  reportError(where: string, err: unknown): void;
}
