/**
 * The sandbox cluster for the storage/convert/deploy/smoke integration tests (owned by cluster-stages):
 * OSS + Kubernetes API + operator + Triton simulator + the Arena stand-in on PATH, a config pointing at them,
 * the demo model synced into OSS at a fixed commit, and stage contexts with in-memory logs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { demoModelFiles } from '../../sandbox/models/demo.js';
import type { Config } from '../../src/config/types.js';
import { hfPrefix } from '../../src/config/layout.js';
import { ClientNodeKubeApi, loadKubeConfig } from '../../src/k8s/client.js';
import { defaultDeps } from '../../src/composition/cluster.js';
import type { ClusterDeps } from '../../src/stages/deps.js';
import { OssStore } from '../../src/oss/client.js';
import { testConfig, testContext } from '../helpers/config.js';

export const COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const CONVERTER_IMAGE = 'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/fastertransformer:torch-0.0.1';
export const TRITON_IMAGE =
  'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers';

export interface Cluster {
  sb: Sandbox;
  env: NodeJS.ProcessEnv;
  cfg(over?: Parameters<typeof testConfig>[0]): Config;
  context(cfg: Config, opts?: { signal?: AbortSignal }): ReturnType<typeof testContext>;
  oss(cfg: Config): OssStore;
  api(cfg: Config): ClientNodeKubeApi;
  deps: ClusterDeps;
  seedModel(cfg: Config): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(opts: { speed?: number } = {}): Promise<Cluster> {
  const sb = await startSandbox({
    pieces: ['oss', 'kube'],
    installArena: true,
    speed: opts.speed ?? 500,
    seedDemo: false
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: sb.info.kube!.pipelineKubeconfig!,
    ARENA_FT_ARENA_HOME: sb.arenaHome,
    PATH: `${sb.arenaBinDir}${path.delimiter}${process.env.PATH ?? ''}`
  };
  const kubeconfig = await readFile(sb.info.kube!.pipelineKubeconfig!, 'utf8');
  const cfg = (over: Parameters<typeof testConfig>[0] = {}) =>
    testConfig({
      ...over,
      model: {
        repo: 'bigscience-sandbox/bloom-tiny',
        revision: COMMIT,
        name: 'bloom-tiny',
        version: 'v1',
        ...over.model
      },
      oss: { ...sb.info.oss!, prefix: 'llm', clusterEndpoint: 'oss-cn-hangzhou-internal.aliyuncs.com', ...over.oss },
      cluster: { kubeconfig, namespace: sb.info.kube!.namespace, pvPath: '/', mountPath: '/mnt', ...over.cluster },
      convert: {
        image: CONVERTER_IMAGE,
        gpus: 1,
        workers: 1,
        tensorParallel: 1,
        dataType: 'fp16',
        processes: 1,
        timeoutSeconds: 1_000_000,
        jobName: 'ft-bloom-tiny-v1',
        ...over.convert
      },
      serve: {
        image: TRITON_IMAGE,
        gpus: 1,
        replicas: 1,
        name: 'bloom-tiny',
        version: 'v1',
        timeoutSeconds: 600,
        ...over.serve
      },
      smoke: {
        prompts: [{ text: 'deepspeed is', expect: '^ a deep learning' }, { text: 'hello' }],
        outputLength: 8,
        requests: 10,
        latencyBudgetMs: 30_000,
        timeoutSeconds: 120,
        ...over.smoke
      }
    });
  const oss = (c: Config) => OssStore.connect(c.oss, { attempts: 3 });
  return {
    sb,
    env,
    cfg,
    context: (c, o = {}) => {
      const t = testContext(c, { env, signal: o.signal });
      t.ctx.state.commit = COMMIT;
      return t;
    },
    oss,
    api: (c) => new ClientNodeKubeApi(loadKubeConfig(c.cluster, env)),
    deps: defaultDeps,
    async seedModel(c) {
      const store = oss(c);
      for (const f of demoModelFiles()) await store.putObject(`${hfPrefix(c, COMMIT)}${f.path}`, f.content);
    },
    stop: () => sb.stop()
  };
}
