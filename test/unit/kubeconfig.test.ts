import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import selfsigned from 'selfsigned';
import { stringify } from 'yaml';
import { FaultRegistry } from '../../sandbox/faults.js';
import { ScenarioClock } from '../../sandbox/clock.js';
import { startKube, type KubeHandle } from '../../sandbox/kube/index.js';
import { PipelineError } from '../../src/errors.js';
import { checkConnectivity } from '../../src/kubeconfig/check.js';
import { decodeKubeconfig, parseKubeconfig } from '../../src/config/kubeconfig.js';
import { removeKubeconfig, writeKubeconfig } from '../../src/kubeconfig/write.js';

function kubeconfig(
  o: { server?: string; token?: string; caData?: string; extraUser?: Record<string, unknown>; current?: string } = {}
) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'ack',
        cluster: {
          server: o.server ?? 'https://1.2.3.4:6443',
          ...(o.caData ? { 'certificate-authority-data': o.caData } : {})
        }
      }
    ],
    contexts: [{ name: 'ack-ctx', context: { cluster: 'ack', user: 'ci' } }],
    users: [{ name: 'ci', user: { token: o.token ?? 'tok-1234567890', ...o.extraUser } }],
    'current-context': o.current ?? 'ack-ctx'
  });
}

async function err(p: Promise<unknown> | (() => unknown)): Promise<PipelineError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof PipelineError) return e;
    throw e;
  }
  throw new Error('expected a PipelineError');
}

describe('kubeconfig: parse', () => {
  it('accepts raw YAML and base64, and collects every credential', () => {
    const yaml = kubeconfig({
      extraUser: {
        'client-key-data': 'S0VZREFUQQ==',
        password: 'hunter22',
        exec: { command: 'aliyun', env: [{ name: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', value: 'exec-secret-value' }] }
      }
    });
    for (const input of [
      yaml,
      Buffer.from(yaml).toString('base64'),
      Buffer.from(yaml)
        .toString('base64')
        .replace(/(.{60})/g, '$1\n')
    ]) {
      const info = parseKubeconfig(input);
      expect(info.context).toBe('ack-ctx');
      expect(info.server).toBe('https://1.2.3.4:6443');
      expect(info.secrets).toEqual(
        expect.arrayContaining(['tok-1234567890', 'S0VZREFUQQ==', 'hunter22', 'exec-secret-value'])
      );
    }
    expect(decodeKubeconfig(yaml)).toBe(yaml);
  });

  it.each([
    ['not YAML', 'a: [', /not valid YAML/],
    ['no clusters', 'apiVersion: v1\nkind: Config\nusers: []\n', /has no clusters/],
    ['base64 of junk', Buffer.from('hello world, not a config').toString('base64'), /does not decode to a kubeconfig/],
    [
      'a context naming a missing user',
      kubeconfig().replace('user: ci', 'user: nobody'),
      /user "nobody", which is not in users/
    ]
  ])('rejects %s without quoting it', async (_w, input, re) => {
    const e = await err(() => parseKubeconfig(input));
    expect(e.code).toBe('KUBECONFIG_INVALID');
    expect(e.message).toMatch(re);
    expect(e.message).not.toContain('tok-1234567890');
  });

  it('names the available contexts when the chosen one is missing', async () => {
    const e = await err(() => parseKubeconfig(kubeconfig(), 'prod'));
    expect(e.code).toBe('KUBECONFIG_CONTEXT_NOT_FOUND');
    expect(e.message).toContain('Input "kube-context" names "prod"');
    expect(e.hint).toContain('ack-ctx');
  });
});

describe('kubeconfig: write and remove', () => {
  it('writes 0600 and removes only its own files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kc-'));
    const file = await writeKubeconfig('x: 1\n', dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('x: 1\n');
    expect(await removeKubeconfig(file)).toBe(true);
    await expect(stat(file)).rejects.toThrow();
    expect(await removeKubeconfig(path.join(dir, 'other.yaml'))).toBe(false);
    await rm(dir, { recursive: true });
  });
});

describe('kubeconfig: connectivity', () => {
  const faults = new FaultRegistry();
  /** The retry's waits, recorded instead of slept. */
  let slept: number[] = [];
  const sleep = async (ms: number) => void slept.push(ms);
  let kube: KubeHandle;
  let dir: string;
  let silent: https.Server;
  let silentUrl: string;
  let forbidding: https.Server;
  let forbiddingUrl: string;
  const insecure = (yaml: string) =>
    yaml.replace('cluster:\n      server', 'cluster:\n      insecure-skip-tls-verify: true\n      server');
  const sockets = new Set<import('node:net').Socket>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kc-conn-'));
    kube = await startKube({ faults, clock: new ScenarioClock(1000), dir });
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    silent = https.createServer({ key: pems.private, cert: pems.cert }, () => {
      /* never answers */
    });
    silent.on('secureConnection', (s) => sockets.add(s));
    forbidding = https.createServer({ key: pems.private, cert: pems.cert }, (_req, res) => {
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Forbidden',
        code: 403,
        message: 'forbidden'
      });
      res.writeHead(403, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((r) => forbidding.listen(0, '127.0.0.1', r));
    forbiddingUrl = `https://127.0.0.1:${(forbidding.address() as AddressInfo).port}`;
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await new Promise((r) => forbidding.close(r));
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function check(yaml: string, timeoutMs = 5000) {
    const file = await writeKubeconfig(yaml, dir);
    try {
      return await checkConnectivity({ kubeconfigPath: file, timeoutMs, sleep });
    } finally {
      await removeKubeconfig(file);
    }
  }

  it('reads the server version', async () => {
    const v = await check(await readFile(kube.kubeconfigPath, 'utf8'));
    expect(v.version).toMatch(/^v1\.34/);
  });

  it('explains a 401', async () => {
    const e = await err(check(kubeconfig({ server: kube.endpoint, caData: kube.caData, token: 'wrong-token-xyz' })));
    expect(e.code).toBe('KUBE_UNAUTHORIZED');
    expect(e.hint).toMatch(/wrong or expired/);
    expect(e.message).not.toContain('wrong-token-xyz');
  });

  it('explains a 403', async () => {
    const e = await err(check(insecure(kubeconfig({ server: forbiddingUrl, token: 'x'.repeat(10) }))));
    expect(e.code).toBe('KUBE_FORBIDDEN');
    expect(e.hint).toMatch(/RBAC/);
  });

  it('explains a TLS failure', async () => {
    const e = await err(check(kubeconfig({ server: kube.endpoint, token: kube.token })));
    expect(e.code).toBe('KUBE_TLS');
    expect(e.hint).toMatch(/certificate/);
  });

  it('explains a timeout', async () => {
    const e = await err(
      check(
        kubeconfig({ server: silentUrl, token: 'x'.repeat(10) }).replace(
          'cluster:\n      server',
          'cluster:\n      insecure-skip-tls-verify: true\n      server'
        ),
        300
      )
    );
    expect(e.code).toBe('KUBE_TIMEOUT');
  });

  it('explains an unreachable server', async () => {
    const closed = https.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const e = await err(check(kubeconfig({ server: `https://127.0.0.1:${port}`, token: 'x'.repeat(10) })));
    expect(e.code).toBe('KUBE_UNREACHABLE');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('asks again after one 500 on /version (issue 19): setup does not fail', async () => {
    slept = [];
    faults.reset();
    faults.add({ service: 'kube', method: 'GET', path: '^/version', action: { kind: 'status', status: 500 } });
    const v = await check(await readFile(kube.kubeconfigPath, 'utf8'));
    expect(v.version).toMatch(/^v1\.34/);
    expect(faults.pending()).toEqual([]);
    expect(slept.length).toBe(1);
  });

  it('a /version that keeps answering 503 is reported with its status after the retries', async () => {
    slept = [];
    faults.reset();
    faults.add({
      service: 'kube',
      method: 'GET',
      path: '^/version',
      times: 10,
      action: { kind: 'status', status: 503 }
    });
    const e = await err(check(await readFile(kube.kubeconfigPath, 'utf8')));
    expect(e.code).toBe('KUBE_API_UNAVAILABLE');
    expect(e.message).toContain('503');
    expect(faults.pending()[0].times).toBe(10 - 3);
    faults.reset();
  });
});
