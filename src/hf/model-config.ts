/**
 * What the model's `config.json` says about whether this pipeline can serve it: only Bloom converts (the
 * converter is huggingface_bloom_convert.py and the Triton config says model_type GPT with Bloom's config.ini),
 * and FasterTransformer splits heads across tensor-parallel ranks and layers across pipeline stages, so both
 * sizes must divide. Pure functions: the stages read the file (from the hub at plan time, from OSS once synced).
 */
import { PipelineError } from '../errors.js';

export interface ModelShape {
  readonly modelType: string;
  readonly layers: number;
  readonly heads: number;
}

export const SUPPORTED_MODELS = 'Bloom (config.json model_type "bloom", architectures BloomForCausalLM or BloomModel)';

// BloomConfig's attribute names and defaults (transformers, configuration_bloom.py): n_layer (alias
// num_hidden_layers) 2, n_head (alias num_attention_heads) 8. A config.json without them gets these.
const BLOOM_DEFAULTS = { layers: 2, heads: 8 };

/** The shape of a Bloom model from its config.json text; `where` names the file in errors. */
export function readModelShape(text: string, where: string): ModelShape {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PipelineError(
      'MODEL_CONFIG_INVALID',
      `${where} is not valid JSON, so the model's architecture cannot be checked`,
      'Check the model and revision inputs: the repository must be a transformers model with a config.json.'
    );
  }
  const c = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const modelType = typeof c.model_type === 'string' ? c.model_type : '';
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : [];
  const bloom = modelType === 'bloom' || (modelType === '' && archs.some((a) => /^Bloom/.test(a)));
  if (!bloom) {
    const is = [modelType && `model_type "${modelType}"`, archs.length && `architectures ${archs.join(', ')}`]
      .filter(Boolean)
      .join(', ');
    throw new PipelineError(
      'MODEL_NOT_SUPPORTED',
      `${where} describes ${is || 'no model_type or architectures'}; this pipeline converts and serves only ${SUPPORTED_MODELS}`,
      'Choose a Bloom checkpoint in the model input (e.g. bigscience/bloom-560m or bigscience/bloom-7b1).'
    );
  }
  const int = (names: string[], dflt: number): number => {
    const name = names.find((n) => c[n] !== undefined);
    if (name === undefined) return dflt;
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new PipelineError(
        'MODEL_CONFIG_INVALID',
        `${where} has ${name} ${JSON.stringify(v)}, which is not a positive integer`,
        'Check the model and revision inputs: the config.json of a Bloom checkpoint has integer n_layer and n_head.'
      );
    }
    return v;
  };
  return {
    modelType: 'bloom',
    layers: int(['n_layer', 'num_hidden_layers'], BLOOM_DEFAULTS.layers),
    heads: int(['n_head', 'num_attention_heads'], BLOOM_DEFAULTS.heads)
  };
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n && out.length < 12; d++) if (n % d === 0) out.push(d);
  return out;
}

/**
 * Throws CONFIG_INVALID naming the input and both numbers when tensor-parallel does not divide the heads
 * (the converter splits along heads) or pipeline-parallel does not divide the layers (FasterTransformer
 * asserts it when it loads the weights, i.e. only at rollout).
 */
export function checkParallelism(
  shape: ModelShape,
  sizes: { tp: number; pp: number },
  model: string,
  source = { heads: 'config.json n_head', layers: 'config.json n_layer' }
): void {
  const problems: string[] = [];
  if (shape.heads % sizes.tp !== 0) {
    problems.push(
      `Input "tensor-parallel" (${sizes.tp}) does not divide the ${shape.heads} attention heads of ${model} (${source.heads}); expected one of ${divisors(shape.heads).join(', ')}`
    );
  }
  if (shape.layers % sizes.pp !== 0) {
    problems.push(
      `Input "pipeline-parallel" (${sizes.pp}) does not divide the ${shape.layers} layers of ${model} (${source.layers}), so FasterTransformer would abort when Triton loads it; expected one of ${divisors(shape.layers).join(', ')}`
    );
  }
  if (problems.length === 0) return;
  throw new PipelineError(
    'CONFIG_INVALID',
    problems.join('. ') + '.',
    'Set tensor-parallel to a divisor of the head count and pipeline-parallel to a divisor of the layer count (serve-gpus follows as their product).',
    { details: problems }
  );
}
