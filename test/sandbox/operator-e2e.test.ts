/**
 * The cluster side end to end with the serving engineer's Triton simulator: a conversion PyTorchJob writes the
 * FT checkpoint to OSS, a Deployment like `arena serve triton`'s loads it, and the demo prompt completes
 * through the pod's registered port.
 */
import { DEMO_MODEL } from '../../sandbox/models/demo.js';
import { createStartTriton } from '../../sandbox/triton/index.js';
import {
  MODEL_PREFIX,
  NS,
  R,
  arenaJob,
  condition,
  convertCommand,
  createStorage,
  isTrue,
  startEnv,
  waitFor,
  type Env
} from './operator-fixtures.js';

const pbtxt = (tp: number, ckpt: string): string => `
name: "fastertransformer"
backend: "fastertransformer"
default_model_filename: "bloom"
max_batch_size: 8
model_transaction_policy { decoupled: False }
input [
  { name: "input_ids" data_type: TYPE_UINT32 dims: [ -1 ] },
  { name: "input_lengths" data_type: TYPE_UINT32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "request_output_len" data_type: TYPE_UINT32 dims: [ -1 ] }
]
output [
  { name: "output_ids" data_type: TYPE_UINT32 dims: [ -1, -1 ] },
  { name: "sequence_length" data_type: TYPE_UINT32 dims: [ -1 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
parameters { key: "tensor_para_size" value: { string_value: "${tp}" } }
parameters { key: "pipeline_para_size" value: { string_value: "1" } }
parameters { key: "data_type" value: { string_value: "fp16" } }
parameters { key: "model_type" value: { string_value: "GPT" } }
parameters { key: "model_checkpoint_path" value: { string_value: "${ckpt}" } }
`;

describe('operator + Triton simulator', () => {
  let env: Env;
  afterEach(async () => {
    await env?.stop();
  });

  it('converts, serves and answers the demo prompt through the pod port', async () => {
    // the simulator needs the OSS server's address, which exists only once the environment is up
    const late: { start?: ReturnType<typeof createStartTriton> } = {};
    env = await startEnv({ startTriton: (o) => late.start!(o) });
    const access = {
      endpoint: env.oss.endpoint,
      bucket: env.oss.bucket,
      region: env.oss.region,
      accessKeyId: env.oss.accessKeyId,
      accessKeySecret: env.oss.accessKeySecret
    };
    late.start = createStartTriton({ oss: access, clock: env.clock, loadSeconds: 1 });
    createStorage(env.store);

    env.store.create(
      R.jobs,
      arenaJob('convert', convertCommand(`-i /mnt/${MODEL_PREFIX} -o /mnt/models/bloom-tiny/ft/v1 -tp 2 -dt fp16 -p 4`))
    );
    await waitFor(env.store, R.jobs, 'convert', isTrue('Succeeded'));
    await env.ossClient.put(
      'triton/bloom-v1/fastertransformer/config.pbtxt',
      Buffer.from(pbtxt(2, '/mnt/models/bloom-tiny/ft/v1/2-gpu/'))
    );
    await env.ossClient.put('triton/bloom-v1/fastertransformer/1/', Buffer.alloc(0));

    const labels = {
      servingName: 'bloom',
      servingVersion: 'v1',
      servingType: 'triton-serving',
      app: 'tritoninferenceserver',
      release: 'bloom-v1'
    };
    env.store.create(R.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bloom-v1-tritoninferenceserver', namespace: NS, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { release: 'bloom-v1', app: 'tritoninferenceserver' } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'tritonserver',
                image:
                  'ai-studio-registry.cn-beijing.cr.aliyuncs.com/kube-ai/triton_with_ft:22.03-main-2edb257e-transformers',
                args: [
                  'tritonserver',
                  '--model-repository=/mnt/triton/bloom-v1',
                  '--http-port=8000',
                  '--grpc-port=8001',
                  '--allow-metrics=true'
                ],
                ports: [
                  { name: 'http', containerPort: 8000 },
                  { name: 'grpc', containerPort: 8001 },
                  { name: 'metrics', containerPort: 8002 }
                ],
                readinessProbe: {
                  httpGet: { path: '/v2/health/ready', port: 'http' },
                  initialDelaySeconds: 15,
                  periodSeconds: 10
                },
                resources: { limits: { 'nvidia.com/gpu': 2 } },
                volumeMounts: [{ name: 'bloom-pvc', mountPath: '/mnt' }]
              }
            ],
            volumes: [{ name: 'bloom-pvc', persistentVolumeClaim: { claimName: 'bloom-pvc' } }]
          }
        }
      }
    });
    const dep = await waitFor(
      env.store,
      R.deployments,
      'bloom-v1-tritoninferenceserver',
      (d) => condition(d, 'Available')?.status === 'True',
      30000
    );
    expect(dep.status.readyReplicas).toBe(1);
    const pod = env.store
      .list(R.pods, NS)
      .items.find((p) => p.metadata.name.startsWith('bloom-v1-tritoninferenceserver-'))!;
    const port = env.runtime.localPort(NS, pod.metadata.name, 8000)!;
    const res = await fetch(`http://127.0.0.1:${port}/v2/models/fastertransformer/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          {
            name: 'input_ids',
            datatype: 'UINT32',
            shape: [1, DEMO_MODEL.promptIds.length],
            data: [DEMO_MODEL.promptIds]
          },
          { name: 'input_lengths', datatype: 'UINT32', shape: [1, 1], data: [[DEMO_MODEL.promptIds.length]] },
          { name: 'request_output_len', datatype: 'UINT32', shape: [1, 1], data: [[DEMO_MODEL.completionIds.length]] }
        ],
        outputs: [{ name: 'output_ids' }, { name: 'sequence_length' }]
      })
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
    const ids = body.outputs.find((o) => o.name === 'output_ids')!.data.flat(3);
    expect(
      ids.slice(DEMO_MODEL.promptIds.length, DEMO_MODEL.promptIds.length + DEMO_MODEL.completionIds.length)
    ).toEqual([...DEMO_MODEL.completionIds]);
  });
});
