/**
 * A full, valid Config for tests, with sandbox-like defaults; `overrides` replace whole sections' fields
 * (one level deep: `testConfig({ oss: { endpoint } })` keeps the other oss fields).
 */
import type { Config } from '../../src/config/types.js';

type Overrides = {
  [K in keyof Config]?: Config[K] extends readonly unknown[]
    ? Config[K]
    : Config[K] extends object
      ? Partial<Config[K]>
      : Config[K];
};

export function testConfig(overrides: Overrides = {}): Config {
  const base: Config = {
    stages: ['setup', 'sync', 'storage', 'convert', 'deploy', 'smoke'],
    plan: false,
    model: { repo: 'bigscience/bloom-560m', revision: 'main', name: 'bloom-560m', version: 'v1' },
    hf: { endpoint: 'http://127.0.0.1:1', include: [], exclude: [] },
    oss: {
      endpoint: 'http://127.0.0.1:2',
      region: 'oss-cn-hangzhou',
      bucket: 'models',
      prefix: 'llm',
      accessKeyId: 'LTAI5tTestKey',
      accessKeySecret: 'test-secret',
      signatureV4: false,
      clusterEndpoint: 'oss-cn-hangzhou-internal.aliyuncs.com'
    },
    sync: {
      partSizeBytes: 1024 * 1024,
      partsInFlight: 4,
      filesInParallel: 2,
      retries: 5,
      mode: 'runner',
      runnerLocation: 'auto',
      shards: 2,
      parallelism: 2,
      shardRetries: 2,
      image: 'ghcr.io/example/arena-ft-pipeline-sync:test',
      hubClusterEndpoint: 'http://127.0.0.1:1'
    },
    cluster: {
      namespace: 'default',
      secretName: 'oss-secret',
      pvName: 'model-pv',
      pvcName: 'model-pvc',
      mountPath: '/mnt',
      pvPath: '/'
    },
    tools: {
      kubectl: { version: '1.34.5', urlTemplate: 'https://dl.k8s.io/release/v{version}/bin/linux/{arch}/kubectl' },
      arena: { version: '0.15.2', urlTemplate: 'https://example.invalid/arena-installer-{version}-linux-{arch}.tar.gz' }
    },
    convert: {
      image: 'registry.example/ft-converter:latest',
      gpus: 1,
      workers: 1,
      tensorParallel: 1,
      dataType: 'fp16',
      processes: 1,
      timeoutSeconds: 3600,
      resubmitFailed: false,
      retries: 0,
      jobName: 'bloom-560m-v1-convert'
    },
    serve: {
      image: 'registry.example/tritonserver-ft:latest',
      gpus: 1,
      replicas: 1,
      pipelineParallel: 1,
      name: 'bloom-560m',
      version: 'v1',
      modelName: 'fastertransformer',
      maxBatchSize: 8,
      timeoutSeconds: 1800
    },
    smoke: {
      prompts: [{ text: 'Hello' }],
      outputLength: 16,
      requests: 1,
      latencyBudgetMs: 30_000,
      timeoutSeconds: 600
    },
    canary: {
      steps: [10, 50, 100],
      soakSeconds: 300,
      mode: 'auto',
      minSuccessRate: 99,
      latencyBudgetMs: 30_000,
      minRequests: 20
    },
    keepVersions: 2,
    lineage: 'release',
    releaseTag: ''
  };
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const cur = (base as unknown as Record<string, unknown>)[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && typeof cur === 'object' && !Array.isArray(cur)
        ? { ...cur, ...v }
        : v;
  }
  return out as unknown as Config;
}

import type { CleanupRecord, CleanupRegistry, Logger, StageContext } from '../../src/pipeline/types.js';

/** A Logger that keeps every line (level-prefixed) for assertions. */
export function memoryLogger(): Logger & { lines: string[]; secrets: string[] } {
  const lines: string[] = [];
  const secrets: string[] = [];
  return {
    lines,
    secrets,
    info: (m) => void lines.push(m),
    warning: (m) => void lines.push(`warning: ${m}`),
    error: (m) => void lines.push(`error: ${m}`),
    debug: (m) => void lines.push(`debug: ${m}`),
    group: async (title, fn) => {
      lines.push(`group: ${title}`);
      return fn();
    },
    secret: (v) => void secrets.push(v)
  };
}

export function memoryCleanup(): CleanupRegistry & { records: CleanupRecord[] } {
  const records: CleanupRecord[] = [];
  const same = (a: CleanupRecord, b: CleanupRecord) => JSON.stringify(a) === JSON.stringify(b);
  return {
    records,
    add: (r) => void (records.some((x) => same(x, r)) || records.push(r)),
    remove: (r) => {
      const i = records.findIndex((x) => same(x, r));
      if (i >= 0) records.splice(i, 1);
    },
    list: () => [...records]
  };
}

/** A StageContext over a config, with an in-memory logger and cleanup registry. */
export function testContext(config: Config, opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}) {
  const log = memoryLogger();
  const cleanup = memoryCleanup();
  const ctx: StageContext = {
    config,
    log,
    cleanup,
    signal: opts.signal ?? new AbortController().signal,
    state: {},
    env: opts.env ?? {}
  };
  return { ctx, log, cleanup };
}
