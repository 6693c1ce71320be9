/**
 * The Kubernetes adapter on @kubernetes/client-node: its KubeConfig (auth, TLS, context), Watch and PortForward.
 * Reads and writes go as plain JSON requests authenticated by the KubeConfig, so every object reaches the
 * stages exactly as the API server sent it (no typed-model conversion, no discovery round trips).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Writable } from 'node:stream';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { PipelineError } from '../errors.js';
import { retry } from '../util/retry.js';
import { forbiddenError } from '../util/forbidden.js';
import {
  KUBE_ATTEMPTS,
  CONFIGMAP,
  DEPLOYMENT,
  JOB,
  isTransient,
  EVENT,
  FIELD_MANAGER,
  KubeApiError,
  POD,
  PV,
  PVC,
  PYTORCHJOB,
  SECRET,
  type KObj,
  type KubeApi,
  type LogRequest,
  type ResourceType,
  type Selector,
  type WatchEventType
} from './types.js';

/** Where the kubeconfig comes from (the config's `cluster` settings fit it). */
export interface KubeConfigSource {
  /** The kubeconfig's content; without it the exported KUBECONFIG, else the default location. */
  readonly kubeconfig?: string;
  readonly context?: string;
}

/** KubeConfig from the given kubeconfig content, else from the exported KUBECONFIG; then the context. */
export function loadKubeConfig(src: KubeConfigSource, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (src.kubeconfig) kc.loadFromString(src.kubeconfig);
    else if (env.KUBECONFIG) kc.loadFromFile(env.KUBECONFIG.split(':')[0]);
    else kc.loadFromDefault();
    if (src.context) kc.setCurrentContext(src.context);
  } catch (err) {
    throw new PipelineError(
      'KUBECONFIG_INVALID',
      `cannot load the kubeconfig: ${(err as Error).message}`,
      'Pass a valid kubeconfig (raw or base64) in the kubeconfig input, or export KUBECONFIG.',
      { cause: err }
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new PipelineError(
      'KUBECONFIG_INVALID',
      `the kubeconfig has no cluster for context "${kc.getCurrentContext()}"`,
      'Check the kube-context input against the contexts in the kubeconfig.'
    );
  }
  return kc;
}

export function resourcePath(type: ResourceType, namespace: string | undefined, name?: string): string {
  const base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${type.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

interface RawResponse {
  status: number;
  body: string;
}

/** How requests are retried; tests pass a sleep that does not wait (the product's retries never sleep in tests). */
export interface KubeRetryOptions {
  readonly attempts?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export class ClientNodeKubeApi implements KubeApi {
  private readonly server: URL;

  constructor(
    readonly kc: KubeConfig,
    private readonly retryOpts: KubeRetryOptions = {}
  ) {
    this.server = new URL(kc.getCurrentCluster()!.server);
  }

  private async open(method: string, path: string, headers: Record<string, string> = {}): Promise<http.ClientRequest> {
    const opts: https.RequestOptions = { method, headers: { Accept: 'application/json', ...headers } };
    await this.kc.applyToHTTPSOptions(opts);
    opts.headers = { ...(opts.headers as Record<string, string>), ...headers };
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    if (url.protocol === 'https:') return https.request(url, opts);
    return http.request(url, { method, headers: opts.headers });
  }

  /** One request, retried (same body) when the connection fails or the server answers 429/5xx: every call here is idempotent. */
  private async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json'
  ): Promise<RawResponse> {
    return retry(
      async () => {
        const res = await this.requestOnce(method, path, body, contentType);
        if (res.status === 429 || res.status >= 500) throw statusError(res, `${method} ${path}`);
        return res;
      },
      {
        attempts: this.retryOpts.attempts ?? KUBE_ATTEMPTS,
        baseDelayMs: 200,
        maxDelayMs: 3000,
        retryable: isTransient,
        sleep: this.retryOpts.sleep,
        random: this.retryOpts.random
      }
    ).catch((err: unknown) => {
      if (err instanceof KubeApiError && err.status >= 500)
        return { status: err.status, body: JSON.stringify({ reason: err.reason, message: err.message }) };
      throw err;
    });
  }

  private async requestOnce(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json'
  ): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = await this.open(
      method,
      path,
      payload === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(payload)) }
    );
    return new Promise<RawResponse>((resolve, reject) => {
      req.on('error', (err) =>
        reject(new KubeApiError(0, 'ConnectionError', `${method} ${path}: ${err.message}`, { cause: err }))
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) =>
          reject(new KubeApiError(0, 'ConnectionError', `${method} ${path}: ${err.message}`, { cause: err }))
        );
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(payload);
    });
  }

  private async json(method: string, path: string, body?: unknown, contentType?: string): Promise<KObj> {
    const res = await this.request(method, path, body, contentType);
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.body) as KObj;
    throw statusError(res, `${method} ${path}`);
  }

  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<KObj | undefined> {
    try {
      return await this.json('GET', resourcePath(type, namespace, name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(type: ResourceType, namespace: string | undefined, sel: Selector = {}) {
    const list = (await this.json('GET', resourcePath(type, namespace) + query({ ...sel }))) as unknown as {
      items?: KObj[];
      metadata?: { resourceVersion?: string };
    };
    const items = (list.items ?? []).map((o) => ({ apiVersion: type.apiVersion, kind: type.kind, ...o }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '0' };
  }

  async watch(
    type: ResourceType,
    namespace: string | undefined,
    opts: Selector & { resourceVersion: string },
    onEvent: (type: WatchEventType, obj: KObj) => void,
    onDone: (err?: unknown) => void
  ) {
    const w = new Watch(this.kc);
    const ctl = await w.watch(
      resourcePath(type, namespace),
      { ...opts, allowWatchBookmarks: true },
      (phase, obj) => onEvent(phase as WatchEventType, obj as KObj),
      (err: unknown) => {
        const code = (err as { statusCode?: number } | null)?.statusCode;
        // a refused watch carries only the status line: name what was asked
        if (code === 403) {
          const group = type.apiVersion.includes('/') ? type.apiVersion.split('/')[0] : '';
          const where = type.namespaced ? namespace : undefined;
          onDone(
            forbiddenError(`watch ${type.plural}`, '', {
              verb: 'watch',
              resource: type.plural,
              group,
              namespace: where
            })
          );
          return;
        }
        onDone(
          err
            ? code
              ? new KubeApiError(
                  code,
                  code === 410 ? 'Gone' : 'Error',
                  `watch ${type.plural}: ${(err as Error).message}`
                )
              : err
            : undefined
        );
      }
    );
    return { abort: () => ctl.abort() };
  }

  async apply(obj: KObj, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<KObj> {
    const type = typeOf(obj);
    const path =
      resourcePath(type, obj.metadata.namespace, obj.metadata.name) +
      query({
        fieldManager: FIELD_MANAGER,
        force: opts.force ? true : undefined,
        dryRun: opts.dryRun ? 'All' : undefined
      });
    return this.json('PATCH', path, obj, 'application/apply-patch+yaml');
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string): Promise<boolean> {
    const res = await this.request(
      'DELETE',
      resourcePath(type, namespace, name) + query({ propagationPolicy: 'Background' })
    );
    if (res.status === 404) return false;
    if (res.status >= 200 && res.status < 300) return true;
    throw statusError(res, `DELETE ${type.plural}/${name}`);
  }

  async log(namespace: string, pod: string, container: string, r: LogRequest, out: Writable) {
    const path =
      resourcePath(POD, namespace, pod) +
      '/log' +
      query({ container, follow: r.follow, tailLines: r.tailLines, sinceTime: r.sinceTime, timestamps: r.timestamps });
    const req = await this.open('GET', path, { Accept: '*/*' });
    let abort = (): void => void req.destroy();
    const done = new Promise<void>((resolve, reject) => {
      req.on('error', (err) =>
        reject(new KubeApiError(0, 'ConnectionError', `log ${pod}: ${err.message}`, { cause: err }))
      );
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            reject(statusError({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }, `log ${pod}`))
          );
          return;
        }
        abort = () => void res.destroy();
        res.on('data', (c: Buffer) => out.write(c));
        res.on('end', () => resolve());
        res.on('aborted', () => reject(new KubeApiError(0, 'ConnectionError', `log ${pod}: stream reset`)));
        res.on('error', (err) =>
          reject(new KubeApiError(0, 'ConnectionError', `log ${pod}: ${err.message}`, { cause: err }))
        );
      });
      req.end();
    });
    return { abort: () => abort(), done };
  }
}

const TYPES: Record<string, ResourceType> = Object.fromEntries(
  [SECRET, PV, PVC, POD, EVENT, DEPLOYMENT, PYTORCHJOB, JOB, CONFIGMAP].map((t) => [`${t.apiVersion}/${t.kind}`, t])
);
function typeOf(obj: KObj): ResourceType {
  const t = TYPES[`${obj.apiVersion}/${obj.kind}`];
  if (!t) throw new Error(`unknown resource type ${obj.apiVersion} ${obj.kind}`);
  return t;
}

function statusError(res: RawResponse, what: string): KubeApiError | PipelineError {
  let st: { reason?: string; message?: string } = {};
  try {
    st = JSON.parse(res.body) as typeof st;
  } catch {
    st = { message: res.body.slice(0, 200) };
  }
  // RBAC said no: no retry helps, the error names the rule to grant
  if (res.status === 403) return forbiddenError(what, st.message ?? '');
  return new KubeApiError(
    res.status,
    st.reason ?? 'Unknown',
    `${what}: ${res.status} ${st.reason ?? ''} ${st.message ?? ''}`.trim()
  );
}
