/**
 * Repo file paths come from the hub's tree listing, i.e. from outside: each one is checked before it becomes
 * part of an OSS key (and later a path inside a pod), so a listing can never address anything outside the
 * commit's prefix.
 */
import { PipelineError } from '../errors.js';

/** Why `p` is not a safe relative repo path, or undefined when it is. */
export function unsafePathReason(p: string): string | undefined {
  if (p === '') return 'it is empty';
  if (p.includes('\0')) return 'it contains a NUL byte';
  if (p.includes('\\')) return 'it contains a backslash';
  if (p.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(p)) return 'it starts with a drive letter';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(p)) return 'it contains a control character';
  for (const seg of p.split('/')) {
    if (seg === '') return 'it has an empty segment';
    if (seg === '..') return 'it has a ".." segment';
    if (seg === '.') return 'it has a "." segment';
  }
  return undefined;
}

export function assertSafeRepoPath(repo: string, p: string): string {
  const reason = unsafePathReason(p);
  if (reason !== undefined) {
    throw new PipelineError(
      'HF_UNSAFE_PATH',
      `The file list of ${repo} contains the path ${JSON.stringify(p)}, which is not a safe relative path: ${reason}.`,
      'Nothing was uploaded. Every listed path is checked before any file is selected, so hf-exclude cannot skip it: check the hf-endpoint input (a mirror may be misbehaving) or report the repository to its owner.'
    );
  }
  return p;
}

/** `refs/pr/1` → `refs%2Fpr%2F1`; each path segment encoded, slashes kept. */
export const encodeRevision = (rev: string): string => encodeURIComponent(rev);
export const encodeRepoPath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
