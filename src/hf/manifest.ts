/**
 * What a finished sync wrote (`.sync-manifest.json`, written last) and the object metadata that lets a later run
 * tell an object is already there. Pure functions.
 */
import type { HubFile } from './client.js';

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  /** Empty only for a non-LFS file larger than a part (its metadata was set before its sha256 was known). */
  readonly sha256: string;
  readonly gitOid: string;
  readonly lfs: boolean;
}

export interface SyncManifest {
  readonly version: 1;
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly syncedAt: string;
  readonly files: readonly ManifestFile[];
}

export function buildManifest(
  repo: string,
  revision: string,
  commit: string,
  files: readonly { file: HubFile; sha256: string }[],
  now: Date
): SyncManifest {
  return {
    version: 1,
    repo,
    revision,
    commit,
    syncedAt: now.toISOString(),
    files: files
      .map(({ file, sha256 }) => ({
        path: file.path,
        size: file.size,
        sha256,
        gitOid: file.gitOid,
        lfs: file.sha256 !== undefined
      }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  };
}

/** The manifest, or undefined when the text is not one (a broken manifest means "sync again"). */
export function parseManifest(text: string | undefined): SyncManifest | undefined {
  if (!text) return undefined;
  try {
    const m = JSON.parse(text) as SyncManifest;
    const ok =
      m?.version === 1 &&
      typeof m.commit === 'string' &&
      Array.isArray(m.files) &&
      m.files.every(
        (f) =>
          typeof f.path === 'string' &&
          Number.isSafeInteger(f.size) &&
          /^([0-9a-f]{64})?$/.test(f.sha256) &&
          typeof f.gitOid === 'string'
      );
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The hub's own identity of a file's content: sha256 for LFS files, git blob sha1 otherwise. */
const sameContent = (m: ManifestFile, f: HubFile): boolean =>
  m.size === f.size && (f.sha256 !== undefined ? m.sha256 === f.sha256 : m.gitOid === f.gitOid);

/** The manifest is of this commit and lists every selected file with the same content. */
export function manifestCovers(m: SyncManifest, commit: string, selected: readonly HubFile[]): boolean {
  if (m.commit !== commit) return false;
  const byPath = new Map(m.files.map((f) => [f.path, f]));
  return selected.every((f) => {
    const e = byPath.get(f.path);
    return e !== undefined && sameContent(e, f);
  });
}

/** `x-oss-meta-*` of a synced object (lower-case names; values are ASCII). */
export function objectMeta(file: HubFile, sha256: string, commit: string): Record<string, string> {
  return { sha256, 'hf-commit': commit, size: String(file.size), 'git-oid': file.gitOid };
}

/** An object whose size and recorded hash say it already holds this file's content. */
export function objectHolds(
  head: { size: number; meta: Readonly<Record<string, string>> } | undefined,
  file: HubFile
): boolean {
  if (!head || head.size !== file.size) return false;
  return file.sha256 !== undefined ? head.meta.sha256 === file.sha256 : head.meta['git-oid'] === file.gitOid;
}

/** For a file, an object of an earlier synced commit holding the same content (server-side copy source). */
export function findEarlierCopy(
  manifests: readonly { prefix: string; manifest: SyncManifest }[],
  file: HubFile
): { key: string; sha256: string } | undefined {
  for (const { prefix, manifest } of manifests) {
    const same = manifest.files.find((m) => sameContent(m, file));
    if (same) return { key: prefix + same.path, sha256: same.sha256 };
  }
  return undefined;
}
