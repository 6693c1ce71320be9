import { Tokenizer } from '@huggingface/tokenizers';
import { CODE_BITS, DEMO_MODEL, DEMO_TABLE, DEMO_VOCAB_SIZE, demoModelFiles } from '../../sandbox/models/demo.js';
import { readSafetensors } from '../../sandbox/models/safetensors.js';

const files = new Map(demoModelFiles().map((f) => [f.path, f.content]));
const json = (p: string): Record<string, unknown> => JSON.parse(files.get(p)!.toString('utf8'));
const tokenizer = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));

describe('demo model files', () => {
  it('has the HF Bloom repository layout', () => {
    expect([...files.keys()].sort()).toEqual([
      '.gitattributes',
      'README.md',
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json'
    ]);
    expect(json('config.json')).toMatchObject({
      architectures: ['BloomForCausalLM'],
      model_type: 'bloom',
      n_layer: 2,
      n_head: 4,
      hidden_size: 64,
      vocab_size: DEMO_VOCAB_SIZE,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 3
    });
  });

  it('is deterministic', () => {
    const again = demoModelFiles();
    for (const f of again) expect(f.content.equals(files.get(f.path)!)).toBe(true);
  });

  it('has safetensors shards that match the index, with Bloom tensor names and shapes', () => {
    const index = json('model.safetensors.index.json') as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    const tensors = [1, 2].flatMap((i) =>
      readSafetensors(files.get(`model-0000${i}-of-00002.safetensors`)!).map((t) => ({
        ...t,
        file: `model-0000${i}-of-00002.safetensors`
      }))
    );
    expect(Object.fromEntries(tensors.map((t) => [t.name, t.file]))).toEqual(index.weight_map);
    expect(tensors.reduce((a, t) => a + t.data.length * 4, 0)).toBe(index.metadata.total_size);
    const shape = (n: string): number[] => tensors.find((t) => t.name === n)!.shape;
    expect(shape('word_embeddings.weight')).toEqual([DEMO_VOCAB_SIZE, 64]);
    expect(shape('h.1.self_attention.query_key_value.weight')).toEqual([192, 64]);
    expect(shape('h.0.mlp.dense_h_to_4h.weight')).toEqual([256, 64]);
    expect(shape('h.0.mlp.dense_4h_to_h.weight')).toEqual([64, 256]);
    expect(shape('ln_f.bias')).toEqual([64]);
    expect(tensors).toHaveLength(3 + 2 * 12 + 2);
  });

  it('has room for the table in the code bits and MLP units', () => {
    expect(2 ** CODE_BITS).toBeGreaterThanOrEqual(DEMO_VOCAB_SIZE);
    expect(DEMO_TABLE.length).toBeLessThanOrEqual(256);
  });
});

describe('demo tokenizer with @huggingface/tokenizers', () => {
  it('encodes the prompt and completion into the documented ids', () => {
    const prompt = tokenizer.encode(DEMO_MODEL.prompt);
    expect(prompt.tokens).toEqual(['deep', 'speed', 'Ġis']);
    expect(prompt.ids).toEqual(DEMO_MODEL.promptIds);
    expect(tokenizer.encode(DEMO_MODEL.completion).ids).toEqual(DEMO_MODEL.completionIds);
  });

  it('decodes ids (the prompt plus the completion, skipping </s>) back to text', () => {
    const ids = [...DEMO_MODEL.promptIds, ...DEMO_MODEL.completionIds, DEMO_MODEL.eosTokenId];
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(DEMO_MODEL.prompt + DEMO_MODEL.completion);
  });

  it.each(['hello world, the model is fast!', 'Ünïcode · 日本語 and\ttabs', 'unknown wordz  with  spaces'])(
    'round-trips %j through byte-level BPE',
    (text) => {
      const e = tokenizer.encode(text);
      expect(e.ids.every((i: number) => i >= 4 && i < DEMO_VOCAB_SIZE)).toBe(true);
      expect(tokenizer.decode(e.ids)).toBe(text);
    }
  );

  it('knows the special tokens', () => {
    expect(tokenizer.encode('<s>hello</s>').ids).toEqual([1, tokenizer.encode('hello').ids[0], 2]);
    expect(tokenizer.decode([1, 3, 2], { skip_special_tokens: true })).toBe('');
  });
});
