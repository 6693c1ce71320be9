/**
 * Arena: an installer tarball `arena-installer-<ver>-linux-<arch>.tar.gz` holding `<top>/bin/{arena,kubectl,helm,…}`,
 * `<top>/charts/`, `arena-artifacts/` and `install.sh`. Cached as the unpacked directory; install.sh is not run
 * (it needs root): arena-layout.ts does what it does for `--only-binary`, without root. Its bin/ is NOT put on
 * PATH, because its kubectl (v1.28) and helm would shadow the pinned kubectl.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import type { ToolSpec } from '../config/types.js';
import { PipelineError } from '../errors.js';
import { expandTemplate, type Arch, type ToolSource } from './install.js';
import { OFFICIAL_URL_TEMPLATE } from '../util/tool-urls.js';

export const OFFICIAL_ARENA_TEMPLATE = OFFICIAL_URL_TEMPLATE.arena;

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false
  );
}

/** The directory in an unpacked installer that holds bin/arena (the top folder, or the root itself). */
export async function findArenaRoot(extracted: string): Promise<string | undefined> {
  if (await isFile(path.join(extracted, 'bin', 'arena'))) return extracted;
  for (const entry of await readdir(extracted, { withFileTypes: true })) {
    if (entry.isDirectory() && (await isFile(path.join(extracted, entry.name, 'bin', 'arena')))) {
      return path.join(extracted, entry.name);
    }
  }
  return undefined;
}

/**
 * sha256 of official release assets, shipped with the action: only digests established from a public source may
 * go here (never computed from a download we made ourselves). Arena's releases publish no checksum file (v0.15.2
 * .github/workflows/release.yaml uploads only the tarballs) and no public record of the v0.15.2 digests was found,
 * so the table is empty: such downloads are reported NOT verified unless `arena-sha256` is given.
 */
export const SHIPPED_ARENA_SHA256: Readonly<Record<string, Partial<Record<Arch, string>>>> = {};

export function arenaSource(
  spec: ToolSpec,
  arch: Arch,
  shipped: Readonly<Record<string, Partial<Record<Arch, string>>>> = SHIPPED_ARENA_SHA256
): ToolSource {
  const url = expandTemplate(spec.urlTemplate, spec.version, arch);
  // A shipped digest is the official asset's: it applies to a mirror too (a mirror must serve the same bytes).
  const shippedSha256 = shipped[spec.version]?.[arch];
  return {
    tool: 'arena',
    version: spec.version,
    arch,
    url,
    ...(spec.sha256 ? { sha256: spec.sha256 } : {}),
    ...(shippedSha256 ? { shippedSha256 } : {}),
    shaInput: 'arena-sha256',
    addToPath: false,
    mirror: spec.urlTemplate !== OFFICIAL_ARENA_TEMPLATE,
    binDir: 'bin',
    binary: 'arena',
    async unpack(file, workDir) {
      const out = await tc.extractTar(file, path.join(workDir, 'arena-extract'));
      const root = await findArenaRoot(out);
      if (!root) {
        throw new PipelineError(
          'TOOL_ARCHIVE_INVALID',
          `The Arena installer from ${url} has no bin/arena`,
          'Point arena-url at an arena-installer-<version>-linux-<arch>.tar.gz release asset.'
        );
      }
      return root;
    }
  };
}
