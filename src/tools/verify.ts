/** Runs an installed tool once to prove it works and is the pinned version. */
import { getExecOutput } from '@actions/exec';
import { PipelineError } from '../errors.js';

export async function toolVersionOutput(binary: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const res = await getExecOutput(binary, args, {
    silent: true,
    ignoreReturnCode: true,
    ...(env
      ? { env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string> }
      : {})
  }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: e instanceof Error ? e.message : String(e) }));
  if (res.exitCode !== 0) {
    throw new PipelineError(
      'TOOL_BROKEN',
      `${binary} ${args.join(' ')} exited with ${res.exitCode}: ${res.stderr.trim().split('\n').slice(-3).join(' ')}`,
      'The downloaded file is not a working Linux binary for this runner; check the URL template and the architecture.'
    );
  }
  return res.stdout;
}

export async function verifyKubectl(binary: string, version: string): Promise<void> {
  const out = await toolVersionOutput(binary, ['version', '--client', '-o', 'json']);
  let got: string;
  try {
    got = (JSON.parse(out) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '';
  } catch {
    got = out.trim().slice(0, 80);
  }
  if (got.replace(/^v/, '') !== version) {
    throw new PipelineError(
      'TOOL_VERSION_MISMATCH',
      `kubectl reports version ${JSON.stringify(got)}, expected v${version}`,
      'The mirror serves a different release under this version; fix the mirror or the kubectl-version input.'
    );
  }
}

/**
 * `arena version` prints `arena: v0.15.2+6853599` first (pkg/commands/version.go and version.go at v0.15.2: the
 * release is built before its tag, so the short commit follows a `+`).
 */
export function arenaVersionOf(output: string): string | undefined {
  const first = output.split('\n').find((l) => l.trim() !== '') ?? '';
  return /^\s*(?:arena:\s*)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)(?:\+\S*)?\s*$/.exec(first)?.[1];
}

export async function verifyArena(binary: string, version: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const out = await toolVersionOutput(binary, ['version'], env);
  if (arenaVersionOf(out) !== version.replace(/^v/, '')) {
    throw new PipelineError(
      'TOOL_VERSION_MISMATCH',
      `arena version printed ${JSON.stringify(out.trim().split('\n')[0]?.slice(0, 80) ?? '')}, expected ${version}`,
      'The mirror serves a different release under this version; fix the mirror or the arena-version input.'
    );
  }
}
