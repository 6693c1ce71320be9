/**
 * Arena: an installer tarball `arena-installer-<ver>-linux-<arch>.tar.gz` holding `<top>/bin/arena` and
 * `<top>/charts/`. Cached as a directory with `bin/arena` and `charts/`, so `arena` works from the tool cache
 * without root (./install.sh is not run).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import type { ToolSpec } from '../config/types.js';
import { PipelineError } from '../errors.js';
import { expandTemplate, type Arch, type ToolSource } from './install.js';

export const OFFICIAL_ARENA_TEMPLATE =
  'https://github.com/kubeflow/arena/releases/download/v{version}/arena-installer-{version}-linux-{arch}.tar.gz';

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

export function arenaSource(spec: ToolSpec, arch: Arch): ToolSource {
  const url = expandTemplate(spec.urlTemplate, spec.version, arch);
  return {
    tool: 'arena',
    version: spec.version,
    arch,
    url,
    ...(spec.sha256 ? { sha256: spec.sha256 } : {}),
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
