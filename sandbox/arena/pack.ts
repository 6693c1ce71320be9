/**
 * Builds the Arena stand-in's release asset, laid out like the real installer:
 *   arena-installer-<version>-linux-<arch>/bin/arena        (one CommonJS file, `#!/usr/bin/env node`, yaml inlined)
 *   arena-installer-<version>-linux-<arch>/charts/{pytorchjob,tritoninferenceserver}/{Chart.yaml,values.yaml}
 *   arena-installer-<version>-linux-<arch>/install.sh       (`--only-binary` installs the CLI and charts only)
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

const INSTALL_SH = `#!/usr/bin/env bash
# Installs the Arena CLI (the sandbox stand-in) and its charts.
#   ./install.sh                 CLI, charts, then the cluster components (the sandbox cluster already has them)
#   ./install.sh --only-binary   CLI and charts only
#   --prefix DIR                 install the CLI into DIR/bin (default /usr/local, or ~/.local when not root)
#   --chart-dir DIR              install the charts into DIR (default /charts as root, else ~/charts)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ONLY_BINARY=false
if [ "$(id -u)" = "0" ]; then PREFIX=/usr/local; CHART_DIR=/charts; else PREFIX="$HOME/.local"; CHART_DIR="$HOME/charts"; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --only-binary) ONLY_BINARY=true ;;
    --prefix) PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="\${1#*=}" ;;
    --chart-dir) CHART_DIR="$2"; shift ;;
    --chart-dir=*) CHART_DIR="\${1#*=}" ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 1 ;;
  esac
  shift
done
command -v node >/dev/null 2>&1 || { echo "arena (sandbox stand-in) needs node >= 20 on PATH" >&2; exit 1; }
mkdir -p "$PREFIX/bin" "$CHART_DIR"
install -m 0755 "$HERE/bin/arena" "$PREFIX/bin/arena"
cp -R "$HERE/charts/." "$CHART_DIR/"
echo "arena installed to $PREFIX/bin/arena, charts to $CHART_DIR"
if [ "$ONLY_BINARY" != "true" ]; then
  echo "skipping cluster components (training-operator, arena-system): the sandbox cluster already runs them"
fi
`;

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
    await writeFile(path.join(root, 'install.sh'), INSTALL_SH);
    await chmod(path.join(root, 'install.sh'), 0o755);
    await mkdir(o.outDir, { recursive: true });
    const file = path.join(o.outDir, `${rootName}.tar.gz`);
    await tar.c({ gzip: true, file, cwd: stage, portable: true, mtime: new Date('2025-09-01T00:00:00Z') }, [rootName]);
    return { file, sha256: await sha256File(file) };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
