/**
 * The reusable workflows and the caller examples, checked as GitHub would run them: parsed by GitHub's parser,
 * expressions evaluated by GitHub's evaluator for representative events, every `with:` key checked against the
 * action or the called workflow, and the resulting action invocations inspected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  ACTION_REF,
  WORKFLOW_REF,
  simulate,
  workflowErrors,
  readWorkflow,
  type Event,
  type Yaml,
  type Invocation
} from '../helpers/workflow-sim.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FILES = [
  ...readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(path.join(ROOT, 'examples')).map((f) => `examples/${f}`)
].filter((f) => /\.ya?ml$/.test(f));

const loadAction = () =>
  parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { required?: boolean; default?: string }>;
    outputs: Record<string, unknown>;
  };

const SECRETS = {
  HF_TOKEN: 'hf_secretvalue',
  OSS_ACCESS_KEY_ID: 'LTAIsecretid',
  OSS_ACCESS_KEY_SECRET: 'secret-oss-key',
  ACK_KUBECONFIG: 'apiVersion: v1'
};

function prEvent(opts: { fork: boolean; labels: string[] }): Event {
  return {
    name: 'pull_request',
    repository: 'acme/models',
    secrets: opts.fork ? {} : SECRETS,
    payload: {
      number: 42,
      pull_request: {
        number: 42,
        base: { sha: 'b'.repeat(40) },
        head: { repo: { full_name: opts.fork ? 'stranger/models' : 'acme/models' } },
        labels: opts.labels.map((name) => ({ name }))
      }
    }
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
      outputs['models-matrix'] = JSON.stringify([
        {
          model: 'bigscience/bloom-7b1',
          version: `v1${inv.with['models-version-suffix'] ?? ''}`,
          revision: 'main',
          spec: '{"model":"bigscience/bloom-7b1"}'
        }
      ]);
      outputs['models-count'] = '1';
    }
    return { outputs, ok: true };
  };
  return { calls, run };
}

describe.each(FILES)('%s', (file) => {
  const wf = readWorkflow(ROOT, file);

  it("parses without errors in GitHub's workflow parser", () => {
    expect(workflowErrors(ROOT, file)).toEqual([]);
  });

  it('passes only inputs the action or the called workflow declares, and every required one', () => {
    const action = loadAction();
    for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
      if (typeof job.uses === 'string') {
        const m = job.uses.match(WORKFLOW_REF);
        expect(m).not.toBeNull();
        const called = readWorkflow(ROOT, m![1]);
        const call = (called.on ?? called[true as unknown as string]).workflow_call;
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
        if (step.uses !== ACTION_REF) continue;
        for (const key of Object.keys(step.with ?? {}))
          expect([`${id}: ${key}`, key in action.inputs]).toEqual([`${id}: ${key}`, true]);
      }
    }
  });
});

describe('events', () => {
  const examples = (f: string) => `examples/${f}`;

  it('a fork pull request plans with no secrets and deploys nothing', async () => {
    const { calls, run } = recorder();
    const res = await simulate(
      ROOT,
      examples('pull-request.yml'),
      prEvent({ fork: true, labels: ['deploy-preview'] }),
      run
    );
    expect(res.jobs.find((j) => j.job.endsWith('/preview'))?.status).toBe('skipped');
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.with.plan).toBe('true');
      for (const key of ['hf-token', 'oss-access-key-id', 'oss-access-key-secret', 'kubeconfig']) {
        expect([c.job, key, c.with[key] ?? '']).toEqual([c.job, key, '']);
      }
    }
  });

  it('a same-repository pull request without the label only plans', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, examples('pull-request.yml'), prEvent({ fork: false, labels: [] }), run);
    expect(calls.every((c) => c.with.plan === 'true')).toBe(true);
  });

  it('a labelled same-repository pull request deploys a preview version through every stage', async () => {
    const { calls, run } = recorder();
    await simulate(ROOT, examples('pull-request.yml'), prEvent({ fork: false, labels: ['deploy-preview'] }), run);
    const stages = calls.filter((c) => c.with.plan !== 'true').map((c) => c.with.stages);
    expect(stages).toEqual(['sync', 'setup,storage,convert', 'setup,deploy', 'setup,smoke']);
    const deploy = calls.find((c) => c.with.stages === 'setup,deploy')!;
    expect(deploy.with.version).toBe('v1-pr42');
    expect(deploy.with['hf-commit'] ?? deploy.with.revision).toBe('c'.repeat(40));
    expect(deploy.with.kubeconfig).toBe(SECRETS.ACK_KUBECONFIG);
  });

  it('a manual dispatch runs the chosen stages only', async () => {
    const { calls, run } = recorder();
    await simulate(
      ROOT,
      examples('dispatch.yml'),
      {
        name: 'workflow_dispatch',
        repository: 'acme/models',
        secrets: SECRETS,
        payload: {
          inputs: {
            model: 'bigscience/bloom-560m',
            revision: 'main',
            version: 'v7',
            stages: 'deploy,smoke',
            'tensor-parallel': '2',
            environment: 'staging'
          }
        }
      },
      run
    );
    expect(calls.map((c) => c.with.stages)).toEqual(['all', 'setup,deploy', 'setup,smoke']);
    expect(calls[1].with['tensor-parallel']).toBe('2');
    expect(calls[1].with['serve-gpus']).toBe('2');
    expect(calls[1].with.model).toBe('bigscience/bloom-560m');
  });

  it('a release deploys every model with the tag in the version', async () => {
    const { calls, run } = recorder();
    await simulate(
      ROOT,
      examples('release.yml'),
      { name: 'release', repository: 'acme/models', secrets: SECRETS, payload: { release: { tag_name: 'v1.4.0' } } },
      run
    );
    expect(calls[0].with['models-select']).toBe('all');
    expect(calls[0].with['models-version-suffix']).toBe('-v1.4.0');
    expect(calls.filter((c) => c.with.plan !== 'true').map((c) => c.with.stages)).toEqual([
      'sync',
      'setup,storage,convert',
      'setup,deploy',
      'setup,smoke'
    ]);
  });
});
