/**
 * The model spec: an optional YAML file with the model's own settings (model, hf, convert, serve, smoke).
 * Parsed with `yaml` keeping positions and checked with a JSON schema (ajv), so every error cites a line.
 * A spec value becomes the value of the input it stands for (SPEC_FIELDS), then goes through the same checks.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { PipelineError } from '../errors.js';

/** Spec path (dot-separated) → the input it sets. `smoke.prompts` is handled on its own. */
export const SPEC_FIELDS: Readonly<Record<string, string>> = {
  model: 'model',
  revision: 'revision',
  version: 'version',
  'hf.include': 'hf-include',
  'hf.exclude': 'hf-exclude',
  'convert.image': 'convert-image',
  'convert.gpus': 'convert-gpus',
  'convert.workers': 'convert-workers',
  'convert.tensor-parallel': 'tensor-parallel',
  'convert.data-type': 'data-type',
  'convert.processes': 'convert-processes',
  'convert.timeout': 'convert-timeout',
  'convert.resubmit-failed': 'resubmit-failed',
  'convert.retries': 'convert-retries',
  'serve.image': 'serve-image',
  'serve.gpus': 'serve-gpus',
  'serve.replicas': 'serve-replicas',
  'serve.pipeline-parallel': 'pipeline-parallel',
  'serve.name': 'serving-name',
  'serve.model-name': 'triton-model-name',
  'serve.max-batch-size': 'max-batch-size',
  'serve.timeout': 'serve-timeout',
  'smoke.expect': 'smoke-expect',
  'smoke.output-length': 'smoke-output-length',
  'smoke.requests': 'smoke-requests',
  'smoke.latency-budget': 'smoke-latency-budget',
  'smoke.timeout': 'smoke-timeout',
  'keep-versions': 'keep-versions'
};

const scalar = { type: ['string', 'integer', 'boolean'] };
const globList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 200 }] };
const section = (keys: string[], extra: Record<string, unknown> = {}) => ({
  type: 'object',
  additionalProperties: false,
  properties: { ...Object.fromEntries(keys.map((k) => [k, scalar])), ...extra }
});
const keysOf = (prefix: string) =>
  Object.keys(SPEC_FIELDS)
    .filter((k) => k.startsWith(prefix + '.'))
    .map((k) => k.slice(prefix.length + 1));

export const SPEC_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string' },
    revision: { type: ['string', 'integer'] },
    version: { type: ['string', 'integer'] },
    hf: { type: 'object', additionalProperties: false, properties: { include: globList, exclude: globList } },
    convert: section(keysOf('convert')),
    serve: section(keysOf('serve')),
    smoke: section(keysOf('smoke'), {
      prompts: {
        type: 'array',
        minItems: 1,
        maxItems: 16,
        items: {
          anyOf: [
            { type: 'string' },
            {
              type: 'object',
              additionalProperties: false,
              required: ['text'],
              properties: { text: { type: 'string' }, expect: { type: 'string' } }
            }
          ]
        }
      }
    }),
    'keep-versions': { type: 'integer' }
  }
} as const;

export interface SpecValue {
  readonly value: string;
  readonly line: number;
  readonly path: string;
}

export interface ModelSpec {
  readonly file: string;
  /** Input name → the spec's value for it, as a string, with its line. */
  readonly inputs: ReadonlyMap<string, SpecValue>;
  readonly prompts?: { readonly prompts: readonly { text: string; expect?: string }[]; readonly line: number };
}

let validator: ReturnType<Ajv['compile']> | undefined;

function lineOf(doc: Document, lc: LineCounter, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return 1;
}

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where === '(top level)' ? '' : where + ': '}unknown key "${String(e.params.additionalProperty)}"`;
    case 'type':
      return `${where}: must be ${[e.params.type].flat().join(' or ')}`;
    case 'required':
      return `${where}: missing "${String(e.params.missingProperty)}"`;
    default:
      return `${where}: ${e.message ?? 'is not valid'}`;
  }
}

const ALLOWED_FORM =
  'a mapping with keys model, revision, version, hf (include, exclude), convert, serve, smoke, keep-versions (see the README)';

/** Parses and checks a model spec. `file` is only used in messages. */
export function parseModelSpec(text: string, file: string): ModelSpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lc.linePos(e.pos[0]).line;
    throw new PipelineError(
      'CONFIG_SPEC_INVALID',
      `Input "model-spec": ${file} line ${line}: not valid YAML (${e.message.split('\n')[0]})`,
      `Fix the YAML at line ${line}; the spec must be ${ALLOWED_FORM}.`
    );
  }
  const data: unknown = doc.toJS() ?? {};
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(SPEC_SCHEMA);
  if (!validator(data)) {
    const lines = (validator.errors ?? [])
      .filter((e) => e.keyword !== 'anyOf')
      .map((e) => {
        const path = e.instancePath.split('/').slice(1).map(decodeURIComponent);
        const extra = e.keyword === 'additionalProperties' ? [String(e.params.additionalProperty)] : [];
        return `${file} line ${lineOf(doc, lc, [...path, ...extra])}: ${describeSchemaError(e)}`;
      });
    const unique = [...new Set(lines)];
    throw new PipelineError(
      'CONFIG_SPEC_INVALID',
      `Input "model-spec": ${unique[0]}`,
      `The spec must be ${ALLOWED_FORM}.`,
      { details: unique }
    );
  }
  const inputs = new Map<string, SpecValue>();
  const obj = data as Record<string, unknown>;
  for (const [path, input] of Object.entries(SPEC_FIELDS)) {
    const segs = path.split('.');
    let v: unknown = obj;
    for (const s of segs) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
    if (v === undefined || v === null) continue;
    const value = Array.isArray(v) ? v.join('\n') : String(v);
    inputs.set(input, { value, line: lineOf(doc, lc, segs), path });
  }
  const smoke = obj.smoke as { prompts?: (string | { text: string; expect?: string })[] } | undefined;
  const prompts = smoke?.prompts
    ? {
        prompts: smoke.prompts.map((p) => (typeof p === 'string' ? { text: p } : p)),
        line: lineOf(doc, lc, ['smoke', 'prompts'])
      }
    : undefined;
  return { file, inputs, prompts };
}
