/**
 * The bundled action run as a runner runs it: dist/main/index.js then dist/post/index.js on Node 24, with the
 * runner's environment (INPUT_* with action.yml's defaults, file commands, RUNNER_TEMP, RUNNER_TOOL_CACHE),
 * against the release server and the sandbox Kubernetes API.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { FaultRegistry } from '../../sandbox/faults.js';
import { ScenarioClock } from '../../sandbox/clock.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { parseRbacManifest, RBAC_MANIFEST } from '../../sandbox/index.js';
import { startReleases, type ReleasesServer } from '../../sandbox/releases/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(root, 'node_modules', '.bin', 'node');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
};

/** Parses a file-command file (`k=v` lines and `k<<DELIM … DELIM` blocks), as the runner does. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]);
      out[heredoc[1]] = body.join('\n');
    } else {
      const eq = line.indexOf('=');
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

interface Job {
  dir: string;
  files: { output: string; state: string; env: string; path: string; summary: string };
  env: NodeJS.ProcessEnv;
}

async function newJob(inputs: Record<string, string>): Promise<Job> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'action-e2e-'));
  const files = {
    output: path.join(dir, 'output'),
    state: path.join(dir, 'state'),
    env: path.join(dir, 'env'),
    path: path.join(dir, 'path'),
    summary: path.join(dir, 'summary.md')
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  for (const d of ['temp', 'toolcache', 'home', 'workspace']) await mkdir(path.join(dir, d));
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.dirname(NODE)}:/usr/bin:/bin`,
    HOME: path.join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: path.join(dir, 'workspace'),
    RUNNER_TEMP: path.join(dir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(dir, 'toolcache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64'
  };
  // The runner sets every input, with action.yml's default when the workflow does not.
  for (const [name, def] of Object.entries(action.inputs)) env[`INPUT_${name.toUpperCase()}`] = def.default ?? '';
  for (const [name, v] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = v;
  return { dir, files, env };
}

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [path.join(root, script)],
      { env, cwd: env.GITHUB_WORKSPACE, timeout: 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      }
    );
  });
}

/** Every form a secret could leak in. */
const forms = (s: string) => [s, Buffer.from(s).toString('base64'), encodeURIComponent(s)];

/** What a log reader sees: the runner consumes `::add-mask::` commands instead of printing them. */
const visible = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

let faults: FaultRegistry;
let releases: ReleasesServer;
let kube: KubeHandle;
/** The action runs as deploy/rbac.yaml's ServiceAccount, as users are told to. */
let sa: { path: string; token: string };
let tmp: string;

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/main/index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'action-e2e-servers-'));
  faults = new FaultRegistry();
  releases = await startReleases({ faults, dir: path.join(tmp, 'releases') });
  await mkdir(path.join(tmp, 'kube'));
  kube = await startKube({ faults, clock: new ScenarioClock(1000), dir: path.join(tmp, 'kube') });
  const manifest = parseRbacManifest(await readFile(RBAC_MANIFEST, 'utf8'));
  kube.applyManifest(manifest.objects);
  sa = await kube.serviceAccountKubeconfig(manifest.serviceAccount.name, manifest.serviceAccount.namespace);
});

afterAll(async () => {
  await releases?.stop();
  await kube?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('the bundled action', () => {
  it('sets up tools and the cluster context, then the post step removes the kubeconfig, leaking no secret', async () => {
    const secrets = {
      hf: 'hf_e2eSecretToken123',
      ossId: 'LTAI5tE2eKeyId',
      ossSecret: 'e2e/Secret+Value=42',
      sts: 'CAIS-e2e-sts-token'
    };
    const kubeconfig = await readFile(sa.path, 'utf8');
    const job = await newJob({
      stages: 'setup',
      kubeconfig: Buffer.from(kubeconfig).toString('base64'),
      'kubectl-url': releases.kubectlUrlTemplate,
      'arena-url': releases.arenaUrlTemplate,
      'hf-token': secrets.hf,
      'oss-access-key-id': secrets.ossId,
      'oss-access-key-secret': secrets.ossSecret,
      'oss-security-token': secrets.sts,
      model: 'bigscience/bloom-560m',
      version: 'e2e1'
    });
    const main = await runNode('dist/main/index.js', job.env);
    expect({ code: main.code, stderr: main.stderr }).toEqual({ code: 0, stderr: '' });

    const outputs = parseFileCommands(await readFile(job.files.output, 'utf8'));
    expect(outputs.version).toBe('e2e1');
    expect(outputs['serving-name']).toBe('bloom-560m');
    expect(JSON.parse(outputs['stage-results'])).toEqual([expect.objectContaining({ stage: 'setup', status: 'done' })]);
    const exported = parseFileCommands(await readFile(job.files.env, 'utf8'));
    const kubeconfigPath = exported.KUBECONFIG;
    expect(kubeconfigPath.startsWith(job.env.RUNNER_TEMP!)).toBe(true);
    expect(existsSync(kubeconfigPath)).toBe(true);
    expect(outputs['kubeconfig-path']).toBe(kubeconfigPath);
    const paths = (await readFile(job.files.path, 'utf8')).trim().split('\n');
    // the pinned kubectl, then a directory holding only arena and arena-kubectl (never the tarball's bin/)
    const arenaDir = path.join(
      job.env.RUNNER_TEMP!,
      `arena-ft-arena-${releases.arenaVersion}-amd64-kubectl-${releases.kubectlVersion}`
    );
    expect(paths).toEqual([
      path.join(job.env.RUNNER_TOOL_CACHE!, 'kubectl', releases.kubectlVersion, 'amd64'),
      path.join(arenaDir, 'bin')
    ]);
    expect(exported.ARENA_FT_ARENA_HOME).toBe(path.join(arenaDir, 'home'));
    const summary = await readFile(job.files.summary, 'utf8');
    // Arena's releases publish no digest: the summary says so plainly
    expect(summary).toMatch(
      /\| setup \| ✅ done \| kubectl 1\.34\.5 \(downloaded, sha256 verified by the published \.sha256\), arena 0\.15\.2 \(downloaded, NOT verified: no digest known, set arena-sha256\), cluster v1\.34/
    );
    expect(main.stdout).toContain('::group::stage: setup');

    // The post step reads the state the main step saved.
    const state = parseFileCommands(await readFile(job.files.state, 'utf8'));
    const postEnv = {
      ...job.env,
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
      KUBECONFIG: kubeconfigPath
    };
    const post = await runNode('dist/post/index.js', postEnv);
    expect({ code: post.code, stderr: post.stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(kubeconfigPath)).toBe(false);
    expect(post.stdout).toContain('Removed the kubeconfig');

    const masked = main.stdout
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length));
    for (const s of [...Object.values(secrets), sa.token]) expect(masked).toContain(s);
    const texts = {
      stdout: visible(main.stdout) + visible(post.stdout),
      stderr: main.stderr + post.stderr,
      summary,
      outputs: await readFile(job.files.output, 'utf8'),
      env: await readFile(job.files.env, 'utf8'),
      path: await readFile(job.files.path, 'utf8'),
      state: await readFile(job.files.state, 'utf8')
    };
    for (const s of [...Object.values(secrets), sa.token]) {
      for (const f of forms(s)) {
        for (const [where, text] of Object.entries(texts)) expect([where, text.includes(f)]).toEqual([where, false]);
      }
    }
  });

  it('cancels on SIGINT: the stage ends CANCELLED, the run is marked unfinished, the post step runs', async () => {
    faults.add({ service: 'releases', path: '/kubectl\\.sha256$', action: { kind: 'delay', ms: 3000 } });
    const kubeconfig = await readFile(sa.path, 'utf8');
    const job = await newJob({
      stages: 'setup',
      kubeconfig,
      'kubectl-url': releases.kubectlUrlTemplate,
      'arena-url': releases.arenaUrlTemplate
    });
    const seen = faults.recorded('releases').length;
    const child = spawn(NODE, [path.join(root, 'dist/main/index.js')], { env: job.env, cwd: job.env.GITHUB_WORKSPACE });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // One SIGINT, as the runner sends, once the stage is busy downloading.
    const poll = setInterval(() => {
      if (
        faults
          .recorded('releases')
          .slice(seen)
          .some((r) => r.url.endsWith('kubectl.sha256'))
      ) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearInterval(poll);
    expect(code).toBe(1);
    expect(stdout).toContain('Received SIGINT: cancelling');
    const outputs = parseFileCommands(await readFile(job.files.output, 'utf8'));
    expect(JSON.parse(outputs['stage-results'])[0]).toMatchObject({
      stage: 'setup',
      status: 'failed',
      error: { code: 'CANCELLED' }
    });
    const state = parseFileCommands(await readFile(job.files.state, 'utf8'));
    expect(JSON.parse(state['arena-ft-pipeline'])).toMatchObject({ finished: false });
    const post = await runNode('dist/post/index.js', {
      ...job.env,
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
    });
    expect(post.code).toBe(0);
  });

  it('stops on bad inputs before any request, with one annotation naming the input', async () => {
    const before = faults.recorded().length;
    const job = await newJob({
      stages: 'setup',
      namespace: '-rf',
      'hf-token': 'hf_bad token',
      'kubectl-url': releases.kubectlUrlTemplate
    });
    const main = await runNode('dist/main/index.js', job.env);
    expect(main.code).toBe(1);
    const annotation = main.stdout.split('\n').find((l) => l.startsWith('::error '));
    expect(annotation).toMatch(/^::error title=inputs%3A CONFIG_INVALID::.*Input "namespace" \("-rf"\) is not valid/);
    expect(main.stdout).toContain('Input "hf-token" (value hidden)');
    expect(visible(main.stdout)).not.toContain('hf_bad');
    expect(faults.recorded().length).toBe(before);
    expect(await readFile(job.files.summary, 'utf8')).toContain('CONFIG_INVALID');
  });
});
