/**
 * Reads the models file as it was at the base commit of a pull request, through git (argument arrays).
 */
import { getExecOutput } from '@actions/exec';
import { PipelineError } from '../errors.js';

const REF_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const PATH_RE = /^[A-Za-z0-9_.][A-Za-z0-9_./-]{0,255}$/;

/** The file's text at `ref`, or undefined when the file does not exist there. */
export async function readFileAtRef(ref: string, file: string, cwd: string): Promise<string | undefined> {
  if (!REF_RE.test(ref) || ref.includes('..')) {
    throw new PipelineError(
      'INPUT_INVALID',
      `input models-base-ref: "${ref.slice(0, 100)}" is not a git ref or commit`,
      'Pass the base commit sha (github.event.pull_request.base.sha).'
    );
  }
  if (!PATH_RE.test(file) || file.split('/').includes('..')) {
    throw new PipelineError(
      'INPUT_INVALID',
      `input models-file: "${file.slice(0, 100)}" is not a relative path in the workspace`,
      'Use a path like models.yaml or .github/models.yaml.'
    );
  }
  const res = await getExecOutput('git', ['show', `${ref}:${file}`], { cwd, ignoreReturnCode: true, silent: true });
  if (res.exitCode === 0) return res.stdout;
  if (/does not exist|exists on disk, but not in/.test(res.stderr)) return undefined;
  throw new PipelineError(
    'MODELS_BASE_UNREADABLE',
    `git could not read ${file} at ${ref}: ${res.stderr.trim().split('\n')[0] ?? ''}`,
    'Check out the repository with history (actions/checkout with fetch-depth: 0) so the base commit is present.'
  );
}
