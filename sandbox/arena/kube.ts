/**
 * The Kubernetes access Arena needs, over plain HTTPS + JSON: kubeconfig from `--config` or `KUBECONFIG`
 * (then ~/.kube/config), CA data, bearer token or client certificate, the context's namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { kubectlApply, kubectlDelete, lookPath, resourceOf, ARENA_KUBECTL } from './kubectl.js';

export interface KubeTarget {
  server: string;
  namespace: string;
  token?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
}

export class ArenaError extends Error {}

/**
 * A failed API call as client-go reports it: the Status reason and message (status 0 when the server was not
 * reached). kubectl prints it as `Error from server (<reason>): …`.
 */
export class KubeCallError extends ArenaError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string
  ) {
    super(message);
  }
}

interface NamedList<T> {
  name: string;
  [k: string]: unknown;
  value?: T;
}

function fileOrData(data: unknown, file: unknown, base: string): Buffer | undefined {
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file !== '') return readFileSync(path.resolve(base, file));
  return undefined;
}

export function loadKubeconfig(explicit?: string): KubeTarget {
  const candidates = explicit
    ? [explicit]
    : process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(path.delimiter).filter((p) => p !== '')
      : [path.join(os.homedir(), '.kube', 'config')];
  const file = candidates.find((p) => existsSync(p));
  if (!file) {
    throw new ArenaError(
      `failed to load kubeconfig: stat ${candidates[0] ?? '~/.kube/config'}: no such file or directory`
    );
  }
  // pkg/apis/config/kubeclient.go exports the resolved file, so the arena-kubectl it runs uses the same cluster.
  process.env.KUBECONFIG = file;
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ArenaError(`failed to load kubeconfig ${file}: ${(e as Error).message}`);
  }
  const list = <T>(k: string, inner: string): NamedList<T>[] =>
    ((doc?.[k] as Record<string, unknown>[] | undefined) ?? []).map((e) => ({
      name: String(e.name),
      value: e[inner] as T
    }));
  const ctxName = String(doc?.['current-context'] ?? '');
  const ctx = list<Record<string, string>>('contexts', 'context').find((c) => c.name === ctxName)?.value;
  if (!ctx) throw new ArenaError(`invalid configuration: context "${ctxName}" does not exist in ${file}`);
  const cluster = list<Record<string, unknown>>('clusters', 'cluster').find((c) => c.name === ctx.cluster)?.value;
  if (!cluster || typeof cluster.server !== 'string')
    throw new ArenaError(`invalid configuration: cluster "${ctx.cluster}" has no server in ${file}`);
  const user = list<Record<string, unknown>>('users', 'user').find((u) => u.name === ctx.user)?.value ?? {};
  const base = path.dirname(file);
  const tokenFile =
    typeof user.tokenFile === 'string' ? readFileSync(path.resolve(base, user.tokenFile), 'utf8').trim() : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    namespace: ctx.namespace || 'default',
    token: typeof user.token === 'string' ? user.token : tokenFile,
    ca: fileOrData(cluster['certificate-authority-data'], cluster['certificate-authority'], base),
    cert: fileOrData(user['client-certificate-data'], user['client-certificate'], base),
    key: fileOrData(user['client-key-data'], user['client-key'], base),
    insecure: cluster['insecure-skip-tls-verify'] === true
  };
}

export interface KubeResponse {
  status: number;
  body: unknown;
}

/** The reason a failed call gives (`Status.message`), or the status line. */
export function statusMessage(r: KubeResponse): string {
  const b = r.body as { message?: string } | undefined;
  return b?.message ?? `the server responded with status ${r.status}`;
}

/** The Status reason of a failed call (`Unknown` when the body is not a Status). */
export function statusReason(r: KubeResponse): string {
  return (r.body as { reason?: string } | undefined)?.reason ?? 'Unknown';
}

export class KubeClient {
  constructor(readonly target: KubeTarget) {}

  private request(
    method: string,
    p: string,
    body?: unknown,
    contentType = 'application/json'
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.target.server + p);
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'arena/v0.15.2 (linux/amd64) kubernetes/$Format'
    };
    if (this.target.token && url.protocol === 'https:') headers.authorization = `Bearer ${this.target.token}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          headers,
          ca: this.target.ca,
          cert: this.target.cert,
          key: this.target.key,
          rejectUnauthorized: !this.target.insecure,
          agent: false
        },
        resolve
      );
      req.on('error', (e) =>
        reject(
          new KubeCallError(0, '', `failed to reach the Kubernetes API server ${this.target.server}: ${e.message}`)
        )
      );
      req.end(payload);
    });
  }

  async call(method: string, p: string, body?: unknown, contentType?: string): Promise<KubeResponse> {
    const res = await this.request(method, p, body, contentType);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // non-JSON error text stays a string
    }
    return { status: res.statusCode ?? 0, body: parsed };
  }

  /** GET that must succeed (or 404 → undefined). */
  async get<T = Record<string, unknown>>(p: string): Promise<T | undefined> {
    const r = await this.call('GET', p);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw new ArenaError(statusMessage(r));
    return r.body as T;
  }

  /**
   * Creates an object as Arena v0.15.2 does: the chart's objects through `arena-kubectl apply`, Arena's own
   * ConfigMap through the API (kubeclient.CreateAppConfigmap), after `arena-kubectl create --dry-run=client`
   * (SaveAppInfo) has already needed arena-kubectl.
   */
  async create(p: string, obj: unknown): Promise<Record<string, unknown>> {
    lookPath(ARENA_KUBECTL);
    const target = resourceOf(`${p}/x`);
    if ((obj as { kind?: string }).kind !== 'ConfigMap' && target) return kubectlApply(target.namespace, obj);
    const r = await this.call('POST', p, obj);
    if (r.status >= 300) throw new KubeCallError(r.status, statusReason(r), statusMessage(r));
    return r.body as Record<string, unknown>;
  }

  /** `arena-kubectl delete` (pkg/util/kubectl/kubectl.go); false when it was not there. */
  async remove(p: string, body?: unknown): Promise<boolean> {
    const target = resourceOf(p);
    if (target) return kubectlDelete(target.resource, target.namespace);
    const r = await this.call('DELETE', p, body);
    if (r.status === 404) return false;
    if (r.status >= 300) throw new ArenaError(statusMessage(r));
    return true;
  }

  /** Stream a text response (pod logs) to `out`; resolves when the server ends it. */
  async stream(p: string, out: (chunk: string) => void): Promise<void> {
    const res = await this.request('GET', p);
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      let msg = Buffer.concat(chunks).toString('utf8');
      try {
        msg = (JSON.parse(msg) as { message?: string }).message ?? msg;
      } catch {
        // plain text
      }
      throw new ArenaError(msg);
    }
    res.setEncoding('utf8');
    for await (const c of res) out(c as string);
  }
}

export const PYTORCHJOBS = (ns: string): string =>
  `/apis/kubeflow.org/v1/namespaces/${encodeURIComponent(ns)}/pytorchjobs`;
export const CORE = (ns: string, plural: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/${plural}`;
export const APPS = (ns: string, plural: string): string =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${plural}`;
