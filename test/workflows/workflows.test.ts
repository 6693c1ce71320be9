/**
 * The reusable workflows and the caller examples, checked as GitHub would run them: parsed by GitHub's parser,
 * started only if GitHub's start-up checks pass (permission narrowing, literal `uses:`), expressions evaluated by
 * GitHub's evaluator for each documented trigger path, every `with:` key checked against the action or the called
 * workflow, and the resulting action invocations inspected (commit of the action, environment, secrets, OIDC sub).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  ACTION_PATH,
  ACTION_REF,
  DEFAULT_SHA,
  LOCAL_WORKFLOW,
  StartupFailure,
  WORKFLOW_REF,
  interpolate,
  simulate,
  startupCheck,
  triggers,
  workflowErrors,
  readWorkflow,
  type Event,
  type Yaml,
  type Invocation
} from '../helpers/workflow-sim.js';
import { ConcurrencyGroup } from '../helpers/github-rules.js';
import { MAX_TIMEOUT_SECONDS } from '../../src/config/inputs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FILES = [
  ...readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(path.join(ROOT, 'examples')).map((f) => `examples/${f}`)
].filter((f) => /\.ya?ml$/.test(f));

const loadAction = () =>
  parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { required?: boolean; default?: string }>;
  };

const PROD = {
  HF_TOKEN: 'hf_prodsecret',
  OSS_ACCESS_KEY_ID: 'LTAIprodid',
  OSS_ACCESS_KEY_SECRET: 'prod-oss-key',
  ACK_KUBECONFIG: 'apiVersion: v1 # prod'
};
const PREVIEW = {
  HF_TOKEN: 'hf_previewsecret',
  OSS_ACCESS_KEY_ID: 'LTAIpreviewid',
  OSS_ACCESS_KEY_SECRET: 'preview-oss-key',
  ACK_KUBECONFIG: 'apiVersion: v1 # preview'
};
const ENVIRONMENTS = {
  production: { secrets: PROD, refs: ['main', 'tag:v*'] },
  preview: { secrets: PREVIEW },
  staging: { secrets: PREVIEW }
};
const ALL_SECRET_VALUES = [...Object.values(PROD), ...Object.values(PREVIEW)];

function prEvent(opts: {
  fork: boolean;
  labels: string[];
  action?: string;
  label?: string;
  forkCapsStartup?: boolean;
}): Event {
  return {
    name: 'pull_request',
    repository: 'acme/models',
    // repository-level secrets hold nothing for the pipeline: every credential lives in an environment
    secrets: {},
    environments: ENVIRONMENTS,
    fork: opts.fork,
    ...(opts.forkCapsStartup ? { forkCapsStartup: true } : {}),
    payload: {
      action: opts.action ?? 'synchronize',
      number: 42,
      ...(opts.label ? { label: { name: opts.label } } : {}),
      pull_request: {
        number: 42,
        base: { sha: 'b'.repeat(40) },
        head: { repo: { full_name: opts.fork ? 'stranger/models' : 'acme/models' } },
        labels: opts.labels.map((name) => ({ name }))
      }
    }
  };
}

function releaseEvent(prerelease: boolean, refs?: string[]): Event {
  return {
    name: 'release',
    repository: 'acme/models',
    secrets: {},
    environments: refs ? { ...ENVIRONMENTS, production: { secrets: PROD, refs } } : ENVIRONMENTS,
    payload: { action: 'published', release: { tag_name: 'v1.4.0', prerelease } }
  };
}

/** A stand-in for the action: records invocations and answers with plausible outputs. */
function recorder() {
  const calls: Invocation[] = [];
  const run = async (inv: Invocation) => {
    calls.push(inv);
    const outputs: Record<string, string> = {
      version: inv.with.version || 'v-derived',
      'hf-commit': 'c'.repeat(40),
      'serving-name': 'bloom-7b1',
      'serving-version': inv.with.version || 'v-derived',
      'smoke-result': 'passed'
    };
    if (inv.with['models-file']) {
      outputs['models-matrix'] = JSON.stringify(
        ['v1', 'v2'].map((v) => ({
          model: 'bigscience/bloom-7b1',
          version: `${v}${inv.with['models-version-suffix'] ?? ''}`,
          revision: 'main',
          spec: JSON.stringify({ model: 'bigscience/bloom-7b1', version: v, convert: { 'tensor-parallel': 2 } }),
          reason: 'added'
        }))
      );
      outputs['models-count'] = '2';
    }
    return { outputs, ok: true };
  };
  return { calls, run };
}

const stagesOf = (calls: Invocation[]) => calls.filter((c) => c.with.plan !== 'true').map((c) => c.with.stages);
const CREDENTIAL_INPUTS = [
  'hf-token',
  'oss-access-key-id',
  'oss-access-key-secret',
  'oss-security-token',
  'kubeconfig'
];

describe.each(FILES)('%s', (file) => {
  const wf = readWorkflow(ROOT, file);

  it("parses without errors in GitHub's workflow parser", () => {
    expect(workflowErrors(ROOT, file)).toEqual([]);
  });

  it('passes only inputs and secrets the action or the called workflow declares, and every required one', () => {
    const action = loadAction();
    for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
      if (typeof job.uses === 'string') {
        const m = job.uses.match(WORKFLOW_REF) ?? job.uses.match(LOCAL_WORKFLOW);
        expect(m).not.toBeNull();
        const call = triggers(readWorkflow(ROOT, m![1])).workflow_call;
        const declared = Object.keys(call.inputs ?? {});
        for (const key of Object.keys(job.with ?? {}))
          expect([`${id}: ${key}`, declared.includes(key)]).toEqual([`${id}: ${key}`, true]);
        for (const [name, spec] of Object.entries<Record<string, unknown>>(call.inputs ?? {})) {
          if (spec.required) expect([`${id}: ${name}`, name in (job.with ?? {})]).toEqual([`${id}: ${name}`, true]);
        }
        if (job.secrets !== 'inherit') {
          const declaredSecrets = Object.keys(call.secrets ?? {});
          for (const key of Object.keys(job.secrets ?? {})) expect(declaredSecrets).toContain(key);
        }
      }
      for (const step of job.steps ?? []) {
        if (step.uses !== ACTION_PATH && !ACTION_REF.test(step.uses ?? '')) continue;
        for (const key of Object.keys(step.with ?? {}))
          expect([`${id}: ${key}`, key in action.inputs]).toEqual([`${id}: ${key}`, true]);
      }
    }
  });

  it('declares secrets only with names an environment secret can have (letters, digits, _)', () => {
    const secrets = Object.keys(triggers(wf)?.workflow_call?.secrets ?? {});
    for (const name of secrets) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  });
});

describe('start-up: GitHub refuses a run whose nested jobs ask for more than the caller grants', () => {
  it.each([
    ['examples/pull-request.yml', prEvent({ fork: true, labels: [] })],
    ['examples/pull-request.yml', prEvent({ fork: true, labels: [], forkCapsStartup: true })],
    ['examples/preview.yml', prEvent({ fork: false, labels: ['deploy-preview'] })],
    ['examples/release.yml', releaseEvent(false)],
    ['examples/dispatch.yml', { name: 'workflow_dispatch', repository: 'acme/models', secrets: {}, payload: {} }],
    ['.github/workflows/ci.yml', { name: 'push', repository: 'arena-ft/arena-ft-pipeline', secrets: {}, payload: {} }]
  ] as [string, Event][])('%s starts', (file, event) => {
    expect(() => startupCheck(ROOT, file, event)).not.toThrow();
  });

  it('a plan caller granting contents: read alone cannot call pipeline.yml (its cluster jobs ask id-token: write)', () => {
    // The break of issue 14: the plan path called a workflow whose nested jobs ask id-token: write.
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-caller-'));
    try {
      const caller = `on: pull_request\npermissions:\n  contents: read\njobs:\n  plan:\n    uses: arena-ft/arena-ft-pipeline/.github/workflows/pipeline.yml@v1\n    with:\n      oss-bucket: b\n`;
      execFileSync('mkdir', ['-p', path.join(dir, '.github/workflows')]);
      writeFileSync(path.join(dir, 'caller.yml'), caller);
      for (const f of ['pipeline.yml', 'models.yml'])
        writeFileSync(path.join(dir, '.github/workflows', f), readFileSync(path.join(ROOT, '.github/workflows', f)));
      expect(() => startupCheck(dir, 'caller.yml', prEvent({ fork: true, labels: [] }))).toThrow(
        /The nested job '\.github\/workflows\/pipeline\.yml\/sync' is requesting 'id-token: write', but is only allowed 'id-token: none'/
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no workflow or example puts an expression in uses:', () => {
    for (const file of FILES) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      expect([file, /uses:.*\$\{\{/.test(text)]).toEqual([file, false]);
    }
  });
});

describe('a pull request from a fork (plan only: no secrets, no OIDC)', () => {
  it('plans every changed model version in detail with no credential and no OIDC token', async () => {
    const { calls, run } = recorder();
    const res = await simulate(ROOT, 'examples/pull-request.yml', prEvent({ fork: true, labels: [] }), run);
    expect(res.jobs.every((j) => j.status !== 'failure')).toBe(true);
    // the model selection, then one detailed plan (all stages) per model version
    expect(calls.map((c) => `${c.with.stages}${c.with.plan === 'true' ? ' (plan)' : ''}`)).toEqual([
      'none (plan)',
      'all (plan)',
      'all (plan)'
    ]);
    for (const c of calls) {
      expect(c.oidcSub).toBeUndefined();
      expect(c.token['id-token']).toBe('none');
      for (const key of CREDENTIAL_INPUTS) expect([c.job, key, c.with[key] ?? '']).toEqual([c.job, key, '']);
    }
    expect(calls[1].with.version).toBe('v1-pr42');
  });

  it('a fork labelled deploy-preview deploys nothing', async () => {
    const { calls, run } = recorder();
    await simulate(
      ROOT,
      'examples/preview.yml',
      prEvent({ fork: true, labels: ['deploy-preview'], action: 'labeled', label: 'deploy-preview' }),
      run
    );
    expect(calls).toEqual([]);
  });
});

describe('a same-repository pull request labelled deploy-preview', () => {
  const labelled = prEvent({ fork: false, labels: ['deploy-preview'], action: 'labeled', label: 'deploy-preview' });

  it('deploys each changed model version as a preview of its own lineage, with the preview environment secrets', async () => {
    const { calls, run } = recorder();
    const res = await simulate(ROOT, 'examples/preview.yml', labelled, run);
    expect(res.jobs.filter((j) => j.status === 'failure')).toEqual([]);
    const build = calls.filter((c) => c.with.plan !== 'true');
    expect(build.map((c) => c.with.stages)).toEqual([
      ...['sync', 'setup,storage,convert', 'setup,deploy', 'setup,smoke'],
      ...['sync', 'setup,storage,convert', 'setup,deploy', 'setup,smoke']
    ]);
    const deploy = build.find((c) => c.with.stages === 'setup,deploy')!;
    expect(deploy.with.version).toBe('v1-pr42');
    expect(deploy.with.lineage).toBe('pr-42');
    expect(deploy.with.revision).toBe('c'.repeat(40));
    for (const c of build) {
      expect(c.environment).toBe('preview');
      if (c.with['oss-access-key-id']) expect(c.with['oss-access-key-id']).toBe(PREVIEW.OSS_ACCESS_KEY_ID);
      if (c.with.kubeconfig) expect(c.with.kubeconfig).toBe(PREVIEW.ACK_KUBECONFIG);
    }
    expect(build.find((c) => c.with.stages === 'setup,smoke')!.with['keep-versions']).toBe('1');
  });

  it('another label on a labelled pull request does not re-deploy (labeled fires for any label)', async () => {
    const { calls, run } = recorder();
    await simulate(
      ROOT,
      'examples/preview.yml',
      prEvent({ fork: false, labels: ['deploy-preview', 'docs'], action: 'labeled', label: 'docs' }),
      run
    );
    expect(calls).toEqual([]);
  });

  it('a push to the labelled branch deploys again', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, 'examples/preview.yml', prEvent({ fork: false, labels: ['deploy-preview'] }), run);
    expect(stagesOf(calls)).toContain('setup,deploy');
  });

  it('closing the pull request removes its previews (every serving version of lineage pr-42) and builds nothing', async () => {
    const { calls, run } = recorder();
    const res = await simulate(
      ROOT,
      'examples/preview.yml',
      prEvent({ fork: false, labels: ['deploy-preview'], action: 'closed' }),
      run
    );
    const remove = res.jobs.find((j) => j.job.endsWith('/remove'))!;
    expect(remove.status).toBe('success');
    expect(remove.environment).toBe('preview');
    expect(calls.map((c) => c.with.stages)).toEqual(['setup']);
    expect(calls[0].with.kubeconfig).toBe(PREVIEW.ACK_KUBECONFIG);
    const step = readWorkflow(ROOT, 'examples/preview.yml').jobs.remove.steps[1];
    expect(step.env.LINEAGE).toBe('pr-${{ github.event.pull_request.number }}');
    expect(step.run).toMatch(/arena-ft-pipeline\/lineage=\$LINEAGE/);
    expect(step.run).toMatch(/arena serve delete/);
  });

  it('a pull request without the label only plans', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, 'examples/preview.yml', prEvent({ fork: false, labels: [] }), run);
    await simulate(ROOT, 'examples/pull-request.yml', prEvent({ fork: false, labels: [] }), run);
    expect(calls.every((c) => c.with.plan === 'true')).toBe(true);
  });
});

describe('credentials', () => {
  it('environment secrets reach only the jobs that declare the environment; the plan job gets no OSS key or kubeconfig', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, 'examples/release.yml', releaseEvent(false), run);
    const plans = calls.filter((c) => c.with.plan === 'true');
    const builds = calls.filter((c) => c.with.plan !== 'true');
    for (const c of plans) {
      expect(c.environment).toBeUndefined();
      for (const key of CREDENTIAL_INPUTS) expect([c.job, key, c.with[key] ?? '']).toEqual([c.job, key, '']);
    }
    // sync gets the HF token and OSS keys only once gated by the environment (approvals apply to it too)
    expect(builds.find((c) => c.with.stages === 'sync')).toMatchObject({
      environment: 'production',
      with: { 'hf-token': PROD.HF_TOKEN, 'oss-access-key-id': PROD.OSS_ACCESS_KEY_ID }
    });
    expect(builds.find((c) => c.with.stages === 'setup,storage,convert')!.with.kubeconfig).toBe(PROD.ACK_KUBECONFIG);
  });

  it('with oss-role-arn, sync, deploy and smoke get STS credentials for the sub the trust policy names; convert keeps keys', async () => {
    const subs: string[] = [];
    const { calls, run } = recorder();
    const event: Event = {
      ...releaseEvent(false),
      assumeRole: (sub) => {
        subs.push(sub);
        // the README's trust condition
        if (sub !== 'repo:acme/models:environment:production') throw new Error(`sub ${sub} does not match`);
        return { id: 'STS.id', secret: 'sts-secret', token: 'sts-token' };
      }
    };
    const res = await simulate(ROOT, '.github/workflows/pipeline.yml', event, run, {
      inputs: {
        model: 'bigscience/bloom-560m',
        'oss-bucket': 'b',
        'oss-role-arn': 'acs:ram::1:role/r',
        'oidc-provider-arn': 'acs:ram::1:oidc-provider/gh'
      },
      secrets: {}
    });
    expect(res.jobs.filter((j) => j.status === 'failure')).toEqual([]);
    expect([...new Set(subs)]).toEqual(['repo:acme/models:environment:production']);
    const by = (s: string) => calls.find((c) => c.with.stages === s)!;
    for (const s of ['sync', 'setup,deploy', 'setup,smoke']) {
      expect(by(s).with['oss-security-token']).toBe('sts-token');
      expect(by(s).with['oss-access-key-id']).toBe('STS.id');
    }
    // the storage stage writes the keys into the cluster's volume Secret, which must outlive any STS session
    expect(by('setup,storage,convert').with['oss-security-token'] ?? '').toBe('');
    expect(by('setup,storage,convert').with['oss-access-key-id']).toBe(PROD.OSS_ACCESS_KEY_ID);
  });

  it('the STS session length is an input passed to the credentials action', () => {
    const wf = readWorkflow(ROOT, '.github/workflows/pipeline.yml');
    const sts = wf.jobs.sync.steps.find((s: Yaml) => String(s.uses).startsWith('aliyun/'));
    expect(sts.with['role-session-expiration']).toBe('${{ inputs.sts-session-seconds }}');
    expect(triggers(wf).workflow_call.inputs['sts-session-seconds'].default).toBeGreaterThanOrEqual(3600);
  });
});

describe('a release', () => {
  it('a pre-release runs nothing (published also fires for pre-releases)', async () => {
    const { calls, run } = recorder();
    const res = await simulate(ROOT, 'examples/release.yml', releaseEvent(true), run);
    expect(calls).toEqual([]);
    expect(res.jobs.every((j) => j.status === 'skipped')).toBe(true);
  });

  it('deploys content-addressed versions: the tag is recorded, not part of any version', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, 'examples/release.yml', releaseEvent(false), run);
    expect(calls[0].with['models-select']).toBe('all');
    expect(calls[0].with['models-version-suffix'] ?? '').toBe('');
    const builds = calls.filter((c) => c.with.plan !== 'true');
    expect(builds.length).toBe(8);
    for (const c of builds) {
      expect(c.with.version).toMatch(/^v[12]$/);
      if (c.with.stages !== 'sync') expect(c.with.lineage).toBe('release');
    }
    expect(builds.filter((c) => c.with.stages === 'setup,smoke').map((c) => c.with['release-tag'])).toEqual([
      'v1.4.0',
      'v1.4.0'
    ]);
  });

  it('fails at the environment when production allows only branches (a release runs at refs/tags/<tag>)', async () => {
    const { calls, run } = recorder();
    const res = await simulate(ROOT, 'examples/release.yml', releaseEvent(false, ['main']), run);
    const failed = res.jobs.find((j) => j.status === 'failure');
    expect(failed?.error).toMatch(/refs\/tags\/v1.4.0 is not allowed to deploy to production/);
    expect(stagesOf(calls)).toEqual([]);
  });
});

describe('a manual dispatch', () => {
  const dispatch = (environment: string): Event => ({
    name: 'workflow_dispatch',
    repository: 'acme/models',
    secrets: {},
    environments: ENVIRONMENTS,
    payload: {
      inputs: {
        model: 'bigscience/bloom-560m',
        revision: 'main',
        version: 'v7',
        stages: 'deploy,smoke',
        'tensor-parallel': '2',
        environment
      }
    }
  });
  it('runs the chosen stages only, in the chosen environment, in its own lineage unless production', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, 'examples/dispatch.yml', dispatch('staging'), run);
    expect(calls.map((c) => c.with.stages)).toEqual(['all', 'setup,deploy', 'setup,smoke']);
    expect(calls[1]).toMatchObject({
      environment: 'staging',
      with: { 'tensor-parallel': '2', 'serve-gpus': '2', model: 'bigscience/bloom-560m', lineage: 'manual' }
    });
    const prod = recorder();
    await simulate(ROOT, 'examples/dispatch.yml', dispatch('production'), prod.run);
    expect(prod.calls[1].with.lineage).toBe('release');
  });
});

describe("one source of truth for the action's ref", () => {
  const X = '1'.repeat(40);
  const V1 = '9'.repeat(40);

  it('a caller that pins pipeline.yml to a sha runs the action of that sha, not the moving v1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-pin-'));
    try {
      execFileSync('mkdir', ['-p', path.join(dir, '.github/workflows')]);
      writeFileSync(
        path.join(dir, '.github/workflows/pipeline.yml'),
        readFileSync(path.join(ROOT, '.github/workflows/pipeline.yml'))
      );
      writeFileSync(
        path.join(dir, 'caller.yml'),
        `on: workflow_dispatch\njobs:\n  p:\n    permissions:\n      contents: read\n      id-token: write\n    uses: arena-ft/arena-ft-pipeline/.github/workflows/pipeline.yml@${X}\n    with:\n      model: bigscience/bloom-560m\n      oss-bucket: b\n`
      );
      const { calls, run } = recorder();
      await simulate(
        dir,
        'caller.yml',
        { name: 'workflow_dispatch', repository: 'acme/models', secrets: {}, payload: {}, refs: { v1: V1 } },
        run
      );
      expect(calls.length).toBe(5);
      expect(new Set(calls.map((c) => c.actionSha))).toEqual(new Set([X]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every example pins one ref for all it uses of this repository', () => {
    for (const file of FILES.filter((f) => f.startsWith('examples/'))) {
      const refs = new Set(
        [
          ...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/uses: arena-ft\/arena-ft-pipeline[^@\s]*@(\S+)/g)
        ].map((m) => m[1])
      );
      expect([file, refs.size]).toEqual([file, 1]);
    }
  });

  it("CI calls the workflows of its own commit (a local call), which run this commit's action", async () => {
    const { calls, run } = recorder();
    const sha = 'e'.repeat(40);
    await simulate(
      ROOT,
      '.github/workflows/ci.yml',
      { name: 'push', repository: 'arena-ft/arena-ft-pipeline', secrets: {}, payload: {}, sha },
      run
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.actionSha))).toEqual(new Set([sha]));
    expect(calls[0].with['models-file']).toBe('examples/models/models.yaml');
    expect(DEFAULT_SHA).not.toBe(sha);
  });
});

describe('smaller rules', () => {
  const pipelineCall = (inputs: Record<string, unknown>) =>
    simulate(
      ROOT,
      '.github/workflows/pipeline.yml',
      { name: 'workflow_dispatch', repository: 'acme/models', secrets: {}, payload: {} },
      recorder().run,
      { inputs: { model: 'bigscience/bloom-560m', 'oss-bucket': 'b', ...inputs }, secrets: {} }
    );

  it('runs-on must be JSON: a bare label fails when the job is evaluated', async () => {
    await expect(pipelineCall({ 'runs-on': 'ubuntu-latest' })).rejects.toThrow();
    await expect(pipelineCall({ 'runs-on': '["self-hosted", "gpu"]' })).resolves.toBeDefined();
  });

  it('matrix job names show the model and version, not the whole spec', async () => {
    const { run } = recorder();
    const res = await simulate(
      ROOT,
      'examples/preview.yml',
      prEvent({ fork: false, labels: ['deploy-preview'], action: 'labeled', label: 'deploy-preview' }),
      run
    );
    const names = res.jobs.find((j) => j.job.endsWith('/preview'))!.names;
    expect(names).toEqual(['preview bigscience/bloom-7b1 v1-pr42', 'preview bigscience/bloom-7b1 v2-pr42']);
  });

  it("the convert job's timeout outlives the longest convert-timeout the action accepts", () => {
    const convert = readWorkflow(ROOT, '.github/workflows/pipeline.yml').jobs.convert;
    expect(convert['timeout-minutes'] * 60).toBeGreaterThanOrEqual(MAX_TIMEOUT_SECONDS);
  });

  it('two model versions never share a concurrency group; two runs of one version do', async () => {
    const groupsOf = async (version: string) =>
      (
        await simulate(
          ROOT,
          '.github/workflows/pipeline.yml',
          { name: 'workflow_dispatch', repository: 'acme/models', secrets: {}, payload: {} },
          async () => ({
            ok: true,
            outputs: { version, 'serving-name': 'bloom-560m', 'hf-commit': 'c'.repeat(40) }
          }),
          { inputs: { model: 'bigscience/bloom-560m', 'oss-bucket': 'b' }, secrets: {} }
        )
      ).jobs.flatMap((j) => j.concurrency);
    const a = await groupsOf('main-aaaaaa');
    const b = await groupsOf('main-bbbbbb');
    expect(a.length).toBe(4);
    expect(new Set(a).size).toBe(4);
    expect(a.filter((g) => b.includes(g))).toEqual([]);
    expect(await groupsOf('main-aaaaaa')).toEqual(a);
  });

  it('preview runs queue per pull request: the newest push replaces a pending one, other pull requests never wait', () => {
    const wf = readWorkflow(ROOT, 'examples/preview.yml');
    expect(wf.concurrency['cancel-in-progress']).toBe(false);
    const group = (n: number) =>
      interpolate(wf.concurrency.group, { github: { event: { pull_request: { number: n } } } }) as string;
    const g = new ConcurrencyGroup();
    for (const run of ['push1', 'push2', 'close']) g.arrive(`${group(42)}:${run}`);
    // the close replaces the pending push: the previews are removed after the running deploy, not redeployed
    expect(g.cancelled).toEqual([`${group(42)}:push2`]);
    expect(group(42)).not.toBe(group(43));
  });

  it("a pull request's diff base is HEAD^1 of the merge commit, not the event's (possibly stale) base sha", async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'wf-git-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString().trim();
      git('init', '-q', '-b', 'main');
      git('config', 'user.email', 'ci@example.com');
      git('config', 'user.name', 'ci');
      writeFileSync(path.join(repo, 'models.yaml'), 'models: []\n');
      git('add', '.');
      git('commit', '-qm', 'base at the event');
      const stale = git('rev-parse', 'HEAD');
      git('checkout', '-qb', 'pr');
      writeFileSync(path.join(repo, 'models.yaml'), 'models:\n  - model: a/b\n');
      git('commit', '-qam', 'the change');
      git('checkout', '-q', 'main');
      writeFileSync(path.join(repo, 'other.txt'), 'x\n');
      git('add', '.');
      git('commit', '-qm', 'base moved');
      const moved = git('rev-parse', 'HEAD');
      git('merge', '-q', '--no-ff', '-m', 'merge', 'pr');
      const { calls, run } = recorder();
      const event = prEvent({ fork: true, labels: [] });
      (event.payload.pull_request as { base: { sha: string } }).base.sha = stale;
      await simulate(ROOT, 'examples/pull-request.yml', { ...event, workspace: repo }, run);
      expect(calls[0].with['models-base-ref']).toBe(moved);
      expect(moved).not.toBe(stale);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('no secret value is ever written into a workflow or example', () => {
    for (const file of FILES) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const v of ALL_SECRET_VALUES) expect(text.includes(v)).toBe(false);
    }
  });
});

it('StartupFailure is what the simulator throws for a start-up refusal', () => {
  expect(new StartupFailure('x')).toBeInstanceOf(Error);
});
