/**
 * Asking Arena to delete a training job or a serving version, and reading what it answered. Arena's answer is
 * only a first step: v0.15.2 exits 0 without deleting when a job's ConfigMap is missing ("does not exist,skip
 * to delete it") and when `kubectl delete` of its objects fails (it only warns), so callers confirm through the
 * Kubernetes API (src/stages/teardown.ts). What is never done here: reading a failure to run as "not found".
 */
import { PipelineError } from '../errors.js';
import { arenaError, type ArenaRunner } from './exec.js';
import { deleteJobArgs, serveDeleteArgs } from './args.js';

/**
 * - `ran`: Arena exited 0 and said it deleted (still to be confirmed through the API);
 * - `absent`: Arena exited 0 saying the job does not exist (it may still exist: Arena looks for its ConfigMap);
 * - `failed`: Arena ran and exited non-zero, or could not run at all (no arena, no `arena-kubectl` on PATH).
 */
export type ArenaDeleteOutcome =
  | { readonly kind: 'ran' }
  | { readonly kind: 'absent'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

const SKIPPED = /does not exist,\s*skip/i;

async function arenaDelete(run: ArenaRunner, env: NodeJS.ProcessEnv, args: string[], what: string) {
  let res;
  try {
    res = await run(args, { env });
  } catch (err) {
    return { kind: 'failed', message: (err as Error).message } as const;
  }
  const text = `${res.stderr}\n${res.stdout}`;
  if (res.exitCode !== 0) return { kind: 'failed', message: arenaError(args, res, what).message } as const;
  const skipped = text.split('\n').find((l) => SKIPPED.test(l));
  if (skipped) return { kind: 'absent', message: logrusMessage(skipped) } as const;
  return { kind: 'ran' } as const;
}

/** The `msg` of a logrus line (`time="…" level=info msg="…"`), or the line as it is. */
function logrusMessage(line: string): string {
  const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return line.trim().replace(/^[A-Z]{4}\[\d+\]\s*/, '');
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

/** `arena serve delete <name> --version <v>`. */
export function deleteServingVersion(
  run: ArenaRunner,
  env: NodeJS.ProcessEnv,
  namespace: string,
  name: string,
  version: string
): Promise<ArenaDeleteOutcome> {
  return arenaDelete(run, env, serveDeleteArgs(name, version, namespace), `delete serving ${name} version ${version}`);
}

/** `arena delete <job>` (the PyTorchJob and its `<job>-pytorchjob` ConfigMap). */
export function deleteTrainingJob(
  run: ArenaRunner,
  env: NodeJS.ProcessEnv,
  namespace: string,
  name: string
): Promise<ArenaDeleteOutcome> {
  return arenaDelete(run, env, deleteJobArgs(name, namespace), `delete job ${name}`);
}

/** The error for objects neither Arena nor the API could remove. */
export function deleteFailed(what: string, arena: ArenaDeleteOutcome, apiMessage: string): PipelineError {
  return new PipelineError(
    'CLUSTER_DELETE_FAILED',
    `could not delete ${what}: ${apiMessage}${arena.kind === 'failed' ? `; arena: ${arena.message}` : ''}`,
    'Delete it by hand (kubectl delete, or arena delete / arena serve delete) and check that the kubeconfig may delete pytorchjobs, deployments, services and configmaps in the namespace.'
  );
}
