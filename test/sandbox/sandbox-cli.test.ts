/**
 * `npm run sandbox`, as tools outside the test suite use it: one JSON line with the documented keys on stdout,
 * every endpoint answering, the admin API working, and SIGTERM stopping it and removing its files.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('prints one JSON line of endpoints and credentials, serves, and cleans up on SIGTERM', async () => {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['sandbox/cli.ts'], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${stderr}`)));
  });
  const info = JSON.parse(firstLine);
  try {
    expect(Object.keys(info).sort()).toEqual(['admin', 'cluster', 'hub', 'kube', 'oss', 'releases']);
    // the cluster's pods reach the hub and OSS on their own endpoints (the network model's cluster side)
    expect(info.cluster).toEqual({
      hub: { endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
      oss: { endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) }
    });
    expect(info.cluster.oss.endpoint).not.toBe(info.oss.endpoint);
    expect(info.hub).toEqual({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      token: expect.stringMatching(/^hf_/)
    });
    expect(info.oss).toEqual({
      endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      bucket: expect.any(String),
      region: expect.any(String),
      accessKeyId: expect.any(String),
      accessKeySecret: expect.any(String)
    });
    expect(readFileSync(info.kube.kubeconfig, 'utf8')).toMatch(/certificate-authority-data/);
    // kube.kubeconfig stays cluster-admin for tools outside the suite; the pipeline's ServiceAccount is beside it
    expect(info.kube.kubeconfig).toBe(info.kube.adminKubeconfig);
    expect(readFileSync(info.kube.pipelineKubeconfig!, 'utf8')).toMatch(/token: /);
    expect(info.kube.user).toBe('system:serviceaccount:default-group:arena-ft-pipeline');
    const admin = await fetch(`${info.admin.endpoint}/info`).then((r) => r.json());
    expect(admin).toEqual(info);
    const faultId = (await fetch(`${info.admin.endpoint}/faults`, {
      method: 'POST',
      body: JSON.stringify({ service: 'hub', path: '/api/models/', action: { kind: 'status', status: 503 } })
    }).then((r) => r.json())) as { id: number };
    expect(faultId.id).toEqual(expect.any(Number));
    const faulted = await fetch(`${info.hub.endpoint}/api/models/org/x/revision/main`);
    expect(faulted.status).toBe(503);
    const recorded = (await fetch(`${info.admin.endpoint}/requests?service=hub`).then((r) => r.json())) as unknown[];
    expect(recorded.length).toBeGreaterThan(0);
    const flavor = (f: string) =>
      fetch(`${info.admin.endpoint}/kube/operator`, { method: 'POST', body: JSON.stringify({ flavor: f }) });
    expect(await (await flavor('pytorch-operator')).json()).toEqual({ flavor: 'pytorch-operator' });
    expect((await flavor('mpi-operator')).status).toBe(400);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  expect(existsSync(info.kube.kubeconfig)).toBe(false);
  expect(existsSync(info.kube.pipelineKubeconfig!)).toBe(false);
});
