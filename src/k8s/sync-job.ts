/**
 * The cluster-mode sync's objects: an Indexed `batch/v1` Job (one completion per shard, a per-index retry
 * budget), the ConfigMap holding the shard plan and the Secret holding the credentials. Pure builders with plain
 * options; the names are validated here once more, since they reach the API server.
 *
 * Credentials reach the container only through `envFrom: secretRef` (never in args or env literals); the plan
 * through a `configMapKeyRef`; the completion index through the `JOB_COMPLETION_INDEX` the Job controller adds.
 */
import { MANAGED_BY, type KObj } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Label every object of one sync carries (the runner selects the Job's pods and the leftovers by it). */
export const SYNC_LABEL = 'arena-ft-pipeline/sync';
/** The pod label the Job controller sets to the completion index. */
export const INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
export const SYNC_CONTAINER = 'sync';

export interface SyncJobOptions {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly completions: number;
  readonly parallelism: number;
  readonly backoffLimitPerIndex: number;
  /** The env name the plan is read from, and the ConfigMap key holding it. */
  readonly planEnv: string;
  readonly planKey: string;
}

export const syncObjectNames = (job: string) => ({ secret: `${job}-env`, configMap: `${job}-plan` });

/** Throws when `name` could not name the Job and its objects (`<name>-<completions-1>` must be a DNS label). */
export function checkSyncJobName(name: string, completions: number): void {
  const longest = `${name}-${completions - 1}`;
  if (!DNS_LABEL.test(name) || longest.length > 63 || `${name}-plan`.length > 63) {
    throw new Error(`sync Job name "${name}" is not a DNS-1123 label that leaves room for "-${completions - 1}"`);
  }
}

const labels = (name: string) => ({ ...MANAGED_BY, [SYNC_LABEL]: name });

export function syncJob(o: SyncJobOptions): KObj {
  checkSyncJobName(o.name, o.completions);
  const names = syncObjectNames(o.name);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, namespace: o.namespace, labels: labels(o.name) },
    spec: {
      completionMode: 'Indexed',
      completions: o.completions,
      parallelism: Math.min(o.parallelism, o.completions),
      backoffLimitPerIndex: o.backoffLimitPerIndex,
      template: {
        metadata: { labels: labels(o.name) },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: SYNC_CONTAINER,
              image: o.image,
              // the image's entrypoint is the CLI; the subcommand is the only argument
              args: ['sync-shard'],
              env: [{ name: o.planEnv, valueFrom: { configMapKeyRef: { name: names.configMap, key: o.planKey } } }],
              envFrom: [{ secretRef: { name: names.secret } }],
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } }
            }
          ]
        }
      }
    }
  };
}

export function syncPlanConfigMap(job: string, namespace: string, key: string, plan: string): KObj {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: syncObjectNames(job).configMap, namespace, labels: labels(job) },
    data: { [key]: plan }
  };
}

/** The credentials as env names → values (only the non-empty ones). */
export function syncSecret(job: string, namespace: string, env: Readonly<Record<string, string | undefined>>): KObj {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: syncObjectNames(job).secret, namespace, labels: labels(job) },
    type: 'Opaque',
    data
  };
}

/** `ownerReferences` making `obj` go with the Job (the garbage collector deletes it when the Job is deleted). */
export function ownedByJob(obj: KObj, job: KObj): KObj {
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid }]
    }
  };
}

/** Completion index of a Job pod (label, else annotation). */
export function podIndex(pod: KObj): number | undefined {
  const v = pod.metadata.labels?.[INDEX_LABEL] ?? pod.metadata.annotations?.[INDEX_LABEL];
  return v === undefined ? undefined : Number(v);
}

/** Parses `completedIndexes`/`failedIndexes` ("1,3-5,7") into indexes. */
export function parseIndexes(s: string | undefined): number[] {
  if (!s) return [];
  return s.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    if (b === undefined) return [a];
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
