/**
 * Removing a training job or a serving version: ask Arena (so its own bookkeeping goes too), then make sure
 * through the Kubernetes API that every object it created is gone, deleting what Arena left. Used by convert's
 * replace and cancel paths, deploy's replace and rollback, smoke's retirement of old versions and the cleanup after an unfinished run (src/composition/cleanup.ts).
 * "Already gone" (nothing existed) is told apart from "could not delete" (an error naming what remains).
 */
import type { Logger } from '../pipeline/types.js';
import { deleteFailed, deleteServingVersion, deleteTrainingJob, type ArenaDeleteOutcome } from '../arena/cleanup.js';
import type { ArenaRunner } from '../arena/exec.js';
import {
  deleteLeftovers,
  describeObject,
  servingObjects,
  trainingJobObjects,
  type ArenaObject
} from '../k8s/arena-objects.js';
import type { KubeApi } from '../k8s/types.js';

export interface TeardownDeps {
  readonly arena: ArenaRunner;
  readonly api: KubeApi;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Pick<Logger, 'info' | 'warning'>;
}

/** `deleted`: something existed and is gone now; `already-gone`: nothing of it existed. */
export type TeardownResult = 'deleted' | 'already-gone';

async function teardown(
  d: TeardownDeps,
  namespace: string,
  what: string,
  objects: readonly ArenaObject[],
  viaArena: () => Promise<ArenaDeleteOutcome>
): Promise<TeardownResult> {
  const arena = await viaArena();
  if (arena.kind === 'failed')
    d.log.warning(`arena could not delete ${what} (${arena.message}); deleting it through the Kubernetes API`);
  let res: Awaited<ReturnType<typeof deleteLeftovers>>;
  try {
    res = await deleteLeftovers(d.api, namespace, objects);
  } catch (err) {
    throw deleteFailed(what, arena, (err as Error).message);
  }
  if (res.deleted.length > 0 && arena.kind !== 'failed') {
    const said = arena.kind === 'absent' ? `arena said "${arena.message}"` : 'arena exited 0';
    d.log.warning(
      `${said}, yet ${res.deleted.map(describeObject).join(', ')} remained (${what}); deleted through the Kubernetes API`
    );
  }
  return arena.kind === 'ran' || res.present.length > 0 ? 'deleted' : 'already-gone';
}

/** `arena delete <job>`, then the PyTorchJob and its ConfigMap confirmed gone. */
export function removeTrainingJob(d: TeardownDeps, namespace: string, name: string): Promise<TeardownResult> {
  return teardown(d, namespace, `PyTorchJob ${namespace}/${name}`, trainingJobObjects(name), () =>
    deleteTrainingJob(d.arena, d.env, namespace, name)
  );
}

/** `arena serve delete <name> --version <v>`, then its Deployment, Service and ConfigMap confirmed gone. */
export function removeServingVersion(
  d: TeardownDeps,
  namespace: string,
  name: string,
  version: string
): Promise<TeardownResult> {
  return teardown(d, namespace, `serving ${namespace}/${name} version ${version}`, servingObjects(name, version), () =>
    deleteServingVersion(d.arena, d.env, namespace, name, version)
  );
}
