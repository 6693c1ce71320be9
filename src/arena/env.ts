/**
 * The environment of every arena process the product starts (why: src/tools/arena-layout.ts). Here, beside the
 * runner, so that the arena adapter needs nothing from the tools adapter.
 */
import path from 'node:path';

/** Exported by setup: the HOME (holding `charts`) that the product's arena processes run with. */
export const ARENA_HOME_VAR = 'ARENA_FT_ARENA_HOME';

/**
 * The environment an arena process of the product gets: HOME is the run's own (its `charts` is the pinned
 * version's) and KUBECONFIG explicit, so neither the user's `~/charts` nor `$HOME/.kube/config` lookups change.
 * Without ARENA_FT_ARENA_HOME (setup did not run in this job) the environment is used as it is.
 */
export function arenaChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const arenaHome = env[ARENA_HOME_VAR];
  if (!arenaHome) return env;
  const kubeconfig = env.KUBECONFIG || (env.HOME ? path.join(env.HOME, '.kube', 'config') : undefined);
  return { ...env, HOME: arenaHome, ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}) };
}
