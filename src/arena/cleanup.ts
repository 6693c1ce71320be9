/**
 * Undoing what this run started in the cluster: a PyTorchJob it submitted, a serving version it created.
 * The stages call these on failure and cancel; the post step calls the registered handlers for records left.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { CleanupHandler } from '../pipeline/cleanup.js';
import { ClientNodeKubeApi } from '../k8s/client.js';
import { PYTORCHJOB } from '../k8s/types.js';
import { arenaOrThrow, runArena, type ArenaRunner } from './exec.js';
import { serveDeleteArgs } from './args.js';

/** `arena serve delete <name> --version <v>`; a version that is already gone counts as deleted. */
export async function deleteServingVersion(run: ArenaRunner, env: NodeJS.ProcessEnv, namespace: string, name: string, version: string): Promise<boolean> {
  const args = serveDeleteArgs(name, version, namespace);
  const res = await run(args, { env });
  if (res.exitCode === 0) return true;
  if (/not found|no serving job|not exist/i.test(res.stderr + res.stdout)) return false;
  await arenaOrThrow(async () => res, args, `delete serving ${name} version ${version}`);
  return false;
}

/** The post step's handler for 'serving' records: delete the serving version this run created. */
export const cleanupServing: CleanupHandler<'serving'> = async (record, ctx) => {
  await deleteServingVersion(runArena, ctx.env, record.namespace, record.name, record.version);
};

/** The post step's handler for 'pytorchjob' records: delete the job this run submitted (API, via KUBECONFIG). */
export const cleanupPytorchJob: CleanupHandler<'pytorchjob'> = async (record, ctx) => {
  const kc = new KubeConfig();
  if (ctx.env.KUBECONFIG) kc.loadFromFile(ctx.env.KUBECONFIG.split(':')[0]);
  else kc.loadFromDefault();
  await new ClientNodeKubeApi(kc).delete(PYTORCHJOB, record.namespace, record.name);
};

/** Registers both handlers with the pipeline's cleanup registry (the post step calls this once). */
export async function registerClusterCleanup(): Promise<void> {
  const { registerCleanupHandler } = await import('../pipeline/cleanup.js');
  registerCleanupHandler('serving', cleanupServing);
  registerCleanupHandler('pytorchjob', cleanupPytorchJob);
}
