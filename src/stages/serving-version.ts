/**
 * What deploy and smoke both do to the serving version of this run: find it, refuse one of another lineage, and
 * delete it when it fails (the previous versions keep serving). Shared here so neither stage imports the other.
 */
import type { Config } from '../config/types.js';
import { PipelineError } from '../errors.js';
import type { StageContext } from '../pipeline/types.js';
import { stageArena, type ClusterDeps } from './deps.js';
import { servingSelector } from '../k8s/serving.js';
import { DEPLOYMENT, type KObj, type KubeApi } from '../k8s/types.js';
import { removeServingVersion, type TeardownDeps } from './teardown.js';
import { replaceConflict } from './lineage.js';

/** The cleanup record of the serving version this run deploys. */
export interface ServingRecord {
  readonly kind: 'serving';
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
}

export function servingRecord(cfg: Config): ServingRecord {
  return { kind: 'serving', namespace: cfg.cluster.namespace, name: cfg.serve.name, version: cfg.serve.version };
}

/** The Deployment of this run's serving version, if there is one. */
export async function findServing(api: KubeApi, cfg: Config): Promise<KObj | undefined> {
  const { items } = await api.list(DEPLOYMENT, cfg.cluster.namespace, {
    labelSelector: servingSelector(cfg.serve.name, cfg.serve.version)
  });
  return items[0];
}

/** Refuses to touch a serving version of another lineage (a preview whose version is a release's). */
export async function checkLineage(api: KubeApi, cfg: Config): Promise<void> {
  const existing = await findServing(api, cfg);
  const why = existing && replaceConflict(existing, cfg.lineage);
  if (why) {
    throw new PipelineError(
      'DEPLOY_LINEAGE_CONFLICT',
      `serving ${cfg.serve.name} version ${cfg.serve.version} already exists and ${why}; it was left alone`,
      'Give this run its own version (previews: a version suffix such as -pr42) or deploy it from the lineage that made it.'
    );
  }
}

export function teardownDeps(deps: ClusterDeps, api: KubeApi, ctx: StageContext): TeardownDeps {
  return { arena: stageArena(deps, api), api, env: ctx.env, log: ctx.log };
}

/** Deletes the serving version this run is deploying (the previous versions keep serving). */
export async function rollback(deps: ClusterDeps, ctx: StageContext, record: ServingRecord): Promise<void> {
  try {
    await removeServingVersion(
      teardownDeps(deps, deps.kube(ctx).api, ctx),
      record.namespace,
      record.name,
      record.version
    );
    ctx.log.warning(`Rolled back: deleted serving ${record.name} version ${record.version}`);
    ctx.cleanup.remove(record);
  } catch (e) {
    ctx.log.warning(`Could not delete serving ${record.name} version ${record.version}: ${(e as Error).message}`);
  }
}
