/**
 * What an arena call left in the cluster, read through the Kubernetes API: the check the arena adapter's retry
 * (src/arena/exec.ts, `retryingArena`) runs before it re-runs a call. It joins two adapters (arena, k8s), so it is
 * stage-level logic and lives here, not in either adapter.
 */
import type { ArenaEffect } from '../arena/exec.js';
import { servingSelector } from '../k8s/serving.js';
import { DEPLOYMENT, PYTORCHJOB, type KubeApi, type ResourceType } from '../k8s/types.js';

const CONFIGMAP: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

/** The value of `--flag=v` (or `--flag v`) in an argument list. */
function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
    if (args[i] === `--${name}`) return args[i + 1];
  }
  return undefined;
}

/**
 * What an arena call the product makes left in the cluster, through the Kubernetes API:
 * - `submit pytorchjob`: the PyTorchJob exists → done; only Arena's `<name>-pytorchjob` ConfigMap → partial;
 * - `serve triton`: a Deployment of the version → done; only its Service or ConfigMap → partial (Arena's next
 *   attempt deletes its own leftover Service, but a ConfigMap left makes it refuse);
 * - `delete <job>` / `serve delete`: the job / the version's Deployments are gone → done.
 */
export function arenaEffectChecker(api: KubeApi): (args: readonly string[]) => Promise<ArenaEffect> {
  return async (args) => {
    const ns = flag(args, 'namespace');
    if (args[0] === 'submit' && args[1] === 'pytorchjob') {
      const name = flag(args, 'name')!;
      if (await api.get(PYTORCHJOB, ns, name)) return { kind: 'done', what: `PyTorchJob ${name}` };
      if (await api.get(CONFIGMAP, ns, `${name}-pytorchjob`))
        return { kind: 'partial', what: `ConfigMap ${name}-pytorchjob` };
      return { kind: 'absent' };
    }
    if (args[0] === 'serve' && args[1] === 'triton') {
      const name = flag(args, 'name')!;
      const version = flag(args, 'version')!;
      const deps = await api.list(DEPLOYMENT, ns, { labelSelector: servingSelector(name, version) });
      if (deps.items.length > 0) return { kind: 'done', what: `Deployment ${deps.items[0].metadata.name}` };
      if (await api.get(CONFIGMAP, ns, `${name}-${version}-triton-serving`))
        return { kind: 'partial', what: `ConfigMap ${name}-${version}-triton-serving` };
      return { kind: 'absent' };
    }
    if (args[0] === 'delete') {
      return (await api.get(PYTORCHJOB, ns, args[1]))
        ? { kind: 'absent' }
        : { kind: 'done', what: `PyTorchJob ${args[1]} gone` };
    }
    if (args[0] === 'serve' && args[1] === 'delete') {
      const version = flag(args, 'version');
      const deps = await api.list(DEPLOYMENT, ns, { labelSelector: servingSelector(args[2], version) });
      return deps.items.length > 0 ? { kind: 'absent' } : { kind: 'done', what: `serving ${args[2]} gone` };
    }
    // a verb not listed: nothing known about it, so never run again
    return { kind: 'partial', what: 'an unknown state (no check for this command)' };
  };
}
