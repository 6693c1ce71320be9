/**
 * The Triton Inference Server (FasterTransformer backend) simulator that the sandbox runs in a serving pod.
 * `createStartTriton({ oss })` gives the pod runtime a StartTriton: it parses the container's `tritonserver`
 * args, loads the model repository through the pod's volume (pod path → OSS, read with ali-oss), logs like
 * Triton, and serves KServe v2 HTTP (and metrics) on local ports. See README.md.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import OSS from 'ali-oss';
import { ScenarioClock } from '../clock.js';
import { asciiTable, tritonLogLine, type Severity } from './log.js';
import {
  LoadError,
  ProcessCrash,
  loadModel,
  scanRepository,
  type LoadContext,
  type ModelState,
  type RepoStore
} from './repository.js';
import { KserveServer, type Degradation, type ServerState } from './server.js';

export type { Degradation } from './server.js';

export type StartTriton = (o: {
  namespace: string;
  pod: string;
  /** The container's command line: `tritonserver --http-port=8000 --grpc-port=8001 --model-repository=/mnt/...`. */
  args: string[];
  gpus: number;
  resolvePodPath: (p: string) => { bucket: string; key: string } | undefined;
  log: (line: string) => void;
  /** Set by the operator's `degrade-under-load` scenario for this pod's Deployment. */
  degrade?: Degradation;
}) => Promise<TritonHandle>;

export interface TritonHandle {
  /** containerPort → local port (http, grpc, and metrics when allowed). */
  ports: Record<number, number>;
  stop(): Promise<void>;
  /** Settles when loading ends: 'ready', 'unavailable' (stays up, not ready) or 'exited'. */
  loaded: Promise<'ready' | 'unavailable' | 'exited'>;
  /** Resolves with the exit code if the server exits by itself (bad args, model load failure with exit-on-error). */
  exited: Promise<number>;
}

export interface OssAccess {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export interface TritonSimOptions {
  oss?: OssAccess;
  /** Any other object source (tests); takes precedence over `oss`. */
  store?: RepoStore;
  clock?: ScenarioClock;
  /** Scenario milliseconds per generated token. */
  perTokenLatencyMs?: number;
  /** Scenario seconds from start to the end of model loading (backend init, weight load). */
  loadSeconds?: number;
}

/** Read objects with ali-oss (the real client), one client per bucket. */
export function ossStore(oss: OssAccess): RepoStore {
  const clients = new Map<string, OSS>();
  const client = (bucket: string): OSS => {
    let c = clients.get(bucket);
    if (!c) clients.set(bucket, (c = new OSS({ ...oss, bucket, timeout: 30_000 })));
    return c;
  };
  return {
    async list(bucket, prefix) {
      const out: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const r = await client(bucket).listV2(
          { prefix, 'max-keys': 1000, ...(token ? { 'continuation-token': token } : {}) },
          {}
        );
        for (const o of r.objects ?? []) out.push({ key: o.name, size: Number(o.size) });
        token = r.isTruncated ? r.nextContinuationToken : undefined;
      } while (token);
      return out;
    },
    async get(bucket, key) {
      try {
        return (await client(bucket).get(key)).content as Buffer;
      } catch (e) {
        const err = e as { code?: string; status?: number };
        if (err.code === 'NoSuchKey' || err.status === 404) return undefined;
        throw e;
      }
    }
  };
}

interface TritonArgs {
  modelRepository?: string;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  allowMetrics: boolean;
  allowGpuMetrics: boolean;
  exitOnError: boolean;
  strictReadiness: boolean;
}

const VALUE_OPTIONS = new Set([
  'model-repository',
  'model-store',
  'http-port',
  'grpc-port',
  'metrics-port',
  'allow-http',
  'allow-grpc',
  'allow-metrics',
  'allow-gpu-metrics',
  'exit-on-error',
  'strict-model-config',
  'strict-readiness',
  'log-verbose',
  'log-info',
  'log-warning',
  'log-error',
  'model-control-mode',
  'load-model',
  'backend-config',
  'exit-timeout-secs',
  'repository-poll-secs',
  'pinned-memory-pool-byte-size',
  'cuda-memory-pool-byte-size',
  'id',
  'http-thread-count',
  'min-supported-compute-capability'
]);

/** tritonserver's options (getopt_long: `--opt=value` or `--opt value`). Throws with tritonserver's message. */
export function parseTritonArgs(argv: string[]): TritonArgs {
  // `sh -c "tritonserver …"` (the chart's form) or one string with the whole command line: split on blanks
  let tokens =
    /^(\/bin\/)?(ba)?sh$/.test(argv[0] ?? '') && argv[1] === '-c'
      ? (argv[2] ?? '').trim().split(/\s+/)
      : argv.length === 1 && /^\S*tritonserver\s/.test(argv[0].trim())
        ? argv[0].trim().split(/\s+/)
        : argv;
  const at = tokens.findIndex((t) => t === 'tritonserver' || t.endsWith('/tritonserver'));
  if (at >= 0) tokens = tokens.slice(at + 1);
  const opts = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(tokens[i]);
    if (!m) throw new Error(`Unexpected argument: ${tokens[i]}`);
    if (!VALUE_OPTIONS.has(m[1])) throw new Error(`tritonserver: unrecognized option '--${m[1]}'`);
    let v = m[2];
    if (v === undefined) {
      if (i + 1 >= tokens.length) throw new Error(`tritonserver: option '--${m[1]}' requires an argument`);
      v = tokens[++i];
    }
    opts.set(m[1] === 'model-store' ? 'model-repository' : m[1], v);
  }
  const bool = (k: string, dflt: boolean): boolean => {
    const v = opts.get(k);
    if (v === undefined) return dflt;
    if (/^(true|1|on)$/i.test(v)) return true;
    if (/^(false|0|off)$/i.test(v)) return false;
    throw new Error(`invalid value for --${k}: ${v}`);
  };
  const port = (k: string, dflt: number): number => {
    const v = Number(opts.get(k) ?? dflt);
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`invalid value for --${k}: ${opts.get(k)}`);
    return v;
  };
  return {
    modelRepository: opts.get('model-repository'),
    httpPort: port('http-port', 8000),
    grpcPort: port('grpc-port', 8001),
    metricsPort: port('metrics-port', 8002),
    allowMetrics: bool('allow-metrics', true),
    allowGpuMetrics: bool('allow-gpu-metrics', true),
    exitOnError: bool('exit-on-error', true),
    strictReadiness: bool('strict-readiness', true)
  };
}

/** gRPC stand-in: answers every call with UNIMPLEMENTED (the sandbox speaks HTTP only). */
async function startGrpcStub(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': '12',
        'grpc-message': 'the sandbox Triton serves KServe v2 over HTTP only'
      },
      { endStream: true }
    );
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      })
  };
}

export function createStartTriton(opts: TritonSimOptions): StartTriton {
  const store = opts.store ?? (opts.oss ? ossStore(opts.oss) : undefined);
  if (!store) throw new Error('createStartTriton needs oss access (or a store)');
  const clock = opts.clock ?? new ScenarioClock();
  const perTokenMs = opts.perTokenLatencyMs ?? 20;
  const loadSeconds = opts.loadSeconds ?? 5;

  return async (o) => {
    const log = (sev: Severity, src: string, msg: string): void => o.log(tritonLogLine(sev, src, msg) + '\n');
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    let args: TritonArgs;
    try {
      args = parseTritonArgs(o.args);
      if (!args.modelRepository) throw new Error('error: --model-repository must be specified');
    } catch (e) {
      o.log(`${(e as Error).message}\nUsage: tritonserver [options]\n`);
      resolveExit(1);
      return { ports: {}, stop: async () => {}, loaded: Promise.resolve('exited'), exited };
    }
    const abort = new AbortController();
    const state: ServerState = {
      loaded: false,
      models: [],
      delay: (tokens) => clock.sleep((tokens * perTokenMs) / 1000, abort.signal),
      ...(o.degrade ? { degrade: o.degrade } : {})
    };
    const kserve = new KserveServer(state, o.gpus);
    const listening = await kserve.listen(args.allowMetrics);
    const grpc = await startGrpcStub();
    const ports: Record<number, number> = { [args.httpPort]: listening.http, [args.grpcPort]: grpc.port };
    if (listening.metrics) ports[args.metricsPort] = listening.metrics;
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      abort.abort();
      resolveExit(0); // SIGTERM: Triton shuts down cleanly
      await Promise.all([kserve.close(), grpc.close()]);
    };

    const ctx: LoadContext = {
      store,
      resolve: o.resolvePodPath,
      gpus: o.gpus,
      repositoryPath: args.modelRepository?.replace(/\/+$/, ''),
      log
    };
    const load = async (): Promise<'ready' | 'unavailable' | 'exited'> => {
      for (let g = 0; g < o.gpus; g++) log('I', 'metrics.cc:290', `Collecting metrics for GPU ${g}: NVIDIA A10`);
      log('I', 'libtorch.cc:1381', 'TRITONBACKEND_Initialize: pytorch');
      log('I', 'pinned_memory_manager.cc:240', "Pinned memory pool is created at '0x7f2a3c000000' with size 268435456");
      for (let g = 0; g < o.gpus; g++)
        log('I', 'cuda_memory_manager.cc:105', `CUDA memory pool is created on device ${g} with size 67108864`);
      let scanned;
      try {
        scanned = await scanRepository(ctx, args.modelRepository!);
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        o.log(`error: creating server: Internal - ${e.message}\n`);
        return 'exited';
      }
      if (scanned.length > 0) {
        log('I', 'libfastertransformer.cc:1478', 'TRITONBACKEND_Initialize: fastertransformer');
        log('I', 'libfastertransformer.cc:1488', 'Triton TRITONBACKEND API version: 1.8');
        log('I', 'libfastertransformer.cc:1494', "'fastertransformer' TRITONBACKEND API version: 1.8");
      }
      await clock.sleep(loadSeconds, abort.signal);
      const models: ModelState[] = [];
      for (const m of scanned) models.push(await loadModel(ctx, m));
      if (stopped) return 'exited';
      state.models = models;
      log('I', 'server.cc:549', '\n' + asciiTable(['Repository Agent', 'Path'], []));
      log(
        'I',
        'server.cc:576',
        '\n' +
          asciiTable(
            ['Backend', 'Path', 'Config'],
            [['fastertransformer', '/opt/tritonserver/backends/fastertransformer/libtriton_fastertransformer.so', '{}']]
          )
      );
      log(
        'I',
        'server.cc:619',
        '\n' +
          asciiTable(
            ['Model', 'Version', 'Status'],
            models.map((m) => [m.name, m.version, m.state === 'READY' ? 'READY' : `UNAVAILABLE: ${m.reason}`])
          )
      );
      log(
        'I',
        'tritonserver.cc:2123',
        '\n' +
          asciiTable(
            ['Option', 'Value'],
            [
              ['server_id', 'triton'],
              ['server_version', '2.20.0'],
              ['model_repository_path[0]', args.modelRepository!],
              ['model_control_mode', 'MODE_NONE'],
              ['strict_model_config', '1'],
              ['rate_limit', 'OFF'],
              ['pinned_memory_pool_byte_size', '268435456'],
              ['min_supported_compute_capability', '6.0'],
              ['strict_readiness', args.strictReadiness ? '1' : '0'],
              ['exit_timeout', '30']
            ]
          )
      );
      const failed = models.some((m) => m.state !== 'READY');
      if (failed && args.exitOnError) {
        log('I', 'server.cc:252', 'Waiting for in-flight requests to complete.');
        log('I', 'server.cc:267', 'Timeout 30: Found 0 live models and 0 in-flight non-inference requests');
        o.log('error: creating server: Internal - failed to load all models\n');
        return 'exited';
      }
      state.loaded = true;
      log('I', 'grpc_server.cc:4195', `Started GRPCInferenceService at 0.0.0.0:${args.grpcPort}`);
      log('I', 'http_server.cc:2857', `Started HTTPService at 0.0.0.0:${args.httpPort}`);
      if (args.allowMetrics) log('I', 'http_server.cc:167', `Started Metrics Service at 0.0.0.0:${args.metricsPort}`);
      return failed ? 'unavailable' : 'ready';
    };
    const loaded = load().then(
      async (r) => {
        if (r === 'exited' && !stopped) {
          resolveExit(1);
          await stop();
        }
        return r;
      },
      async (e: Error) => {
        if (e instanceof ProcessCrash) {
          o.log(e.output);
          resolveExit(e.exitCode);
          await stop();
          return 'exited' as const;
        }
        o.log(`error: creating server: Internal - ${e.message}\n`);
        resolveExit(1);
        await stop();
        return 'exited' as const;
      }
    );
    return { ports, stop, loaded, exited };
  };
}
