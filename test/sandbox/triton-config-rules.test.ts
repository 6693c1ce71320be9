/**
 * The Triton simulator's model-config rules, as Triton 22.03 and the FT backend apply them (README conformance
 * table): the strict r22.03 schema, ValidateIOShape, instance-group normalization; and the product's own
 * config.pbtxt passes all of them.
 */
import { MODEL_CONFIG, parsePbtxt, PbtxtError, type PbMessage } from '../../sandbox/triton/pbtxt.js';
import { ioShapeProblem, modelConfigProblem, normalizedInstanceGroups } from '../../sandbox/triton/validate.js';
import { checkpointPodPath } from '../../src/config/layout.js';
import { buildModelConfig } from '../../src/triton/model-config.js';
import { testConfig } from '../helpers/config.js';

const BASE = 'name: "m"\nbackend: "fastertransformer"\n';
function parseError(text: string): string {
  try {
    parsePbtxt(text, MODEL_CONFIG);
  } catch (e) {
    expect(e).toBeInstanceOf(PbtxtError);
    return (e as PbtxtError).message;
  }
  throw new Error('expected a parse error');
}

describe('the r22.03 schema is strict', () => {
  it.each([
    [
      'an unknown field',
      'max_batch: 8',
      /^3:1: Message type "inference\.ModelConfig" has no field named "max_batch"\.$/
    ],
    [
      'a misspelled enum value',
      'instance_group [ { kind: KIND_CPUU } ]',
      /Unknown enumeration value of "KIND_CPUU" for field "kind"\./
    ],
    [
      'TYPE_BF16 (not in 22.03’s DataType)',
      'input [ { name: "x" data_type: TYPE_BF16 dims: [ 1 ] } ]',
      /Unknown enumeration value of "TYPE_BF16" for field "data_type"\./
    ],
    [
      'a duplicate singular field',
      'max_batch_size: 8\nmax_batch_size: 16',
      /^4:1: Non-repeated field "max_batch_size" is specified multiple times\.$/
    ],
    [
      'two members of one oneof',
      'dynamic_batching { }\nsequence_batching { }',
      /Field "sequence_batching" is specified along with field "dynamic_batching", another member of oneof "scheduling_choice"\./
    ],
    [
      'an unknown nested field',
      'instance_group [ { kind: KIND_CPU gpu: [ 0 ] } ]',
      /"inference\.ModelInstanceGroup" has no field named "gpu"/
    ]
  ])('rejects %s', (_what, extra, message) => {
    expect(parseError(BASE + extra)).toMatch(message);
  });

  it('accepts the 22.03 fields NVIDIA’s FT examples use (batch_input, dynamic_batching, optimization, response_cache)', () => {
    const c = parsePbtxt(
      BASE +
        'batch_input [ { kind: BATCH_ITEM_SHAPE target_name: "t" data_type: TYPE_INT32 source_input: "x" } ]\n' +
        'dynamic_batching { max_queue_delay_microseconds: 100 }\n' +
        'optimization { cuda { graphs: true } }\nresponse_cache { enable: false }\n' +
        'version_policy { latest { num_versions: 1 } }',
      MODEL_CONFIG
    );
    expect(c.batch_input).toHaveLength(1);
    expect(parseError(BASE + 'version_policy { latest { } all { } }')).toMatch(
      /another member of oneof "policy_choice"/
    );
  });
});

describe('ValidateIOShape and ValidateModelConfig', () => {
  const io = (o: PbMessage): PbMessage => ({ name: 'x', data_type: 'TYPE_UINT32', ...o });
  it.each([
    ['dims [-1]', io({ dims: [-1] }), 8, undefined],
    ['dims [1] reshape []', io({ dims: [1], reshape: { shape: [] } }), 8, undefined],
    [
      'dims [2, 4, -1, 6] reshape [8, -1, 1, 6]',
      io({ dims: [2, 4, -1, 6], reshape: { shape: [8, -1, 1, 6] } }),
      8,
      undefined
    ],
    ['no name', { data_type: 'TYPE_UINT32', dims: [1] }, 8, "model input must specify 'name'"],
    ['no data_type', { name: 'x', dims: [1] }, 8, "model output must specify 'data_type'"],
    ['no dims', io({}), 8, "model input must specify 'dims'"],
    [
      'a 0 dim',
      io({ dims: [0] }),
      8,
      'model input dimension must be integer >= 1, or -1 to indicate a variable-size dimension'
    ],
    [
      'a -2 dim',
      io({ dims: [-2] }),
      8,
      'model input dimension must be integer >= 1, or -1 to indicate a variable-size dimension'
    ],
    [
      'reshape with other element count',
      io({ dims: [2, 3], reshape: { shape: [5] } }),
      8,
      'model input has different size for dims and reshape'
    ],
    [
      'reshape with a 0',
      io({ dims: [2], reshape: { shape: [0] } }),
      8,
      'model input reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension'
    ],
    [
      'reshape with other variable dims',
      io({ dims: [2, -1], reshape: { shape: [-1, -1] } }),
      8,
      'model input has different number of variable-size dimensions for dims and reshape'
    ],
    [
      'an empty reshape without batching',
      io({ dims: [1], reshape: { shape: [] } }),
      0,
      'model input cannot have empty reshape for non-batching model as scalar tensors are not supported'
    ]
  ])('%s', (_what, tensor, maxBatchSize, problem) => {
    expect(ioShapeProblem(tensor, maxBatchSize, 'model input ')).toBe(problem);
  });

  it('max_batch_size must be ≥ 0; the problem names the model', () => {
    expect(modelConfigProblem({ backend: 'fastertransformer', max_batch_size: -1 }, 'm')).toBe(
      "'max_batch_size' must be non-negative value for m"
    );
    expect(
      modelConfigProblem(
        { backend: 'fastertransformer', output: [{ name: 'o', data_type: 'TYPE_FP32', dims: [0] }] },
        'm'
      )
    ).toBe('model output dimension must be integer >= 1, or -1 to indicate a variable-size dimension for m');
    expect(modelConfigProblem({}, 'm')).toBe("must specify 'platform' or 'backend' for 'm'");
  });

  it('instance groups: none → one KIND_GPU group when GPUs are visible; KIND_AUTO resolved; count < 1 → 1', () => {
    expect(normalizedInstanceGroups({}, 2)).toEqual([{ kind: 'KIND_GPU', count: 1 }]);
    expect(normalizedInstanceGroups({ instance_group: [{ kind: 'KIND_AUTO', count: 0 }] }, 0)).toEqual([
      { kind: 'KIND_CPU', count: 1 }
    ]);
  });
});

describe('the product’s config.pbtxt', () => {
  it.each([
    ['tp 1', testConfig()],
    [
      'tp 2 × pp 2, fp32',
      testConfig({ convert: { tensorParallel: 2, dataType: 'fp32' }, serve: { pipelineParallel: 2, gpus: 4 } })
    ]
  ])('%s passes the strict schema, Triton’s checks and the FT backend’s parameter reading', (_what, cfg) => {
    const c = parsePbtxt(buildModelConfig(cfg, checkpointPodPath(cfg)), MODEL_CONFIG);
    expect(modelConfigProblem(c, String(c.name))).toBeUndefined();
    expect(normalizedInstanceGroups(c, cfg.serve.gpus)).toEqual([{ kind: 'KIND_CPU', count: 1 }]);
    const params = Object.fromEntries(
      (c.parameters as PbMessage[]).map((p) => [p.key, (p.value as PbMessage).string_value])
    );
    expect(params).toMatchObject({
      tensor_para_size: String(cfg.convert.tensorParallel),
      pipeline_para_size: String(cfg.serve.pipelineParallel),
      data_type: cfg.convert.dataType,
      model_type: 'GPT'
    });
    expect(cfg.serve.gpus % (cfg.convert.tensorParallel * cfg.serve.pipelineParallel)).toBe(0);
  });
});
