/**
 * The in-process contract between the sandbox's Kubernetes API server (sandbox/kube/, which owns the object
 * store) and the controllers that act like the cluster (sandbox/operator/: training operator, Deployment
 * controller, kubelet-like pod runtime, Triton simulator). Controllers never talk HTTP to the API server;
 * they use this store, and every change they make is seen by watchers exactly like a real controller's.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [key: string]: unknown;
}

/** A resource type, e.g. `{ group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' }` ('' = core). */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Thrown by the store; the API server turns it into a `Status` object. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'Forbidden' | 'BadRequest' | 'Gone',
    message: string
  ) {
    super(message);
  }
}

export interface ObjectStore {
  get(res: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  list(
    res: ResourceType,
    namespace: string | undefined,
    opts?: ListOptions
  ): { items: KubeObject[]; resourceVersion: string };
  /** Sets uid, resourceVersion, generation 1, creationTimestamp. Throws AlreadyExists. */
  create(res: ResourceType, obj: KubeObject): KubeObject;
  /** Replaces the object (spec and metadata); bumps resourceVersion, and generation when spec changed. */
  update(res: ResourceType, obj: KubeObject): KubeObject;
  /** Changes only `status` (the status subresource); bumps resourceVersion. */
  updateStatus(res: ResourceType, namespace: string | undefined, name: string, status: unknown): KubeObject;
  /**
   * Removes the object (and, for objects with owner references to it, its dependents: background GC). A bound,
   * running pod is only marked Terminating (deletionTimestamp) when graceful pod deletion is on; the kubelet
   * then removes it with `gracePeriodSeconds: 0`.
   */
  delete(
    res: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: { gracePeriodSeconds?: number }
  ): KubeObject;
  /** Every change, in order, as watchers see it. Returns an unsubscribe function. */
  subscribe(listener: (ev: WatchEvent) => void): () => void;
  /** Record a core/v1 Event about an object (as the scheduler, kubelet or a controller would). */
  recordEvent(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Container logs and network endpoints of the simulated pods (the kubelet's side of the API). */
export interface PodRuntime {
  /** Append text (complete lines, with their `\n`) to a container's log; followers see it at once. */
  appendLog(namespace: string, pod: string, container: string, text: string): void;
  /** A pod's container port is served by a local TCP server: port-forward connects there. */
  registerPort(namespace: string, pod: string, containerPort: number, localPort: number): void;
  unregisterPod(namespace: string, pod: string): void;
}
