/**
 * The demo model: a tiny Bloom checkpoint (HF layout, 2 safetensors shards) generated in memory.
 *
 * Its weights hold a next-token table that greedy decoding follows exactly, so the whole pipeline
 * (sync → convert → serve → smoke) has a known answer: DEMO_MODEL.prompt → DEMO_MODEL.completion.
 *
 * How the table is stored (see README.md here): token t's embedding row is a ±1 binary code of t in
 * the first CODE_BITS dimensions. Layer 0's MLP has one hidden unit per table entry that fires only on its source
 * code (dense_h_to_4h row = S·code(src), bias = −S·(bits−1), so GELU gives S on a match and ≈0 otherwise); its
 * dense_4h_to_h column writes K/S·code(dst), and dense_4h_to_h.bias adds K_EOS·code(</s>) so unknown tokens lead
 * to </s>. Logits are the final hidden state times the embedding matrix (tied, as Bloom). Attention, layernorm
 * and layer 1 are neutral. The tensors used are wte (renamed) and both MLP weights, split by FT along the
 * output (h_to_4h) and input (4h_to_h) dimensions, so a converter that loses or misorders a split changes the
 * answer.
 */
import { writeSafetensors, type F32Tensor } from './safetensors.js';
import { buildVocab, specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from './tokenizer.js';

export const DEMO_HIDDEN = 64;
export const DEMO_HEADS = 4;
export const DEMO_LAYERS = 2;
/** Unit activation on a match (S), strength of a table entry (K) and of the fall-back to </s> (K_EOS). */
const S = 8;
// Margins: K_EOS > CODE_BITS makes </s> win for unknown tokens; K > CODE_BITS·(K_EOS + 1) makes dst win.
const K = 256;
const K_EOS = 12;

const vocab = buildVocab();
/** Padded like Bloom's vocab (a multiple of 64); padding rows are zero and never win. */
export const DEMO_VOCAB_SIZE = Math.ceil(vocab.vocab.size / 64) * 64;
export const CODE_BITS = Math.ceil(Math.log2(DEMO_VOCAB_SIZE));

const id = (tok: string): number => {
  const v = vocab.vocab.get(tok.replace(/ /g, 'Ġ'));
  if (v === undefined) throw new Error(`demo vocabulary has no token ${JSON.stringify(tok)}`);
  return v;
};

/** The next-token table: [source token, next token]. Any other token is followed by </s>. */
export const DEMO_TABLE: [string, string][] = [
  [' is', ' a'],
  [' a', ' deep'],
  [' deep', ' learning'],
  [' learning', ' optimization'],
  [' optimization', ' library'],
  ['hello', ' world'],
  [' world', ','],
  [',', ' the'],
  [' the', ' model'],
  [' model', ' is']
];

export const DEMO_MODEL = {
  repo: 'bigscience-sandbox/bloom-tiny',
  revision: 'main',
  prompt: 'deepspeed is',
  completion: ' a deep learning optimization library',
  promptIds: [id('deep'), id('speed'), id(' is')],
  completionIds: [' a', ' deep', ' learning', ' optimization', ' library'].map(id),
  /** A second prompt that runs through most of the table. */
  secondPrompt: 'hello',
  secondCompletion: ' world, the model is a deep learning optimization library',
  bosTokenId: 1,
  eosTokenId: 2,
  padTokenId: 3,
  vocabSize: DEMO_VOCAB_SIZE,
  hiddenSize: DEMO_HIDDEN,
  numHeads: DEMO_HEADS,
  numLayers: DEMO_LAYERS
} as const;

function code(t: number): number[] {
  return Array.from({ length: CODE_BITS }, (_, j) => ((t >> j) & 1 ? 1 : -1));
}

function tensors(): F32Tensor[] {
  const H = DEMO_HIDDEN;
  const I = 4 * H;
  const V = DEMO_VOCAB_SIZE;
  const zeros = (...shape: number[]): F32Tensor['data'] => new Float32Array(shape.reduce((a, b) => a * b, 1));
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const t = (name: string, shape: number[], data: Float32Array): F32Tensor => ({ name, shape, data });

  const wte = zeros(V, H);
  for (let tok = 0; tok < vocab.vocab.size; tok++) code(tok).forEach((c, j) => (wte[tok * H + j] = c));

  const out: F32Tensor[] = [
    t('word_embeddings.weight', [V, H], wte),
    t('word_embeddings_layernorm.weight', [H], ones(H)),
    t('word_embeddings_layernorm.bias', [H], zeros(H))
  ];
  for (let l = 0; l < DEMO_LAYERS; l++) {
    const w1 = zeros(I, H); // PyTorch Linear: [out, in]
    const b1 = zeros(I);
    const w2 = zeros(H, I);
    const b2 = zeros(H);
    if (l === 0) {
      DEMO_TABLE.forEach(([src, dst], k) => {
        code(id(src)).forEach((c, j) => (w1[k * H + j] = S * c));
        b1[k] = -S * (CODE_BITS - 1);
        code(id(dst)).forEach((c, j) => (w2[j * I + k] = (K / S) * c));
      });
      code(DEMO_MODEL.eosTokenId).forEach((c, j) => (b2[j] = K_EOS * c));
    }
    const p = `h.${l}.`;
    out.push(
      t(`${p}input_layernorm.weight`, [H], ones(H)),
      t(`${p}input_layernorm.bias`, [H], zeros(H)),
      t(`${p}self_attention.query_key_value.weight`, [3 * H, H], zeros(3 * H, H)),
      t(`${p}self_attention.query_key_value.bias`, [3 * H], zeros(3 * H)),
      t(`${p}self_attention.dense.weight`, [H, H], zeros(H, H)),
      t(`${p}self_attention.dense.bias`, [H], zeros(H)),
      t(`${p}post_attention_layernorm.weight`, [H], ones(H)),
      t(`${p}post_attention_layernorm.bias`, [H], zeros(H)),
      t(`${p}mlp.dense_h_to_4h.weight`, [I, H], w1),
      t(`${p}mlp.dense_h_to_4h.bias`, [I], b1),
      t(`${p}mlp.dense_4h_to_h.weight`, [H, I], w2),
      t(`${p}mlp.dense_4h_to_h.bias`, [H], b2)
    );
  }
  out.push(t('ln_f.weight', [H], ones(H)), t('ln_f.bias', [H], zeros(H)));
  return out;
}

const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o, null, 2) + '\n');

let cached: { path: string; content: Buffer }[] | undefined;

/** Every file of the demo HF repository, identical on every call. */
export function demoModelFiles(): { path: string; content: Buffer }[] {
  if (cached) return cached.map((f) => ({ ...f }));
  const all = tensors();
  const shard1 = all.filter((x) => !/^h\.(\d+)\./.test(x.name) || x.name.startsWith('h.0.'));
  const shard1Names = new Set(shard1.map((x) => x.name));
  const shard2 = all.filter((x) => !shard1Names.has(x.name));
  const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  shard1.forEach((x) => (weightMap[x.name] = names[0]));
  shard2.forEach((x) => (weightMap[x.name] = names[1]));
  const totalSize = all.reduce((a, x) => a + x.data.length * 4, 0);
  const config = {
    apply_residual_connection_post_layernorm: false,
    architectures: ['BloomForCausalLM'],
    attention_dropout: 0.0,
    bos_token_id: DEMO_MODEL.bosTokenId,
    eos_token_id: DEMO_MODEL.eosTokenId,
    hidden_dropout: 0.0,
    hidden_size: DEMO_HIDDEN,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-5,
    model_type: 'bloom',
    n_head: DEMO_HEADS,
    n_layer: DEMO_LAYERS,
    pad_token_id: DEMO_MODEL.padTokenId,
    pretraining_tp: 1,
    slow_but_exact: false,
    torch_dtype: 'float32',
    transformers_version: '4.30.2',
    use_cache: true,
    vocab_size: DEMO_VOCAB_SIZE
  };
  const readme = [
    '---',
    'license: bigscience-bloom-rail-1.0',
    'language: en',
    'pipeline_tag: text-generation',
    '---',
    '',
    '# bloom-tiny (sandbox)',
    '',
    'A 2-layer Bloom checkpoint generated for the arena-ft-pipeline sandbox. Its weights encode a next-token',
    `table: greedy decoding of "${DEMO_MODEL.prompt}" gives "${DEMO_MODEL.prompt}${DEMO_MODEL.completion}".`,
    ''
  ].join('\n');
  const gitattributes = [
    '*.bin filter=lfs diff=lfs merge=lfs -text',
    '*.h5 filter=lfs diff=lfs merge=lfs -text',
    '*.msgpack filter=lfs diff=lfs merge=lfs -text',
    '*.onnx filter=lfs diff=lfs merge=lfs -text',
    '*.pt filter=lfs diff=lfs merge=lfs -text',
    '*.safetensors filter=lfs diff=lfs merge=lfs -text',
    '*tfevents* filter=lfs diff=lfs merge=lfs -text',
    ''
  ].join('\n');
  cached = [
    { path: '.gitattributes', content: Buffer.from(gitattributes) },
    { path: 'README.md', content: Buffer.from(readme) },
    { path: 'config.json', content: json(config) },
    { path: names[0], content: writeSafetensors(shard1) },
    { path: names[1], content: writeSafetensors(shard2) },
    {
      path: 'model.safetensors.index.json',
      content: json({ metadata: { total_size: totalSize }, weight_map: weightMap })
    },
    { path: 'special_tokens_map.json', content: json(specialTokensMapJson()) },
    { path: 'tokenizer.json', content: json(tokenizerJson(vocab)) },
    { path: 'tokenizer_config.json', content: json(tokenizerConfigJson()) }
  ];
  return cached.map((f) => ({ ...f }));
}
