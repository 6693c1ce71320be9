/**
 * Builds the Arena stand-in's release asset, laid out like the real installer (v0.15.2's Makefile, target
 * arena-installer):
 *   arena-installer-<version>-linux-<arch>/bin/arena        (one CommonJS file, `#!/usr/bin/env node`, yaml inlined)
 *   …/bin/kubectl, bin/helm                                 (stubs that answer `version` only, as v1.28.4 / v3)
 *   …/bin/arena-gen-kubeconfig.sh, bin/arena-uninstall      (stubs)
 *   …/charts/{pytorchjob,triton}/{Chart.yaml,values.yaml}
 *   …/arena-artifacts/Chart.yaml
 *   …/install.sh                                            (`--only-binary` as v0.15.2's)
 * Like the real release, no `.sha256` is published beside it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as tar from 'tar';
import { CHART_FILES } from './charts.js';

/** The kubectl release v0.15.2's Makefile puts into the installer (KUBECTL_VERSION ?= v1.28.4). */
export const INSTALLER_KUBECTL_VERSION = '1.28.4';

/**
 * install.sh as v0.15.2's does it for `--only-binary` (install_kubectl_and_helm, install_arena_and_charts,
 * install_arena_gen_kubeconfig): bin/kubectl → arena-kubectl, bin/helm → arena-helm, arena, arena-uninstall and
 * arena-gen-kubeconfig.sh into /usr/local/bin; charts (with arena-artifacts) into /charts as root, else ~/charts.
 * Stand-in additions so it runs without root in the sandbox: `--prefix DIR` (instead of /usr/local),
 * `--chart-dir DIR` (instead of /charts or ~/charts) and `--kubectl FILE` (the kubectl to install as
 * arena-kubectl; the tarball's bin/kubectl is a version-only stub).
 */
const INSTALL_SH = `#!/usr/bin/env bash
# Arena installer (sandbox stand-in of v0.15.2's install.sh). Options:
#   --only-binary       install the CLI, arena-kubectl, arena-helm and the charts; skip the cluster operators
#   --prefix DIR        (stand-in) install the commands into DIR/bin instead of /usr/local/bin
#   --kubectl FILE      (stand-in) the kubectl to install as arena-kubectl instead of bin/kubectl
#   --chart-dir DIR     (stand-in) install the charts into DIR instead of /charts (root) or ~/charts
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
ONLY_BINARY=false
PREFIX=/usr/local
KUBECTL="$SCRIPT_DIR/bin/kubectl"
CHARTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only-binary) ONLY_BINARY=true ;;
    --prefix) PREFIX="$2"; shift ;;
    --kubectl) KUBECTL="$2"; shift ;;
    --chart-dir) CHARTS="$2"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option [$1]" >&2; exit 3 ;;
  esac
  shift
done
command -v node >/dev/null 2>&1 || { echo "arena (sandbox stand-in) needs node >= 20 on PATH" >&2; exit 1; }
mkdir -p "$PREFIX/bin"
rm -rf "$PREFIX/bin/arena-kubectl" "$PREFIX/bin/arena-helm"
cp "$KUBECTL" "$PREFIX/bin/arena-kubectl"
cp "$SCRIPT_DIR/bin/helm" "$PREFIX/bin/arena-helm"
cp "$SCRIPT_DIR/bin/arena" "$PREFIX/bin/arena"
cp "$SCRIPT_DIR/bin/arena-uninstall" "$PREFIX/bin/arena-uninstall"
cp "$SCRIPT_DIR/bin/arena-gen-kubeconfig.sh" "$PREFIX/bin/arena-gen-kubeconfig.sh"
if [ ! -d "$SCRIPT_DIR/charts/arena-artifacts" ]; then cp -a "$SCRIPT_DIR/arena-artifacts" "$SCRIPT_DIR/charts"; fi
if [ -z "$CHARTS" ]; then
  if [ "$(id -u)" -eq 0 ]; then CHARTS=/charts; else CHARTS="$HOME/charts"; fi
fi
mkdir -p "$CHARTS"
cp -R "$SCRIPT_DIR/charts/." "$CHARTS/"
echo "arena installed to $PREFIX/bin/arena (arena-kubectl beside it), charts to $CHARTS"
if [ "$ONLY_BINARY" != "true" ]; then
  echo "skipping cluster components (operators, arena-system): the sandbox cluster already runs them"
fi
`;

/** bin/kubectl: answers `version` as kubectl v1.28.4 does, refuses anything else (it is not a working kubectl). */
const KUBECTL_STUB = `#!/bin/sh
# Sandbox stand-in for the kubectl v${INSTALLER_KUBECTL_VERSION} the Arena installer carries: it answers "version" only.
case "$1" in
  version)
    case "$*" in
      *json*) printf '{\\n  "clientVersion": {\\n    "major": "1",\\n    "minor": "28",\\n    "gitVersion": "v${INSTALLER_KUBECTL_VERSION}",\\n    "platform": "linux/amd64"\\n  }\\n}\\n' ;;
      *) echo "Client Version: v${INSTALLER_KUBECTL_VERSION}" ;;
    esac
    exit 0 ;;
esac
echo "error: this is the Arena installer's kubectl v${INSTALLER_KUBECTL_VERSION} (sandbox stand-in); it only answers 'version'" >&2
exit 1
`;

/** bin/helm: the same for the helm binary (Arena renders charts in-process; helm is used by install.sh only). */
const HELM_STUB = `#!/bin/sh
# Sandbox stand-in for the helm binary the Arena installer carries: it answers "version" only.
if [ "$1" = version ]; then echo 'version.BuildInfo{Version:"v3.15.4"}'; exit 0; fi
echo "Error: this is the Arena installer's helm (sandbox stand-in); it only answers 'version'" >&2
exit 1
`;

const GEN_KUBECONFIG_STUB = `#!/usr/bin/env bash
# Sandbox stand-in for arena-gen-kubeconfig.sh (generates a kubeconfig for a user); not modelled.
echo "arena-gen-kubeconfig.sh is not modelled in the sandbox" >&2
exit 1
`;

const UNINSTALL_STUB = `#!/usr/bin/env bash
# Sandbox stand-in for arena-uninstall (uninstall.sh); not modelled.
echo "arena-uninstall is not modelled in the sandbox" >&2
exit 1
`;

/** arena-artifacts/: the server-side operators' Helm chart (only its Chart.yaml; the sandbox runs the operator). */
const ARTIFACTS_CHART = [
  'apiVersion: v2',
  'name: arena-artifacts',
  'description: A Helm chart for installing the dependencies of Arena',
  'version: 0.15.2',
  ''
].join('\n');

/** The bundled `bin/arena` script (esbuild: one CJS file, Node >= 20). */
export async function bundleArena(o: { version: string; arch: 'amd64' | 'arm64' }): Promise<Buffer> {
  const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '#!/usr/bin/env node' },
    define: { __ARENA_VERSION__: JSON.stringify(o.version), __ARENA_ARCH__: JSON.stringify(o.arch) }
  });
  return Buffer.from(out.outputFiles[0].contents);
}

/** sha256 (hex) of a file, streamed; also used by the release server. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

export async function packArenaInstaller(o: {
  version: string;
  arch: 'amd64' | 'arm64';
  outDir: string;
}): Promise<{ file: string; sha256: string }> {
  const version = o.version.replace(/^v/, '');
  const rootName = `arena-installer-${version}-linux-${o.arch}`;
  const stage = await mkdtemp(path.join(os.tmpdir(), 'arena-pack-'));
  try {
    const root = path.join(stage, rootName);
    await mkdir(path.join(root, 'bin'), { recursive: true });
    const bin = path.join(root, 'bin', 'arena');
    await writeFile(bin, await bundleArena({ version, arch: o.arch }));
    await chmod(bin, 0o755);
    for (const [chart, files] of Object.entries(CHART_FILES)) {
      await mkdir(path.join(root, 'charts', chart), { recursive: true });
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, 'charts', chart, name), text);
    }
    const scripts: [string, string][] = [
      ['bin/kubectl', KUBECTL_STUB],
      ['bin/helm', HELM_STUB],
      ['bin/arena-gen-kubeconfig.sh', GEN_KUBECONFIG_STUB],
      ['bin/arena-uninstall', UNINSTALL_STUB],
      ['install.sh', INSTALL_SH]
    ];
    for (const [name, text] of scripts) {
      await writeFile(path.join(root, name), text);
      await chmod(path.join(root, name), 0o755);
    }
    await mkdir(path.join(root, 'arena-artifacts'), { recursive: true });
    await writeFile(path.join(root, 'arena-artifacts', 'Chart.yaml'), ARTIFACTS_CHART);
    await mkdir(o.outDir, { recursive: true });
    const file = path.join(o.outDir, `${rootName}.tar.gz`);
    await tar.c({ gzip: true, file, cwd: stage, portable: true, mtime: new Date('2025-09-01T00:00:00Z') }, [rootName]);
    return { file, sha256: await sha256File(file) };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
