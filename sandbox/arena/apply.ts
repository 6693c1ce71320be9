/**
 * Arena's step "create the application" (kubeflow/arena v0.15.2 pkg/workflow/workflow.go SubmitJob, steps 5–6):
 * delete what an earlier attempt left of the app's objects, then `kubectl apply -f <template>` run through
 * CombinedOutput, whose output Arena prints on stdout whatever happened (`fmt.Printf("%s", result)`). When the
 * apply fails, Arena deletes the app's ConfigMap, logs that and a warning, and returns kubectl's exit error, which
 * main prints as its one `level=error` line: `exit status 1`.
 */
import os from 'node:os';
import path from 'node:path';
import { ArenaError, CORE, KubeCallError, type KubeClient } from './kube.js';
import { KubectlError } from './kubectl.js';
import type { Io } from './training.js';

export interface AppObject {
  /** Collection path (POST target). */
  readonly collection: string;
  readonly name: string;
  /** kubectl's `<resource>/<name>` label, e.g. `deployment.apps/x`. */
  readonly label: string;
  readonly obj: unknown;
}

/** How kubectl prints a failed create of an object from `file`. */
export function kubectlCreateError(e: KubeCallError, file: string): string {
  if (e.status === 0) return `Unable to connect to the server: ${e.message}\n`;
  return `Error from server (${e.reason}): error when creating "${file}": ${e.message}\n`;
}

/** Creates the objects as `kubectl apply` would, or fails as Arena does (see above). Returns what was created. */
export async function installApps(
  client: KubeClient,
  io: Io,
  app: { namespace: string; jobName: string; configMap: string; objects: readonly AppObject[] }
): Promise<Record<string, unknown>[]> {
  const file = path.join(os.tmpdir(), `${app.jobName}-template.yaml`);
  // step 5: UninstallAppsWithAppInfoFile (objects of an earlier, failed attempt; absent ones are ignored)
  for (const o of app.objects) await client.remove(`${o.collection}/${encodeURIComponent(o.name)}`).catch(() => false);
  let out = '';
  let failed = false;
  const created: Record<string, unknown>[] = [];
  for (const o of app.objects) {
    try {
      created.push(await client.create(o.collection, o.obj));
      out += `${o.label} created\n`;
    } catch (e) {
      // arena-kubectl ran and failed: its own output (kubectl's `Error from server …`) is what Arena prints
      if (e instanceof KubectlError && e.output !== '') out += e.output.endsWith('\n') ? e.output : `${e.output}\n`;
      else if (e instanceof KubeCallError) out += kubectlCreateError(e, file);
      else throw e;
      failed = true;
    }
  }
  io.out(out);
  if (!failed) return created;
  try {
    await client.remove(`${CORE(app.namespace, 'configmaps')}/${encodeURIComponent(app.configMap)}`);
    io.log(
      'info',
      `Successfully clean up the config map ${app.configMap} in namespace ${app.namespace} because creating application failed.`
    );
  } catch (e) {
    io.log(
      'error',
      `Failed to clean up configmap ${app.configMap} in namespace ${app.namespace}, error: ${(e as Error).message}`
    );
  }
  io.log('warning', `Please clean up the ${app.jobName} job`);
  throw new ArenaError('exit status 1');
}
