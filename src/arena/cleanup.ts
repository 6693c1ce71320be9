/**
 * Undoing what this run started in the cluster: a PyTorchJob it submitted, a serving version it created.
 * The stages call these on failure and cancel; the post step calls the registered handlers for records left.
 */
import type { CleanupHandler } from '../pipeline/cleanup.js';
import { arenaOrThrow, runArena, type ArenaRunner } from './exec.js';
import { deleteJobArgs, serveDeleteArgs } from './args.js';

/** `arena serve delete <name> --version <v>`; a version that is already gone counts as deleted. */
export async function deleteServingVersion(
  run: ArenaRunner,
  env: NodeJS.ProcessEnv,
  namespace: string,
  name: string,
  version: string
): Promise<boolean> {
  const args = serveDeleteArgs(name, version, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|no serving job|not exist/i.test(res.stderr + res.stdout)) return false;
  await arenaOrThrow(async () => res, args, `delete serving ${name} version ${version}`);
  return false;
}

/** `arena delete <job>` (job + release record); a job already gone counts as deleted. */
export async function deleteTrainingJob(
  run: ArenaRunner,
  env: NodeJS.ProcessEnv,
  namespace: string,
  name: string
): Promise<boolean> {
  const args = deleteJobArgs(name, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|not exist|failed to find/i.test(res.stderr + res.stdout)) return false;
  await arenaOrThrow(async () => res, args, `delete job ${name}`);
  return false;
}

/** The post step's handler for 'serving' records: delete the serving version this run created. */
export const cleanupServing: CleanupHandler<'serving'> = async (record, ctx) => {
  await deleteServingVersion(runArena, ctx.env, record.namespace, record.name, record.version);
};

/** The post step's handler for 'pytorchjob' records: delete the job this run submitted. */
export const cleanupPytorchJob: CleanupHandler<'pytorchjob'> = async (record, ctx) => {
  await deleteTrainingJob(runArena, ctx.env, record.namespace, record.name);
};
