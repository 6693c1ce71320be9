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

export async function verifyArena(binary: string, version: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const out = await toolVersionOutput(binary, ['version'], env);
  if (!out.includes(version)) {
    throw new PipelineError(
      'TOOL_VERSION_MISMATCH',
      `arena version printed ${JSON.stringify(out.trim().split('\n')[0]?.slice(0, 80) ?? '')}, expected ${version}`,
      'The mirror serves a different release under this version; fix the mirror or the arena-version input.'
    );
  }
}
