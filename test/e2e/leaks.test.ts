/**
 * Secret-leak check (issue 10, point 3): the bundled action (dist/) runs the demo through all six stages and a few
 * failing cells with known secret values — the HF token, the OSS AccessKey id and secret, the kubeconfig's bearer
 * token — and every stdout, stderr, summary, output, env, state and path file, and every file under RUNNER_TEMP
 * except the 0600 kubeconfig the action writes on purpose, is scanned for them (raw, base64, URL-encoded).
 * The fault matrix's cancel cells scan their runs the same way (test/faults/matrix.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FaultSpec } from '../../sandbox/types.js';
import type { Scenario } from '../../sandbox/operator/scenarios.js';
import { REPO_ROOT, environmentAfter, runStep } from '../../scripts/lib/run-action.js';
import {
  sandboxSecrets,
  stageRows,
  startFaultSandbox,
  stepLeaks,
  type FaultSandbox,
  type Secrets
} from '../faults/harness.js';
import type { Leak } from '../helpers/leaks.js';

describe('no secret reaches a runner file (bundled action)', () => {
  let fs: FaultSandbox;
  let work: string;
  let secrets: Secrets;
  let n = 0;

  beforeAll(async () => {
    await access(path.join(REPO_ROOT, 'dist/main/index.js'));
    await access(path.join(REPO_ROOT, 'dist/post/index.js'));
    fs = await startFaultSandbox();
    work = await mkdtemp(path.join(tmpdir(), 'leaks-'));
    secrets = await sandboxSecrets(fs.sb);
  });
  afterAll(async () => {
    await fs?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Main, a scan of everything it left (the 0600 kubeconfig excepted), post, a scan of everything again. */
  async function runScanned(over: Record<string, string>, setup: { faults?: FaultSpec[]; scenario?: Scenario } = {}) {
    fs.clear();
    for (const f of setup.faults ?? []) fs.sb.faults.add(f);
    if (setup.scenario) fs.sb.operator!.setScenario(setup.scenario);
    const label = `run-${++n}`;
    const dirs = { jobDir: path.join(work, label), toolCache: path.join(work, 'tool-cache') };
    const inputs = await fs.inputs({ stages: 'all', ...over });
    const main = await runStep({ entry: 'main', inputs, dirs, step: `${label}-main` });
    const post0 = main.state['arena-ft-pipeline']
      ? (JSON.parse(main.state['arena-ft-pipeline']) as { kubeconfigPath?: string })
      : {};
    const kubeconfig = post0.kubeconfigPath;
    const problems: string[] = [];
    if (kubeconfig) {
      const mode = (await stat(kubeconfig)).mode & 0o777;
      if (mode !== 0o600) problems.push(`the kubeconfig ${kubeconfig} has mode ${mode.toString(8)}, not 600`);
      if (!kubeconfig.startsWith(main.files.runnerTemp))
        problems.push(`the kubeconfig ${kubeconfig} is not under RUNNER_TEMP`);
    }
    const leaks: Leak[] = await stepLeaks(main, `${label} main`, secrets, kubeconfig ? [kubeconfig] : []);
    const post = await runStep({
      entry: 'post',
      inputs,
      dirs,
      step: `${label}-post`,
      state: main.state,
      env: environmentAfter(main, { PATH: process.env.PATH ?? '' })
    });
    leaks.push(...(await stepLeaks(post, `${label} post`, secrets)));
    if (kubeconfig && (await stat(kubeconfig).catch(() => undefined)))
      problems.push(`the post step left the kubeconfig ${kubeconfig}`);
    fs.clear();
    return {
      main,
      post,
      rows: stageRows(main),
      leaks: leaks.map((l) => `${l.secretName} (${l.form}) in ${l.where}`),
      problems
    };
  }

  test('the secrets are long enough to be found', () => {
    for (const [name, value] of Object.entries(secrets)) expect([name, value.length >= 6]).toEqual([name, true]);
  });

  test('demo: all six stages succeed and nothing leaks', async () => {
    const r = await runScanned({});
    expect(r.rows.map((x) => `${x.stage}:${x.status}`)).toEqual([
      'setup:done',
      'sync:done',
      'storage:done',
      'convert:done',
      'deploy:done',
      'smoke:done'
    ]);
    expect(r.main.exitCode).toBe(0);
    expect(r.post.exitCode).toBe(0);
    expect(r.leaks).toEqual([]);
    expect(r.problems).toEqual([]);
  });

  const failing: {
    name: string;
    code: RegExp;
    over: Record<string, string>;
    faults?: FaultSpec[];
    scenario?: Scenario;
  }[] = [
    {
      name: 'sync: hub 5xx, persistent',
      code: /^HF_/,
      over: { version: 'leak-1', 'oss-prefix': 'leak-1', 'sync-retries': '1' },
      faults: [{ service: 'hub', path: '/revision/', times: 1000, action: { kind: 'status', status: 503 } }]
    },
    {
      name: 'sync: OSS 403 on every PUT (signed requests in the error)',
      code: /^OSS_/,
      over: { version: 'leak-2', 'oss-prefix': 'leak-2', 'sync-retries': '1' },
      faults: [
        {
          service: 'oss',
          method: 'PUT',
          times: 1000,
          action: {
            kind: 'status',
            status: 403,
            code: 'AccessDenied',
            message: 'The bucket you access does not belong to you.'
          }
        }
      ]
    },
    {
      name: 'storage: API 500 on applying the OSS credential Secret',
      code: /^STORAGE_/,
      over: { version: 'leak-3', 'pvc-name': 'leak-3' },
      faults: [
        { service: 'kube', method: 'PATCH', path: '/secrets/', times: 1000, action: { kind: 'status', status: 500 } }
      ]
    },
    {
      name: 'convert: job Failed',
      code: /^CONVERT_/,
      over: { version: 'leak-4' },
      scenario: { match: /^ft-/, outcome: 'fail-at', afterLines: 3 }
    },
    {
      name: 'deploy: ImagePullBackOff',
      code: /^DEPLOY_/,
      over: { version: 'leak-5', 'serve-image': 'registry.example.com/nope/triton:1' }
    }
  ];
  for (const c of failing) {
    test(`failing cell (${c.name}): fails as expected and nothing leaks`, async () => {
      const r = await runScanned(c.over, { faults: c.faults, scenario: c.scenario });
      const failed = r.rows.find((x) => x.status === 'failed');
      expect(r.main.exitCode).toBe(1);
      expect(failed?.error?.code ?? 'no failed stage').toMatch(c.code);
      expect(r.post.exitCode).toBe(0);
      expect(r.leaks).toEqual([]);
      expect(r.problems).toEqual([]);
      for (const d of fs.sb.kube!.store.list({ group: 'apps', version: 'v1', plural: 'deployments' }, undefined)
        .items) {
        fs.sb.kube!.store.delete(
          { group: 'apps', version: 'v1', plural: 'deployments' },
          d.metadata.namespace,
          d.metadata.name
        );
      }
    });
  }
});
