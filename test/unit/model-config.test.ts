/** Which models the pipeline takes, read from config.json (BloomConfig's names), and the tp/pp fit. */
import { checkParallelism, readModelShape } from '../../src/hf/model-config.js';
import { PipelineError } from '../../src/errors.js';

// bigscience/bloom-7b1's config.json (the fields that matter): 30 layers, 32 heads.
const BLOOM_7B1 = JSON.stringify({ architectures: ['BloomForCausalLM'], model_type: 'bloom', n_layer: 30, n_head: 32 });

function caught(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('expected a PipelineError');
}

describe('readModelShape', () => {
  it.each([
    ['bloom-7b1', BLOOM_7B1, { layers: 30, heads: 32 }],
    [
      'transformers aliases',
      '{"model_type":"bloom","num_hidden_layers":24,"num_attention_heads":16}',
      { layers: 24, heads: 16 }
    ],
    ['BloomConfig defaults when absent', '{"model_type":"bloom"}', { layers: 2, heads: 8 }],
    ['architectures only', '{"architectures":["BloomForCausalLM"],"n_layer":4,"n_head":4}', { layers: 4, heads: 4 }]
  ])('%s', (_name, text, want) => {
    expect(readModelShape(text, 'config.json')).toMatchObject(want);
  });

  it.each([
    ['llama', '{"model_type":"llama","architectures":["LlamaForCausalLM"]}', /model_type "llama".*only Bloom/],
    ['gpt2', '{"model_type":"gpt2"}', /model_type "gpt2"/],
    ['nothing', '{}', /no model_type or architectures/]
  ])('refuses %s, saying what is supported', (_name, text, message) => {
    const e = caught(() => readModelShape(text, 'config.json of org/m'));
    expect(e.code).toBe('MODEL_NOT_SUPPORTED');
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/model_type "bloom"/);
  });

  it('refuses a config.json that is not JSON or has a non-integer layer count', () => {
    expect(caught(() => readModelShape('{', 'c')).code).toBe('MODEL_CONFIG_INVALID');
    expect(caught(() => readModelShape('{"model_type":"bloom","n_layer":"30"}', 'c')).message).toMatch(/n_layer "30"/);
  });
});

describe('checkParallelism', () => {
  const shape = readModelShape(BLOOM_7B1, 'config.json');
  it('pipeline-parallel 4 does not divide bloom-7b1’s 30 layers: named with both numbers and the divisors', () => {
    const e = caught(() => checkParallelism(shape, { tp: 2, pp: 4 }, 'bigscience/bloom-7b1'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/"pipeline-parallel" \(4\) does not divide the 30 layers of bigscience\/bloom-7b1/);
    expect(e.message).toMatch(/1, 2, 3, 5, 6, 10, 15, 30/);
    expect(e.message).not.toMatch(/tensor-parallel/);
  });
  it('tensor-parallel 3 does not divide 32 heads', () => {
    const e = caught(() => checkParallelism(shape, { tp: 3, pp: 1 }, 'm'));
    expect(e.message).toMatch(/"tensor-parallel" \(3\) does not divide the 32 attention heads/);
  });
  it('both at once are both named', () => {
    expect(caught(() => checkParallelism(shape, { tp: 3, pp: 4 }, 'm')).details).toHaveLength(2);
  });
  it.each([
    [1, 1],
    [2, 1],
    [4, 2],
    [8, 3],
    [32, 30]
  ])('tp %i × pp %i fits', (tp, pp) => {
    expect(() => checkParallelism(shape, { tp, pp }, 'm')).not.toThrow();
  });
});
