/**
 * Unpacks the Arena stand-in's installer tarball (as the release server serves it) into a directory, so tests
 * that drive the product's arena adapter without the setup stage have `arena` on a PATH dir and its charts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { packArenaInstaller } from './arena/pack.js';

export const STAND_IN_ARENA_VERSION = '0.15.2';

export async function installArenaStandIn(dir: string): Promise<{ binDir: string; chartDir: string }> {
  await mkdir(dir, { recursive: true });
  const { file } = await packArenaInstaller({ version: STAND_IN_ARENA_VERSION, arch: 'amd64', outDir: dir });
  await tar.x({ file, cwd: dir });
  const root = path.join(dir, `arena-installer-${STAND_IN_ARENA_VERSION}-linux-amd64`);
  return { binDir: path.join(root, 'bin'), chartDir: path.join(root, 'charts') };
}
