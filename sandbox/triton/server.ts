/** The HTTP side of the simulator: KServe v2 on the http port, Prometheus text on the metrics port. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InferError, runInfer } from './infer.js';
import type { PbMessage, PbValue } from './pbtxt.js';
import type { ModelState } from './repository.js';

export interface ServerState {
  /** Loading finished (whatever the outcome). */
  loaded: boolean;
  models: ModelState[];
  /** Scenario delay for the generated tokens of one request. */
  delay(tokens: number): Promise<void>;
  /** A version that degrades under load (operator scenario `degrade-under-load`). */
  degrade?: Degradation;
}

/**
 * After `afterRequests` requests the server is "under load": every `failEvery`-th request fails as the FT
 * backend fails when GPU memory runs out, and the others take `latencyFactor` times as long.
 */
export interface Degradation {
  readonly afterRequests: number;
  readonly failEvery: number;
  readonly latencyFactor: number;
}

interface Stats {
  success: number;
  failure: number;
  count: number;
  execCount: number;
  requestUs: number;
  computeUs: number;
}

export function isServerReady(s: ServerState): boolean {
  return s.loaded && s.models.every((m) => m.state === 'READY');
}

/** Triton's /config JSON: map fields as objects, everything else as parsed. */
function configJson(m: ModelState): object {
  const cfg: PbMessage = m.config ?? {};
  const out: Record<string, PbValue | object> = {
    name: m.name,
    platform: '',
    backend: String(cfg.backend ?? ''),
    version_policy: cfg.version_policy ?? { latest: { num_versions: 1 } },
    max_batch_size: Number(cfg.max_batch_size ?? 0),
    input: ((cfg.input as PbMessage[]) ?? []).map((t) => ({
      name: t.name,
      data_type: t.data_type,
      format: t.format ?? 'FORMAT_NONE',
      dims: t.dims ?? [],
      ...(t.reshape ? { reshape: { shape: (t.reshape as PbMessage).shape ?? [] } } : {}),
      is_shape_tensor: t.is_shape_tensor ?? false,
      allow_ragged_batch: t.allow_ragged_batch ?? false,
      optional: t.optional ?? false
    })),
    output: ((cfg.output as PbMessage[]) ?? []).map((t) => ({
      name: t.name,
      data_type: t.data_type,
      dims: t.dims ?? [],
      ...(t.reshape ? { reshape: { shape: (t.reshape as PbMessage).shape ?? [] } } : {}),
      label_filename: t.label_filename ?? '',
      is_shape_tensor: t.is_shape_tensor ?? false
    })),
    instance_group: ((cfg.instance_group as PbMessage[]) ?? []).map((g, i) => ({
      name: g.name ?? `${m.name}_${i}`,
      kind: g.kind ?? 'KIND_GPU',
      count: g.count ?? 1,
      gpus: g.gpus ?? [],
      profile: g.profile ?? [],
      passive: g.passive ?? false,
      host_policy: g.host_policy ?? ''
    })),
    default_model_filename: cfg.default_model_filename ?? '',
    parameters: Object.fromEntries(((cfg.parameters as PbMessage[]) ?? []).map((e) => [String(e.key), e.value ?? {}])),
    model_warmup: []
  };
  if (cfg.model_transaction_policy) out.model_transaction_policy = cfg.model_transaction_policy;
  if (cfg.dynamic_batching) out.dynamic_batching = cfg.dynamic_batching;
  return out;
}

function send(res: http.ServerResponse, status: number, body?: object): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' }).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class KserveServer {
  readonly stats = new Map<string, Stats>();
  private readonly http = http.createServer((req, res) => {
    this.handle(req, res).catch((e: Error) => send(res, 500, { error: e.message }));
  });
  private readonly metrics = http.createServer((req, res) => this.handleMetrics(req, res));

  constructor(
    private readonly state: ServerState,
    private readonly gpus: number
  ) {}

  async listen(withMetrics: boolean): Promise<{ http: number; metrics?: number }> {
    const on = (s: http.Server): Promise<number> =>
      new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
    return { http: await on(this.http), metrics: withMetrics ? await on(this.metrics) : undefined };
  }

  async close(): Promise<void> {
    const off = (s: http.Server): Promise<void> =>
      new Promise((resolve) => {
        if (!s.listening) return resolve();
        s.close(() => resolve());
        s.closeAllConnections();
      });
    await Promise.all([off(this.http), off(this.metrics)]);
  }

  private statsFor(m: ModelState): Stats {
    const k = `${m.name}\u0000${m.version}`;
    let s = this.stats.get(k);
    if (!s) this.stats.set(k, (s = { success: 0, failure: 0, count: 0, execCount: 0, requestUs: 0, computeUs: 0 }));
    return s;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://triton');
    const path = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const ready = isServerReady(this.state);
    if (method === 'GET' && path === '/v2/health/live') return send(res, 200);
    if (method === 'GET' && path === '/v2/health/ready') return send(res, ready ? 200 : 400);
    if (method === 'GET' && path === '/v2') {
      return send(res, 200, {
        name: 'triton',
        version: '2.20.0',
        extensions: [
          'classification',
          'sequence',
          'model_repository',
          'model_repository(unload_dependents)',
          'schedule_policy',
          'model_configuration',
          'system_shared_memory',
          'cuda_shared_memory',
          'binary_tensor_data',
          'statistics',
          'trace'
        ]
      });
    }
    if (method === 'POST' && path === '/v2/repository/index') {
      return send(
        res,
        200,
        this.state.models.map((m) => ({
          name: m.name,
          version: m.version,
          state: m.state,
          ...(m.reason ? { reason: m.reason } : {})
        }))
      );
    }
    const mm = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|config|infer|stats))?$/.exec(path);
    if (!mm) return send(res, 404, { error: 'Not Found' });
    const [, name, version, action] = mm;
    const model = this.state.models.find((m) => m.name === decodeURIComponent(name));
    const unknown = (): void => {
      if (!model) return send(res, 400, { error: `Request for unknown model: '${name}' is not found` });
      if (version && version !== model.version)
        return send(res, 400, { error: `Request for unknown model: '${name}' version ${version} is not found` });
      return send(res, 400, { error: `Request for unknown model: '${name}' has no available versions` });
    };
    const usable = model !== undefined && model.state === 'READY' && (!version || version === model.version);
    if (action === 'ready' && method === 'GET') return send(res, usable ? 200 : 400);
    if (!usable) return unknown();
    if (!action && method === 'GET') {
      return send(res, 200, {
        name: model.name,
        versions: [model.version],
        platform: 'fastertransformer',
        inputs: model.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        outputs: model.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }))
      });
    }
    if (action === 'config' && method === 'GET') return send(res, 200, configJson(model));
    if (action === 'stats' && method === 'GET') {
      const s = this.statsFor(model);
      return send(res, 200, {
        model_stats: [
          {
            name: model.name,
            version: model.version,
            inference_count: s.count,
            execution_count: s.execCount,
            inference_stats: {
              success: { count: s.success, ns: s.requestUs * 1000 },
              fail: { count: s.failure, ns: 0 }
            }
          }
        ]
      });
    }
    if (action === 'infer' && method === 'POST') {
      const started = Date.now();
      const stats = this.statsFor(model);
      const raw = await readBody(req);
      if (req.headers['inference-header-content-length'] !== undefined) {
        stats.failure++;
        return send(res, 400, { error: 'the sandbox Triton does not accept binary tensor data; send JSON "data"' });
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        stats.failure++;
        return send(res, 400, { error: `failed to parse the request JSON buffer: ${(e as Error).message}` });
      }
      try {
        const r = runInfer(model, body);
        const d = this.state.degrade;
        const served = stats.success + stats.failure;
        if (d && served >= d.afterRequests) {
          if ((served - d.afterRequests) % Math.max(1, d.failEvery) === 0) {
            await this.state.delay(r.generatedTokens);
            stats.failure++;
            return send(res, 400, {
              error: `[FT][ERROR] CUDA runtime error: out of memory /workspace/build/fastertransformer_backend/build/_deps/repo-ft-src/src/fastertransformer/utils/allocator.h:181`
            });
          }
          await this.state.delay(r.generatedTokens * d.latencyFactor);
        } else await this.state.delay(r.generatedTokens);
        const us = (Date.now() - started) * 1000;
        stats.success++;
        stats.count += r.batchSize;
        stats.execCount++;
        stats.requestUs += us;
        stats.computeUs += us;
        return send(res, 200, r.body);
      } catch (e) {
        stats.failure++;
        if (e instanceof InferError) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    return send(res, 405, { error: `unsupported method ${method} for ${path}` });
  }

  private handleMetrics(req: http.IncomingMessage, res: http.ServerResponse): void {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const lines: string[] = [];
    const family = (name: string, help: string, type: string, values: [string, number][]): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of values) lines.push(`${name}{${labels}} ${v}`);
    };
    const per = (f: (s: Stats) => number): [string, number][] =>
      this.state.models
        .filter((m) => m.state === 'READY')
        .map((m) => [`model="${m.name}",version="${m.version}"`, f(this.statsFor(m))]);
    family(
      'nv_inference_request_success',
      'Number of successful inference requests, all batch sizes',
      'counter',
      per((s) => s.success)
    );
    family(
      'nv_inference_request_failure',
      'Number of failed inference requests, all batch sizes',
      'counter',
      per((s) => s.failure)
    );
    family(
      'nv_inference_count',
      'Number of inferences performed (does not include cached requests)',
      'counter',
      per((s) => s.count)
    );
    family(
      'nv_inference_exec_count',
      'Number of model executions performed (does not include cached requests)',
      'counter',
      per((s) => s.execCount)
    );
    family(
      'nv_inference_request_duration_us',
      'Cumulative inference request duration in microseconds (includes cached requests)',
      'counter',
      per((s) => s.requestUs)
    );
    family(
      'nv_inference_queue_duration_us',
      'Cumulative inference queuing duration in microseconds (includes cached requests)',
      'counter',
      per(() => 0)
    );
    family(
      'nv_inference_compute_input_duration_us',
      'Cumulative compute input duration in microseconds (does not include cached requests)',
      'counter',
      per(() => 0)
    );
    family(
      'nv_inference_compute_infer_duration_us',
      'Cumulative compute inference duration in microseconds (does not include cached requests)',
      'counter',
      per((s) => s.computeUs)
    );
    family(
      'nv_inference_compute_output_duration_us',
      'Cumulative inference compute output duration in microseconds (does not include cached requests)',
      'counter',
      per(() => 0)
    );
    const gpus = Array.from({ length: this.gpus }, (_, i) => `gpu_uuid="GPU-sandbox-${String(i).padStart(4, '0')}"`);
    family(
      'nv_gpu_utilization',
      'GPU utilization rate [0.0 - 1.0)',
      'gauge',
      gpus.map((g) => [g, 0])
    );
    family(
      'nv_gpu_memory_total_bytes',
      'GPU total memory, in bytes',
      'gauge',
      gpus.map((g) => [g, 24 * 2 ** 30])
    );
    family(
      'nv_gpu_memory_used_bytes',
      'GPU used memory, in bytes',
      'gauge',
      gpus.map((g) => [g, 2 ** 30])
    );
    const text = lines.join('\n') + '\n';
    res
      .writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
      .end(text);
  }
}
