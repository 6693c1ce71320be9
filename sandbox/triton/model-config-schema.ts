/**
 * inference.ModelConfig as Triton 22.03 parses config.pbtxt: every message, field, enum and oneof of
 * triton-inference-server/common r22.03 `protobuf/model_config.proto` (field names and types only; see README's
 * conformance table). Strictness comes from the parser: an unknown field, an unknown enum value (22.03's
 * DataType has no TYPE_BF16), a repeated singular field or two members of one oneof fail the load.
 */
import type { FieldKind, FieldSchema, MessageSchema } from './pbtxt.js';

const S: FieldSchema = { kind: 'string' };
const I: FieldSchema = { kind: 'int' };
const U: FieldSchema = { kind: 'uint' };
const B: FieldSchema = { kind: 'bool' };
const F: FieldSchema = { kind: 'float' };
const rep = (f: FieldSchema): FieldSchema => ({ ...f, repeated: true });
const msg = (name: string, fields: Record<string, FieldSchema>): FieldSchema => ({
  kind: { message: { name: `inference.${name}`, fields } }
});
const enm = (...values: string[]): FieldSchema => ({ kind: { enum: values } });
const map = (value: FieldKind): FieldSchema => ({ kind: { map: value }, repeated: true });
const oneof = (name: string, f: FieldSchema): FieldSchema => ({ ...f, oneof: name });

/** DataType at r22.03: TYPE_INVALID … TYPE_STRING (TYPE_BF16 came later). */
export const DATA_TYPES_22_03 = [
  'TYPE_INVALID',
  'TYPE_BOOL',
  'TYPE_UINT8',
  'TYPE_UINT16',
  'TYPE_UINT32',
  'TYPE_UINT64',
  'TYPE_INT8',
  'TYPE_INT16',
  'TYPE_INT32',
  'TYPE_INT64',
  'TYPE_FP16',
  'TYPE_FP32',
  'TYPE_FP64',
  'TYPE_STRING'
] as const;
const DT = enm(...DATA_TYPES_22_03);
const STRING_MAP = map('string');

const rateLimiter = msg('ModelRateLimiter', {
  resources: rep(msg('ModelRateLimiter.Resource', { name: S, global: B, count: U })),
  priority: U
});
const instanceGroup = msg('ModelInstanceGroup', {
  name: S,
  kind: enm('KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL'),
  count: I,
  rate_limiter: rateLimiter,
  gpus: rep(I),
  secondary_devices: rep(msg('ModelInstanceGroup.SecondaryDevice', { kind: enm('KIND_NVDLA'), device_id: I })),
  profile: rep(S),
  passive: B,
  host_policy: S
});
const reshape = msg('ModelTensorReshape', { shape: rep(I) });
const input = msg('ModelInput', {
  name: S,
  data_type: DT,
  format: enm('FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW'),
  dims: rep(I),
  reshape,
  is_shape_tensor: B,
  allow_ragged_batch: B,
  optional: B
});
const output = msg('ModelOutput', {
  name: S,
  data_type: DT,
  dims: rep(I),
  reshape,
  label_filename: S,
  is_shape_tensor: B
});
const batchInput = msg('BatchInput', {
  kind: enm(
    'BATCH_ELEMENT_COUNT',
    'BATCH_ACCUMULATED_ELEMENT_COUNT',
    'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO',
    'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE',
    'BATCH_ITEM_SHAPE',
    'BATCH_ITEM_SHAPE_FLATTEN'
  ),
  target_name: rep(S),
  data_type: DT,
  source_input: rep(S)
});
const batchOutput = msg('BatchOutput', {
  target_name: rep(S),
  kind: enm('BATCH_SCATTER_WITH_INPUT_SHAPE'),
  source_input: rep(S)
});
const versionPolicy = msg('ModelVersionPolicy', {
  latest: oneof('policy_choice', msg('ModelVersionPolicy.Latest', { num_versions: U })),
  all: oneof('policy_choice', msg('ModelVersionPolicy.All', {})),
  specific: oneof('policy_choice', msg('ModelVersionPolicy.Specific', { versions: rep(I) }))
});
const shape = {
  kind: { message: { name: 'inference.ModelOptimizationPolicy.Cuda.GraphSpec.Shape', fields: { dim: rep(I) } } }
};
const accelerator = msg('ModelOptimizationPolicy.ExecutionAccelerators.Accelerator', {
  name: S,
  parameters: STRING_MAP
});
const pinned = msg('ModelOptimizationPolicy.PinnedMemoryBuffer', { enable: B });
const optimization = msg('ModelOptimizationPolicy', {
  graph: msg('ModelOptimizationPolicy.Graph', { level: I }),
  priority: enm('PRIORITY_DEFAULT', 'PRIORITY_MAX', 'PRIORITY_MIN'),
  cuda: msg('ModelOptimizationPolicy.Cuda', {
    graphs: B,
    busy_wait_events: B,
    graph_spec: rep(
      msg('ModelOptimizationPolicy.Cuda.GraphSpec', {
        batch_size: I,
        input: map(shape.kind),
        graph_lower_bound: msg('ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound', {
          batch_size: I,
          input: map(shape.kind)
        })
      })
    ),
    output_copy_stream: B
  }),
  execution_accelerators: msg('ModelOptimizationPolicy.ExecutionAccelerators', {
    gpu_execution_accelerator: rep(accelerator),
    cpu_execution_accelerator: rep(accelerator)
  }),
  input_pinned_memory: pinned,
  output_pinned_memory: pinned,
  gather_kernel_buffer_threshold: U,
  eager_batching: B
});
const queuePolicy = msg('ModelQueuePolicy', {
  timeout_action: enm('REJECT', 'DELAY'),
  default_timeout_microseconds: U,
  allow_timeout_override: B,
  max_queue_size: U
});
const dynamicBatching = msg('ModelDynamicBatching', {
  preferred_batch_size: rep(I),
  max_queue_delay_microseconds: U,
  preserve_ordering: B,
  priority_levels: U,
  default_priority_level: U,
  default_queue_policy: queuePolicy,
  priority_queue_policy: map(queuePolicy.kind)
});
const initialState = msg('ModelSequenceBatching.InitialState', {
  data_type: DT,
  dims: rep(I),
  zero_data: oneof('state_data', B),
  data_file: oneof('state_data', S),
  name: S
});
const sequenceBatching = msg('ModelSequenceBatching', {
  direct: oneof(
    'strategy_choice',
    msg('ModelSequenceBatching.StrategyDirect', { max_queue_delay_microseconds: U, minimum_slot_utilization: F })
  ),
  oldest: oneof(
    'strategy_choice',
    msg('ModelSequenceBatching.StrategyOldest', {
      max_candidate_sequences: I,
      preferred_batch_size: rep(I),
      max_queue_delay_microseconds: U
    })
  ),
  max_sequence_idle_microseconds: U,
  control_input: rep(
    msg('ModelSequenceBatching.ControlInput', {
      name: S,
      control: rep(
        msg('ModelSequenceBatching.Control', {
          kind: enm(
            'CONTROL_SEQUENCE_START',
            'CONTROL_SEQUENCE_READY',
            'CONTROL_SEQUENCE_END',
            'CONTROL_SEQUENCE_CORRID'
          ),
          int32_false_true: rep(I),
          fp32_false_true: rep(F),
          bool_false_true: rep(B),
          data_type: DT
        })
      )
    })
  ),
  state: rep(
    msg('ModelSequenceBatching.State', {
      input_name: S,
      output_name: S,
      data_type: DT,
      dims: rep(I),
      initial_state: rep(initialState)
    })
  )
});
const ensemble = msg('ModelEnsembling', {
  step: rep(
    msg('ModelEnsembling.Step', { model_name: S, model_version: I, input_map: STRING_MAP, output_map: STRING_MAP })
  )
});
const warmupInput = msg('ModelWarmup.Input', {
  data_type: DT,
  dims: rep(I),
  zero_data: oneof('input_data_type', B),
  random_data: oneof('input_data_type', B),
  input_data_file: oneof('input_data_type', S)
});

/** inference.ModelConfig at r22.03. */
export const MODEL_CONFIG_22_03: MessageSchema = {
  name: 'inference.ModelConfig',
  fields: {
    name: S,
    platform: S,
    backend: S,
    version_policy: versionPolicy,
    max_batch_size: I,
    input: rep(input),
    output: rep(output),
    batch_input: rep(batchInput),
    batch_output: rep(batchOutput),
    optimization,
    dynamic_batching: oneof('scheduling_choice', dynamicBatching),
    sequence_batching: oneof('scheduling_choice', sequenceBatching),
    ensemble_scheduling: oneof('scheduling_choice', ensemble),
    instance_group: rep(instanceGroup),
    default_model_filename: S,
    cc_model_filenames: STRING_MAP,
    metric_tags: STRING_MAP,
    parameters: map(msg('ModelParameter', { string_value: S }).kind),
    model_warmup: rep(msg('ModelWarmup', { name: S, batch_size: U, inputs: map(warmupInput.kind) })),
    model_operations: msg('ModelOperations', { op_library_filename: rep(S) }),
    model_transaction_policy: msg('ModelTransactionPolicy', { decoupled: B }),
    model_repository_agents: msg('ModelRepositoryAgents', {
      agents: rep(msg('ModelRepositoryAgents.Agent', { name: S, parameters: STRING_MAP }))
    }),
    response_cache: msg('ModelResponseCache', { enable: B })
  }
};
