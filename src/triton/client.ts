/**
 * KServe v2 HTTP client for Triton, over a local port (the port-forward). Connections are kept alive, so the
 * latencies measure inference, not opening forwarded streams; a request whose connection (stream) dropped is
 * sent once more on a fresh one.
 */
import * as http from 'node:http';

export interface V2Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform?: string;
  inputs?: { name: string; datatype: string; shape: number[] }[];
  outputs?: { name: string; datatype: string; shape: number[] }[];
}

export class TritonHttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'TritonHttpError';
  }
}

export interface TritonClientOptions {
  /** Called when a request is retried on a new connection. */
  readonly onReconnect?: (why: string) => void;
  readonly timeoutMs?: number;
}

export class TritonClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  reconnects = 0;

  constructor(
    readonly port: number,
    private readonly opts: TritonClientOptions = {}
  ) {}

  close(): void {
    this.agent.destroy();
  }

  private once(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        }
      );
      req.setTimeout(this.opts.timeoutMs ?? 60_000, () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' }))
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    try {
      return await this.once(method, path, body);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ETIMEDOUT') throw err;
      this.reconnects++;
      this.opts.onReconnect?.(`${method} ${path}: ${(err as Error).message}`);
      return this.once(method, path, body);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    if (res.status !== 200) {
      let msg = res.body;
      try {
        msg = (JSON.parse(res.body) as { error?: string }).error ?? res.body;
      } catch {
        /* not JSON */
      }
      throw new TritonHttpError(res.status, `${method} ${path}: ${res.status} ${msg}`.trim());
    }
    return JSON.parse(res.body) as T;
  }

  async serverReady(): Promise<boolean> {
    return (await this.request('GET', '/v2/health/ready')).status === 200;
  }

  async modelReady(model: string): Promise<boolean> {
    return (await this.request('GET', `/v2/models/${encodeURIComponent(model)}/ready`)).status === 200;
  }

  metadata(model: string): Promise<ModelMetadata> {
    return this.json('GET', `/v2/models/${encodeURIComponent(model)}`);
  }

  infer(model: string, inputs: readonly V2Tensor[], outputs: readonly string[]): Promise<{ outputs: V2Tensor[] }> {
    return this.json('POST', `/v2/models/${encodeURIComponent(model)}/infer`, {
      inputs,
      outputs: outputs.map((name) => ({ name }))
    });
  }
}
