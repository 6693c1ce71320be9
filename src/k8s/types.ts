/**
 * The slice of the Kubernetes API the stages use, as plain JSON objects (what the API server sends), behind one
 * interface so the wait primitive, the log follower and the diagnosis are tested without a server.
 */
import type { Writable } from 'node:stream';
import { PipelineError } from '../errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const SECRET: ResourceType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
export const PV: ResourceType = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  namespaced: false
};
export const PVC: ResourceType = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  namespaced: true
};
export const POD: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
export const EVENT: ResourceType = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true };
export const DEPLOYMENT: ResourceType = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true
};
export const CONFIGMAP: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
export const SERVICE: ResourceType = { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true };
export const JOB: ResourceType = { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true };
export const PYTORCHJOB: ResourceType = {
  apiVersion: 'kubeflow.org/v1',
  kind: 'PyTorchJob',
  plural: 'pytorchjobs',
  namespaced: true
};

export interface Selector {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

export interface LogRequest {
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly sinceTime?: string;
  readonly timestamps?: boolean;
}

/** What the product asks of the API server. Errors are `KubeApiError`. */
export interface KubeApi {
  get(type: ResourceType, namespace: string | undefined, name: string): Promise<KObj | undefined>;
  list(
    type: ResourceType,
    namespace: string | undefined,
    sel?: Selector
  ): Promise<{ items: KObj[]; resourceVersion: string }>;
  /**
   * Streams changes after `resourceVersion`. `onEvent` gets every line (ERROR events carry a Status);
   * `onDone` is called once when the stream ends (err undefined: closed by the server).
   */
  watch(
    type: ResourceType,
    namespace: string | undefined,
    opts: Selector & { resourceVersion: string },
    onEvent: (type: WatchEventType, obj: KObj) => void,
    onDone: (err?: unknown) => void
  ): Promise<WatchHandle>;
  /** Server-side apply with the product's field manager; returns the object as stored. */
  apply(obj: KObj, opts?: { dryRun?: boolean; force?: boolean }): Promise<KObj>;
  /** Deletes; false when it was not there. */
  delete(type: ResourceType, namespace: string | undefined, name: string): Promise<boolean>;
  /** Streams a container's log into `out` until it ends (`done` settles then) or `abort` is called. */
  log(
    namespace: string,
    pod: string,
    container: string,
    req: LogRequest,
    out: Writable
  ): Promise<{ abort(): void; done: Promise<void> }>;
}

/** An API failure with the HTTP status (0 when the request never got an answer) and the Status reason. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    opts: { cause?: unknown } = {}
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeApiError';
  }
}

export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

/** Worth another try: the server or the connection failed, not the request. */
export function isTransient(err: unknown): boolean {
  // an error already explained to the user (e.g. a 403 naming the rule to grant) is final
  if (err instanceof PipelineError) return false;
  if (err instanceof KubeApiError) return err.status === 0 || err.status === 429 || err.status >= 500;
  return true;
}

/** Labels and field manager that mark objects as the action's. */
export const FIELD_MANAGER = 'arena-ft-pipeline';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'arena-ft-pipeline' } as const;

/** Attempts per API request, the first included (also the budget of a transient `arena` failure). */
export const KUBE_ATTEMPTS = 5;
