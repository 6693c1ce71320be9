/**
 * `npx arena-ft-pipeline` as a package: `npm pack` gives a tarball holding the bundled CLI and nothing to fetch,
 * which installs offline into a clean folder and runs `--help` and a plan against the sandbox.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { sandboxInputs } from '../../scripts/lib/sandbox-inputs.js';
import { envName } from '../../src/cli/env-inputs.js';
import { NODE24, REPO_ROOT } from '../../scripts/lib/run-action.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Node 24 first on PATH: the bin's `#!/usr/bin/env node` and npm both run on it. */
const PATH = `${path.dirname(NODE24)}${path.delimiter}${process.env.PATH ?? ''}`;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: {
        PATH,
        HOME: process.env.HOME ?? '',
        TMPDIR: process.env.TMPDIR ?? '',
        npm_config_cache: process.env.npm_config_cache ?? path.join(cwd, '.npm'),
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

let work: string;
let user: string;
let files: string[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pack-'));
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO_ROOT);
  expect(packed.code).toBe(0);
  const [info] = JSON.parse(packed.out) as { filename: string; files: { path: string }[] }[];
  files = info.files.map((f) => f.path);
  // A user's clean folder: nothing but an empty project, no network (--offline), an empty npm cache.
  user = path.join(work, 'user');
  await mkdir(user);
  await writeFile(path.join(user, 'package.json'), '{ "name": "user-project", "private": true }\n');
  const installed = await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', path.join(work, info.filename)],
    user,
    { npm_config_cache: path.join(work, 'empty-npm-cache') }
  );
  expect(installed.err).not.toMatch(/ERR!/);
  expect(installed.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const bin = () => path.join(user, 'node_modules', '.bin', 'arena-ft-pipeline');

it('packs the bundled CLI, its package.json and the README, and no source', () => {
  expect(files).toContain('dist/cli/index.js');
  expect(files.filter((f) => !f.startsWith('dist/cli/')).sort()).toEqual(['README.md', 'package.json']);
});

it('the installed bin runs --help from a clean folder', async () => {
  const res = await run(bin(), ['--help'], user);
  expect(res.err).toBe('');
  expect(res.code).toBe(0);
  expect(res.out).toMatch(/^Usage: arena-ft-pipeline/);
  expect(res.out).toMatch(/Exit codes:/);
});

describe('against the sandbox', () => {
  let sb: Sandbox;
  afterAll(async () => {
    await sb?.stop();
  });

  it('the installed bin plans a run', async () => {
    sb = await startSandbox({ speed: 500 });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(await sandboxInputs(sb))) env[envName(k)] = v;
    const res = await run(bin(), ['run', '--plan', '--stages', 'sync,storage,convert'], user, env);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/sync\s+planned.*would run/);
    expect(sb.oss!.listKeys('')).toEqual([]);
  });
});
