/** kubectl: one binary in the official layout `<base>/release/v<ver>/bin/linux/<arch>/kubectl` (+ `.sha256`). */
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { ToolSpec } from '../config/types.js';
import { expandTemplate, type Arch, type ToolSource } from './install.js';
import { OFFICIAL_URL_TEMPLATE } from '../util/tool-urls.js';

export const OFFICIAL_KUBECTL_TEMPLATE = OFFICIAL_URL_TEMPLATE.kubectl;

export function kubectlSource(spec: ToolSpec, arch: Arch): ToolSource {
  return {
    tool: 'kubectl',
    version: spec.version,
    arch,
    url: expandTemplate(spec.urlTemplate, spec.version, arch),
    ...(spec.sha256 ? { sha256: spec.sha256 } : {}),
    // dl.k8s.io publishes `<binary>.sha256` beside every release binary
    checksumUrl: `${expandTemplate(spec.urlTemplate, spec.version, arch)}.sha256`,
    shaInput: 'kubectl-sha256',
    mirror: spec.urlTemplate !== OFFICIAL_KUBECTL_TEMPLATE,
    binDir: '',
    binary: 'kubectl',
    async unpack(file, workDir) {
      const dir = path.join(workDir, 'kubectl-dir');
      await mkdir(dir, { recursive: true });
      await rename(file, path.join(dir, 'kubectl'));
      await chmod(path.join(dir, 'kubectl'), 0o755);
      return dir;
    }
  };
}
