/**
 * The Triton model repository for one model version: `config.pbtxt` for the FasterTransformer backend (GPT path,
 * which Bloom uses) pointing at the converter's `<tp>-gpu/` folder on the shared volume, so weights are not copied.
 */
import type { DataType } from '../config/types.js';

/** What config.pbtxt is built from (the config fits it). */
export interface ModelConfigOptions {
  readonly model: { readonly name: string; readonly repo: string; readonly version: string };
  readonly convert: { readonly tensorParallel: number; readonly dataType: DataType };
  readonly serve: { readonly modelName: string; readonly maxBatchSize: number; readonly pipelineParallel: number };
}
import { pbEnum, writePbtxt, type PbMessage } from './pbtxt.js';

export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly dims: readonly number[];
  readonly optional?: boolean;
  readonly reshape?: readonly number[];
}

/** The inputs the smoke test sends and the server must declare (KServe v2 datatype names). */
export const MODEL_INPUTS: readonly TensorSpec[] = [
  { name: 'input_ids', datatype: 'UINT32', dims: [-1] },
  { name: 'input_lengths', datatype: 'UINT32', dims: [1], reshape: [] },
  { name: 'request_output_len', datatype: 'UINT32', dims: [-1] },
  { name: 'runtime_top_k', datatype: 'UINT32', dims: [1], optional: true, reshape: [] },
  { name: 'runtime_top_p', datatype: 'FP32', dims: [1], optional: true, reshape: [] },
  { name: 'temperature', datatype: 'FP32', dims: [1], optional: true, reshape: [] },
  { name: 'repetition_penalty', datatype: 'FP32', dims: [1], optional: true, reshape: [] },
  { name: 'random_seed', datatype: 'UINT64', dims: [1], optional: true, reshape: [] },
  { name: 'beam_width', datatype: 'UINT32', dims: [1], optional: true, reshape: [] },
  { name: 'start_id', datatype: 'UINT32', dims: [1], optional: true, reshape: [] },
  { name: 'end_id', datatype: 'UINT32', dims: [1], optional: true, reshape: [] }
];

export const MODEL_OUTPUTS: readonly TensorSpec[] = [
  { name: 'output_ids', datatype: 'UINT32', dims: [-1, -1] },
  { name: 'sequence_length', datatype: 'UINT32', dims: [-1] },
  { name: 'cum_log_probs', datatype: 'FP32', dims: [-1] },
  { name: 'output_log_probs', datatype: 'FP32', dims: [-1, -1] }
];

function tensor(t: TensorSpec): PbMessage {
  const m: PbMessage = { name: [t.name], data_type: [pbEnum(`TYPE_${t.datatype}`)], dims: [...t.dims] };
  if (t.reshape) m.reshape = [{ shape: [...t.reshape] }];
  if (t.optional) m.optional = [true];
  return m;
}

const param = (key: string, value: string | number): PbMessage => ({
  key: [key],
  value: [{ string_value: [String(value)] }]
});

/** Where the repository goes (src/config/layout.ts's `modelRepositoryLayout` derives it from the config). */
export interface ModelRepositoryLayout {
  /** Key prefix (ending in `/`) of the repository in OSS. */
  readonly repoPrefix: string;
  /** The key of config.pbtxt. */
  readonly configKey: string;
  /** The in-pod checkpoint folder `model_checkpoint_path` names (with the trailing slash FT expects). */
  readonly checkpointPath: string;
}

/** config.pbtxt; `checkpointPath` is the in-pod folder of the converted weights. */
export function buildModelConfig(cfg: ModelConfigOptions, checkpointPath: string): string {
  const msg: PbMessage = {
    name: [cfg.serve.modelName],
    backend: ['fastertransformer'],
    default_model_filename: [cfg.model.name],
    max_batch_size: [cfg.serve.maxBatchSize],
    model_transaction_policy: [{ decoupled: [false] }],
    input: MODEL_INPUTS.map(tensor),
    output: MODEL_OUTPUTS.map(tensor),
    instance_group: [{ count: [1], kind: [pbEnum('KIND_CPU')] }],
    parameters: [
      param('tensor_para_size', cfg.convert.tensorParallel),
      param('pipeline_para_size', cfg.serve.pipelineParallel),
      param('data_type', cfg.convert.dataType),
      param('model_type', 'GPT'),
      param('model_checkpoint_path', checkpointPath),
      param('int8_mode', 0),
      param('enable_custom_all_reduce', 0)
    ]
  };
  return `# Written by arena-ft-pipeline for ${cfg.model.repo} version ${cfg.model.version}.\n${writePbtxt(msg)}`;
}

/** Objects that make up the repository in OSS: config.pbtxt and the version folder `1/` (a directory marker). */
export function modelRepositoryObjects(
  cfg: ModelConfigOptions,
  layout: ModelRepositoryLayout
): { key: string; body: string }[] {
  const modelDir = `${layout.repoPrefix}${cfg.serve.modelName}/`;
  return [
    { key: `${modelDir}1/`, body: '' },
    { key: layout.configKey, body: buildModelConfig(cfg, layout.checkpointPath) }
  ];
}
