/**
 * One text generation through the FT model: tokenize, build the KServe v2 tensors (greedy decoding), decode
 * `output_ids` up to `sequence_length` (they include the prompt), and judge the completion. Pure pieces.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { SmokePrompt } from '../config/types.js';
import type { ModelMetadata, V2Tensor } from './client.js';
import { MODEL_INPUTS, MODEL_OUTPUTS } from './model-config.js';

export interface TextCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** A tokenizer from the model's `tokenizer.json` (and `tokenizer_config.json` when there is one). */
export function loadTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown = {}): TextCodec {
  const tok = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tok.decode([...ids], { skip_special_tokens: true })
  };
}

export function inferInputs(ids: readonly number[], outputLength: number): V2Tensor[] {
  return [
    { name: 'input_ids', datatype: 'UINT32', shape: [1, ids.length], data: ids },
    { name: 'input_lengths', datatype: 'UINT32', shape: [1, 1], data: [ids.length] },
    { name: 'request_output_len', datatype: 'UINT32', shape: [1, 1], data: [outputLength] },
    { name: 'runtime_top_k', datatype: 'UINT32', shape: [1, 1], data: [1] },
    { name: 'beam_width', datatype: 'UINT32', shape: [1, 1], data: [1] }
  ];
}

export const INFER_OUTPUTS = ['output_ids', 'sequence_length'];

/** The generated token ids (after the prompt), from the first sequence of the first beam. */
export function generatedIds(outputs: readonly V2Tensor[], promptLength: number): number[] {
  const ids = outputs.find((o) => o.name === 'output_ids');
  const lens = outputs.find((o) => o.name === 'sequence_length');
  if (!ids || !lens) throw new Error('the response has no output_ids or sequence_length');
  const width = ids.shape[ids.shape.length - 1] ?? ids.data.length;
  const seqLen = Math.min(Number(lens.data[0]), width);
  return ids.data.slice(0, seqLen).slice(promptLength).map(Number);
}

/** Why a completion fails its prompt's expectation, or undefined when it passes. */
export function checkExpectation(p: SmokePrompt, completion: string): string | undefined {
  if (p.expect !== undefined) {
    return new RegExp(p.expect).test(completion) ? undefined : `does not match /${p.expect}/`;
  }
  if (completion.trim() === '') return 'is empty';
  if (completion.includes('\uFFFD')) return 'contains U+FFFD (bytes that do not decode: wrong weights or tokenizer?)';
  return undefined;
}

/** Differences between what the server says about the model and what config.pbtxt declares. */
export function metadataMismatches(meta: ModelMetadata, modelName: string): string[] {
  const out: string[] = [];
  if (meta.name !== modelName) out.push(`model name is "${meta.name}", expected "${modelName}"`);
  const check = (kind: 'input' | 'output', declared: ModelMetadata['inputs'], want: typeof MODEL_INPUTS) => {
    for (const t of want) {
      if (t.optional) continue;
      const got = declared?.find((d) => d.name === t.name);
      if (!got) out.push(`${kind} ${t.name} is missing`);
      else if (got.datatype !== t.datatype) out.push(`${kind} ${t.name} is ${got.datatype}, expected ${t.datatype}`);
    }
  };
  check('input', meta.inputs, MODEL_INPUTS);
  check(
    'output',
    meta.outputs,
    MODEL_OUTPUTS.filter((o) => o.name === 'output_ids' || o.name === 'sequence_length')
  );
  return out;
}
