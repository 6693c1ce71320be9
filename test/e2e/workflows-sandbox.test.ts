/**
 * The reusable workflows run end to end against the sandbox: GitHub's parser and expression evaluator decide
 * which jobs run and with which inputs, and each invocation of this action is the bundled action run as a
 * runner runs it (main, then post; a fresh RUNNER_TEMP per job, as on separate runners), in job order, with job
 * outputs passed along. Secrets must not leak into any log, summary or output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSandbox, DEMO_MODEL, type Sandbox } from '../../sandbox/index.js';
import { runMainAndPost } from '../../scripts/lib/run-action.js';
import { simulate, type Invocation } from '../helpers/workflow-sim.js';
import { findLeaks } from '../helpers/leaks.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('workflows against the sandbox', () => {
  let sb: Sandbox;
  let work: string;
  let secrets: Record<string, string>;
  let callInputs: Record<string, string>;
  const texts: Record<string, string> = {};
  let runs = 0;

  beforeAll(async () => {
    sb = await startSandbox({ speed: 500 });
    work = await mkdtemp(path.join(tmpdir(), 'wf-e2e-'));
    await mkdir(path.join(work, 'home'));
    const { hub, oss, kube } = sb.info;
    secrets = {
      HF_TOKEN: hub.token,
      OSS_ACCESS_KEY_ID: oss.accessKeyId,
      OSS_ACCESS_KEY_SECRET: oss.accessKeySecret,
      ACK_KUBECONFIG: await readFile(kube!.pipelineKubeconfig!, 'utf8')
    };
    callInputs = {
      'hf-endpoint': hub.endpoint,
      'oss-endpoint': oss.endpoint,
      'oss-cluster-endpoint': oss.endpoint.replace(/^https?:\/\//, ''),
      'oss-region': oss.region,
      'oss-bucket': oss.bucket,
      namespace: kube!.namespace,
      'arena-url': sb.releases!.arenaUrlTemplate,
      'kubectl-url': sb.releases!.kubectlUrlTemplate
    };
  });
  afterAll(async () => {
    await sb?.stop();
    await rm(work, { recursive: true, force: true });
  });

  async function runAction(inv: Invocation, workspace?: string) {
    const jobDir = path.join(work, `job-${++runs}`);
    await mkdir(jobDir, { recursive: true });
    if (workspace) execFileSync('cp', ['-a', `${workspace}/.`, jobDir]);
    const { main, post } = await runMainAndPost({
      inputs: inv.with,
      dirs: { jobDir, toolCache: path.join(work, 'tool-cache') },
      // Arena's charts link goes to $HOME/charts: a HOME of the test's own, never the real one.
      env: { HOME: path.join(work, 'home') },
      step: inv.job.replace(/[^A-Za-z0-9_-]+/g, '_')
    });
    for (const [name, run] of Object.entries({ main, post })) {
      // `::add-mask::` lines are consumed by the runner and never shown; everything else is scanned as written.
      texts[`${inv.job} ${name} stdout`] = run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      texts[`${inv.job} ${name} stderr`] = run.stderr;
      texts[`${inv.job} ${name} summary`] = run.summary;
      texts[`${inv.job} ${name} outputs`] = JSON.stringify(run.outputs);
      texts[`${inv.job} ${name} env`] = JSON.stringify(run.exportedEnv);
    }
    if (main.exitCode !== 0) {
      throw new Error(
        `${inv.job} (stages ${inv.with.stages}) failed:\n${main.stdout
          .split('\n')
          .filter((l) => l.startsWith('::error'))
          .join('\n')}`
      );
    }
    return { outputs: main.outputs, ok: main.exitCode === 0 && post.exitCode === 0 };
  }

  it('pipeline.yml takes one model version through plan, sync, convert, deploy and smoke', async () => {
    const spec = JSON.stringify({
      model: DEMO_MODEL.repo,
      smoke: { prompts: [{ text: DEMO_MODEL.prompt, expect: DEMO_MODEL.completion.trim().split(' ')[0] }] }
    });
    const invocations: Invocation[] = [];
    const res = await simulate(
      ROOT,
      '.github/workflows/pipeline.yml',
      { name: 'workflow_dispatch', repository: 'acme/models', secrets: {}, payload: {} },
      async (inv) => {
        invocations.push(inv);
        return runAction(inv);
      },
      { inputs: { ...callInputs, 'model-spec-json': spec, version: 'wf1' }, secrets }
    );
    expect(res.jobs.map((j) => [j.job.split('/').pop(), j.status])).toEqual([
      ['plan', 'success'],
      ['sync', 'success'],
      ['convert', 'success'],
      ['deploy', 'success'],
      ['smoke', 'success']
    ]);
    expect(invocations.map((i) => i.with.stages)).toEqual([
      'all',
      'sync',
      'setup,storage,convert',
      'setup,deploy',
      'setup,smoke'
    ]);
    // The plan job's resolved commit is what every later job builds.
    const commit = sb.hub!.commitOf(DEMO_MODEL.repo, 'main');
    expect(invocations.slice(1).every((i) => i.with.revision === commit)).toBe(true);
    expect(res.outputs).toMatchObject({ version: 'wf1', 'hf-commit': commit, 'smoke-result': 'passed' });
  });

  it('models.yml plans the model versions a change adds, from a models file in a git repository, with no credentials', async () => {
    const repo = path.join(work, 'caller-repo');
    await mkdir(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString().trim();
    git('init', '-q');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    await writeFile(path.join(repo, 'models.yaml'), 'models: []\n');
    git('add', '.');
    git('commit', '-qm', 'base');
    const base = git('rev-parse', 'HEAD');
    await writeFile(
      path.join(repo, 'models.yaml'),
      `models:\n  - model: ${DEMO_MODEL.repo}\n    version: m1\n    smoke:\n      prompts:\n        - text: ${JSON.stringify(DEMO_MODEL.prompt)}\n`
    );
    git('commit', '-qam', 'add the demo model');
    const stages: string[] = [];
    const res = await simulate(
      ROOT,
      '.github/workflows/models.yml',
      {
        name: 'pull_request',
        repository: 'acme/models',
        secrets: {},
        fork: true,
        payload: { pull_request: { number: 7, base: { sha: base } } }
      },
      async (inv) => {
        stages.push(`${inv.with.stages}${inv.with.plan === 'true' ? ' (plan)' : ''}`);
        return runAction(inv, repo);
      },
      {
        inputs: {
          'version-suffix': '-pr7',
          'base-ref': base,
          'hf-endpoint': callInputs['hf-endpoint'],
          'oss-bucket': callInputs['oss-bucket'],
          'oss-region': callInputs['oss-region'],
          namespace: callInputs.namespace
        },
        secrets: {}
      }
    );
    expect(res.jobs.every((j) => j.status === 'success')).toBe(true);
    expect(stages).toEqual(['none (plan)', 'all (plan)']);
    // The plan a fork's pull request gets, with no OSS key and no kubeconfig: as useful as `terraform plan`.
    const summary = texts['.github/workflows/models.yml/plan[0] main summary'];
    const commit = sb.hub!.commitOf(DEMO_MODEL.repo, 'main');
    expect(summary).toContain(commit);
    expect(summary).toMatch(/sync \| 📝 planned \| would run: stream \d+ files \([^)]+\)/);
    expect(summary).toMatch(/arena submit pytorchjob --name=ft-\S+ /);
    expect(summary).toMatch(/arena serve triton --name=\S+ --version=m1-pr7 /);
    expect(summary).toMatch(/GPUs: \d+ per replica/);
    expect(summary).toContain('backend: "fastertransformer"');
    expect(summary).toMatch(/already done\? unknown \(no OSS credentials, no kubeconfig in this run\)/);
    expect(summary).not.toMatch(/✅ done/);
    expect(JSON.parse(res.outputs.matrix)).toEqual([
      expect.objectContaining({ model: DEMO_MODEL.repo, version: 'm1-pr7' })
    ]);
  });

  it('leaked no secret into any log, summary, output or env file of those runs', () => {
    expect(Object.keys(texts).length).toBeGreaterThan(10);
    const leaks = findLeaks(texts, {
      ...secrets,
      kubeconfigToken: /token: (\S+)/.exec(secrets?.ACK_KUBECONFIG ?? '')?.[1] ?? ''
    });
    expect(leaks).toEqual([]);
  });
});
