/**
 * Which repo files the pipeline needs. The default keeps what the FT converter and the tokenizer read (configs,
 * tokenizer files, one weight format with its index) and leaves out the weights of other frameworks.
 * Patterns are minimatch globs; a pattern without `/` matches the file name in any folder.
 */
import { minimatch } from 'minimatch';
import type { HubFile } from './client.js';

export const DEFAULT_INCLUDE: readonly string[] = [
  'config*.json',
  'generation_config.json',
  'tokenizer*',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab*',
  'merges.txt',
  '*.safetensors',
  'model.safetensors.index.json',
  '*.safetensors.index.json',
  '*.bin',
  '*.bin.index.json'
];

export const DEFAULT_EXCLUDE: readonly string[] = [
  '*.h5',
  '*.msgpack',
  '*.onnx',
  '*.onnx_data',
  'onnx/**',
  'flax_model*',
  'tf_model*',
  '*.tflite',
  '*.ot',
  'rust_model*',
  'coreml/**',
  'training_args.bin',
  'optimizer.pt',
  'original/**'
];

const matches = (path: string, pattern: string): boolean =>
  minimatch(path, pattern, { dot: true, matchBase: !pattern.includes('/'), nocomment: true });

const isPytorchWeights = (p: string): boolean =>
  /(^|\/)pytorch_model[^/]*\.bin(\.index\.json)?$/.test(p) || /\.bin$/.test(p);
const isSafetensors = (p: string): boolean => /\.safetensors$/.test(p);

export interface Selection {
  readonly selected: HubFile[];
  /** Files left out, with the reason (for the log). */
  readonly left: { path: string; why: string }[];
}

/**
 * Select by globs. With the default include, `*.bin` weights are dropped when the repo has safetensors weights
 * (one format is enough, and safetensors is what the converter reads first); an explicit include keeps them.
 */
export function selectFiles(
  files: readonly HubFile[],
  include: readonly string[] = [],
  exclude: readonly string[] = []
): Selection {
  const inc = include.length > 0 ? include : DEFAULT_INCLUDE;
  const exc = exclude.length > 0 ? exclude : DEFAULT_EXCLUDE;
  const left: { path: string; why: string }[] = [];
  let selected = files.filter((f) => {
    if (!inc.some((p) => matches(f.path, p))) return left.push({ path: f.path, why: 'not included' }) < 0;
    const ex = exc.find((p) => matches(f.path, p));
    if (ex) return left.push({ path: f.path, why: `excluded by ${ex}` }) < 0;
    return true;
  });
  if (include.length === 0 && selected.some((f) => isSafetensors(f.path))) {
    selected = selected.filter((f) => {
      if (!isPytorchWeights(f.path)) return true;
      left.push({ path: f.path, why: 'pytorch weights, safetensors present' });
      return false;
    });
  }
  return { selected, left };
}
