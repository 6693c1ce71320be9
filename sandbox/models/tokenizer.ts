/**
 * A real Bloom-style `tokenizer.json` (byte-level BPE) for the demo model, built deterministically:
 * ids 0..3 are the special tokens, 4..259 the 256 byte symbols (GPT-2's bytes-to-unicode mapping, as Bloom),
 * then one token per merge; every word of DEMO_WORDS is a single token.
 */

export const SPECIAL_TOKENS = ['<unk>', '<s>', '</s>', '<pad>'] as const;

/** GPT-2 / Bloom byte → printable unicode character mapping. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  }
  return map;
}

/** Words (with their leading space, as BPE sees them) that become single tokens. */
export const DEMO_WORDS = [
  'deep',
  'speed',
  ' is',
  ' a',
  ' deep',
  ' learning',
  ' optimization',
  ' library',
  'hello',
  ' world',
  'The',
  ' the',
  ' model',
  ' and',
  ' to',
  ' of',
  ' in',
  ' for',
  ' fast',
  ' inference',
  ' server',
  ' triton'
];

export interface DemoVocab {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/** Plain BPE: merge the adjacent pair of lowest rank until none applies. */
function bpe(symbols: string[], ranks: Map<string, number>): string[] {
  const parts = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best] + parts[best + 1]);
  }
}

/**
 * Each word is first split with the merges so far, then joined left to right by new merges. New merges rank
 * after all earlier ones, so words added before keep their single-token spelling.
 */
export function buildVocab(words: readonly string[] = DEMO_WORDS): DemoVocab {
  const b2u = bytesToUnicode();
  const vocab = new Map<string, number>();
  SPECIAL_TOKENS.forEach((t, i) => vocab.set(t, i));
  b2u.forEach((ch, b) => vocab.set(ch, SPECIAL_TOKENS.length + b));
  const merges: [string, string][] = [];
  const ranks = new Map<string, number>();
  for (const w of words) {
    let parts = bpe(
      [...Buffer.from(w, 'utf8')].map((b) => b2u[b]),
      ranks
    );
    while (parts.length > 1) {
      const [a, b] = parts;
      ranks.set(`${a} ${b}`, merges.length);
      merges.push([a, b]);
      if (!vocab.has(a + b)) vocab.set(a + b, vocab.size);
      parts = [a + b, ...parts.slice(2)];
    }
  }
  return { vocab, merges };
}

/** The `tokenizer.json` document, laid out like bigscience/bloom's. */
export function tokenizerJson(v: DemoVocab = buildVocab()): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: ' ?[^(\\s|[.,!?…。，、।۔،])]+' },
          behavior: 'Isolated',
          invert: false
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
      ]
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(v.vocab),
      merges: v.merges.map(([a, b]) => `${a} ${b}`)
    }
  };
}

export function tokenizerConfigJson(): object {
  return {
    add_prefix_space: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    model_max_length: 1000000000000000019884624838656,
    padding_side: 'left',
    tokenizer_class: 'BloomTokenizerFast',
    clean_up_tokenization_spaces: false
  };
}

export function specialTokensMapJson(): object {
  return { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>' };
}
