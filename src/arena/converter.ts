/**
 * The FasterTransformer Bloom converter's command line, as Arena runs it (`sh -c "<command>"` in the pod).
 * Paths are quoted for sh so a prefix with spaces or quotes reaches argparse as one argument.
 */
import type { DataType } from '../config/types.js';

const CONVERTER = '/FasterTransformer/examples/pytorch/gpt/utils/huggingface_bloom_convert.py';

/** Quotes one word for POSIX sh: unchanged when it only has safe characters, else single-quoted. */
export function shQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ConverterParams {
  /** In-pod directory holding the synced HF files (config.json, weights). */
  readonly inputDir: string;
  /** In-pod directory the converter writes `<tp>-gpu/` into. */
  readonly outputDir: string;
  readonly tensorParallel: number;
  readonly dataType: DataType;
  readonly processes: number;
}

export function converterCommand(p: ConverterParams): string {
  const strip = (d: string) => (d.length > 1 ? d.replace(/\/+$/, '') : d);
  return [
    'python',
    CONVERTER,
    '-i',
    shQuote(strip(p.inputDir)),
    '-o',
    shQuote(strip(p.outputDir)),
    '-tp',
    String(p.tensorParallel),
    '-dt',
    p.dataType,
    '-p',
    String(p.processes),
    '-v'
  ].join(' ');
}
