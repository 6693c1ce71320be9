/** Writes the kubeconfig for this job: 0600, under RUNNER_TEMP (wiped after the job), removed by the post step. */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeKubeconfig(yaml: string, dir: string): Promise<string> {
  const file = path.join(dir, `arena-ft-kubeconfig-${randomBytes(6).toString('hex')}.yaml`);
  await writeFile(file, yaml, { mode: 0o600, flag: 'wx' });
  return file;
}

export async function removeKubeconfig(file: string): Promise<boolean> {
  if (!path.basename(file).startsWith('arena-ft-kubeconfig-')) return false; // only ever a file this action wrote
  await rm(file, { force: true });
  return true;
}
