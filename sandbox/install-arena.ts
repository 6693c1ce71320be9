/**
 * Installs the Arena stand-in's installer tarball (as the release server serves it) the way the product's setup
 * stage does, for tests that drive the product's arena adapter without the setup stage:
 *   <dir>/bin/arena, <dir>/bin/arena-kubectl   (arena-kubectl → the sandbox's real kubectl, as install.sh copies it)
 *   <dir>/home/charts                          (a HOME whose charts/ is the installer's charts, where v0.15.2 looks)
 * Nothing of the tarball's own bin/ (kubectl v1.28 and helm stubs) lands on PATH.
 */
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { packArenaInstaller } from './arena/pack.js';
import { preparedKubectl } from './releases/index.js';

export const STAND_IN_ARENA_VERSION = '0.15.2';

export interface InstalledArena {
  /** A directory holding only `arena` and `arena-kubectl`. */
  binDir: string;
  /** The installer's charts/ directory. */
  chartDir: string;
  /** A HOME for arena whose `charts` links to chartDir. */
  home: string;
}

export async function installArenaStandIn(dir: string): Promise<InstalledArena> {
  await mkdir(dir, { recursive: true });
  const { file } = await packArenaInstaller({ version: STAND_IN_ARENA_VERSION, arch: 'amd64', outDir: dir });
  await tar.x({ file, cwd: dir });
  const root = path.join(dir, `arena-installer-${STAND_IN_ARENA_VERSION}-linux-amd64`);
  const binDir = path.join(dir, 'bin');
  const home = path.join(dir, 'home');
  await mkdir(binDir, { recursive: true });
  await mkdir(home, { recursive: true });
  await symlink(path.join(root, 'bin', 'arena'), path.join(binDir, 'arena'));
  await symlink((await preparedKubectl()).file, path.join(binDir, 'arena-kubectl'));
  await symlink(path.join(root, 'charts'), path.join(home, 'charts'));
  return { binDir, chartDir: path.join(root, 'charts'), home };
}
