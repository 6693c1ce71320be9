/**
 * Arena v0.15.2 applies and deletes every object through an external `arena-kubectl` found on PATH
 * (pkg/util/kubectl/kubectl.go: `kubectlCmd = []string{"arena-kubectl"}`, `exec.LookPath`, then
 * `arena-kubectl apply --namespace <ns> -f <rendered chart>` and `arena-kubectl delete <resource> --namespace <ns>`).
 * Only Arena's install.sh creates that binary. The stand-in does the same: it looks the name up as Go's
 * exec.LookPath does and really runs it (in the sandbox, the real kubectl), so a missing `arena-kubectl` fails
 * exactly as v0.15.2 does and every apply/delete reaches the API server through kubectl.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';

export const ARENA_KUBECTL = 'arena-kubectl';

/** Thrown when `arena-kubectl` cannot be run or exits non-zero; the message is what Arena's error says. */
export class KubectlError extends Error {
  constructor(
    message: string,
    /** kubectl's combined output, which Arena prints on stdout before the error (InstallApps). */
    readonly output = ''
  ) {
    super(message);
  }
}

/** Go's exec.LookPath on Unix: the first PATH entry (an empty one means ".") holding an executable regular file. */
export function lookPath(name: string, envPath = process.env.PATH ?? ''): string {
  for (const dir of envPath.split(path.delimiter)) {
    const file = path.join(dir === '' ? '.' : dir, name);
    try {
      const st = statSync(file);
      if (st.isFile() && (st.mode & 0o111) !== 0) return file;
    } catch {
      // not here
    }
  }
  // os/exec's ErrNotFound, wrapped in exec.Error: `exec: "<name>": executable file not found in $PATH`
  throw new KubectlError(`exec: ${JSON.stringify(name)}: executable file not found in $PATH`);
}

function run(args: string[]): { code: number; output: string; stdout: string } {
  const bin = lookPath(ARENA_KUBECTL);
  // kubectl.go passes os.Environ(): KUBECONFIG is the file Arena resolved (kubeclient.go sets it).
  const r = spawnSync(bin, args, { encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new KubectlError(`fork/exec ${bin}: ${r.error.message}`);
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** `arena-kubectl apply --namespace <ns> -f <file>` for one object; returns the object as the server stored it. */
export function kubectlApply(namespace: string, obj: unknown): Record<string, unknown> {
  lookPath(ARENA_KUBECTL);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'values'));
  try {
    const file = path.join(dir, 'template.yaml');
    writeFileSync(file, toYaml(obj));
    const r = run(['apply', '--namespace', namespace, '-f', file, '-o', 'json']);
    // workflow.SubmitJob prints InstallApps' output, then returns the *exec.ExitError ("exit status 1").
    if (r.code !== 0) throw new KubectlError(`exit status ${r.code}`, r.output);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A REST path of a namespaced object → kubectl's `<plural>[.<group>]/<name>` and its namespace. */
export function resourceOf(p: string): { resource: string; namespace: string } | undefined {
  const m = /^\/(?:api|apis\/([^/]+))\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/?]+)$/.exec(p);
  if (!m) return undefined;
  const [, group, ns, plural, name] = m;
  return {
    resource: `${plural}${group ? `.${group}` : ''}/${decodeURIComponent(name)}`,
    namespace: decodeURIComponent(ns)
  };
}

/**
 * `arena-kubectl delete <resource> --namespace <ns>` (UninstallAppsWithAppInfoFile / DeleteAppConfigMap):
 * true when deleted, false on kubectl's `Error from server (NotFound)`, which Arena ignores.
 */
export function kubectlDelete(resource: string, namespace: string): boolean {
  const r = run(['delete', resource, '--namespace', namespace]);
  if (r.code === 0) return true;
  if (r.output.includes('Error from server (NotFound): ')) return false;
  throw new KubectlError(r.output.trim() || `exit status ${r.code}`, r.output);
}
