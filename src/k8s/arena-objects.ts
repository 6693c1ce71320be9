/**
 * The Kubernetes objects Arena v0.15.2 creates for a training job and a Triton serving version, named as its
 * charts and `pkg/workflow` name them, and the API-side check that they are gone. Arena's own exit code cannot
 * be trusted for this: `arena delete` exits 0 without deleting when the job's ConfigMap is missing, and
 * `arena serve delete` exits 0 when the Deployment is missing even if its ConfigMap and Service remain.
 */
import { CONFIGMAP, DEPLOYMENT, PYTORCHJOB, SERVICE, type KubeApi, type ResourceType } from './types.js';

export interface ArenaObject {
  readonly type: ResourceType;
  readonly name: string;
}

/** `arena submit pytorchjob --name <job>`: the PyTorchJob and the `<job>-pytorchjob` ConfigMap (values, app list). */
export function trainingJobObjects(job: string): ArenaObject[] {
  return [
    { type: PYTORCHJOB, name: job },
    { type: CONFIGMAP, name: `${job}-pytorchjob` }
  ];
}

/** `arena serve triton --name <n> --version <v>`: Deployment and Service of the release, and its ConfigMap. */
export function servingObjects(name: string, version: string): ArenaObject[] {
  const fullname = `${name}-${version}-tritoninferenceserver`;
  return [
    { type: DEPLOYMENT, name: fullname },
    { type: SERVICE, name: fullname },
    { type: CONFIGMAP, name: servingConfigMapName(name, version) }
  ];
}

export const servingConfigMapName = (name: string, version: string) => `${name}-${version}-triton-serving`;

/**
 * The pods of an Arena training job, by the labels Arena's pytorchjob chart puts on every pod template
 * (`release`, `app`). Both the Kubeflow training-operator (`training.kubeflow.org/job-name`) and the older
 * pytorch-operator Arena's installer deploys (`pytorch-job-name`, `group-name`) keep them; Arena itself lists
 * pods with this selector (kubeflow/arena v0.15.2 pkg/training/trainer_pytorch.go:287).
 */
export const trainingJobPodSelector = (job: string) => `release=${job},app=pytorchjob`;

export const describeObject = (o: ArenaObject) => `${o.type.kind} ${o.name}`;

/**
 * Deletes through the API whichever of `objects` still exists (and is not already being deleted), then reads
 * each again. Resolves with what had to be deleted here and what was there at all; rejects (KubeApiError) when
 * the API refuses, and with an Error naming the objects that are still there after the deletes.
 */
export async function deleteLeftovers(
  api: KubeApi,
  namespace: string,
  objects: readonly ArenaObject[]
): Promise<{ present: ArenaObject[]; deleted: ArenaObject[] }> {
  const present: ArenaObject[] = [];
  const deleted: ArenaObject[] = [];
  for (const o of objects) {
    const cur = await api.get(o.type, namespace, o.name);
    if (!cur) continue;
    present.push(o);
    if (cur.metadata.deletionTimestamp) continue; // on its way out (finalizers, graceful deletion)
    if (await api.delete(o.type, namespace, o.name)) deleted.push(o);
  }
  const still: ArenaObject[] = [];
  for (const o of present) {
    const cur = await api.get(o.type, namespace, o.name);
    if (cur && !cur.metadata.deletionTimestamp) still.push(o);
  }
  if (still.length > 0) throw new Error(`${still.map(describeObject).join(', ')} still exist after DELETE`);
  return { present, deleted };
}
