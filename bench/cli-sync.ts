/**
 * The shipped CLI (`dist/cli/index.js run`) syncing one repo of the bench's own hub to its OSS: what the shipped
 * and ranged benches measure. Inputs go in as ARENA_FT_* variables, as a user's shell would set them.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE24, REPO_ROOT } from '../scripts/lib/run-action.js';

interface ServerInfo {
  readonly info: Record<string, string>;
}

/** The inputs of a sync-only run of `repo` into `prefix`. */
export function syncInputs(hub: ServerInfo, oss: ServerInfo, repo: string, prefix: string): Record<string, string> {
  return {
    stages: 'sync',
    model: repo,
    revision: 'main',
    'hf-endpoint': hub.info.endpoint,
    'hf-token': hub.info.token,
    'oss-endpoint': oss.info.endpoint,
    'oss-region': oss.info.region,
    'oss-bucket': oss.info.bucket,
    'oss-prefix': prefix,
    'oss-access-key-id': oss.info.accessKeyId,
    'oss-access-key-secret': oss.info.accessKeySecret
  };
}

/** Runs the shipped CLI with these inputs (and node flags); its exit code, stderr and wall time. */
export function runShippedCli(
  inputs: Record<string, string>,
  nodeArgs: readonly string[] = []
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TMPDIR: process.env.TMPDIR ?? ''
  };
  for (const [k, v] of Object.entries(inputs)) env[`ARENA_FT_${k.replace(/-/g, '_').toUpperCase()}`] = v;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(NODE24, [...nodeArgs, path.join(REPO_ROOT, 'dist/cli/index.js'), 'run'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr, ms: performance.now() - t0 }));
  });
}

/** Node flags preloading bench/rss-at-exit.mjs: the measured CLI prints its peak RSS on stderr as it exits. */
export const RSS_PRELOAD: readonly string[] = [
  '--import',
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'rss-at-exit.mjs')
];

/** The peak RSS (MiB) a CLI run with RSS_PRELOAD printed. */
export function peakRssMiB(stderr: string): number {
  const m = /maxRssKiB=(\d+)/.exec(stderr);
  if (!m) throw new Error(`the measured process printed no peak RSS: ${stderr.slice(-400)}`);
  return Math.round(Number(m[1]) / 1024);
}
