/**
 * The models file (a caller repository's list of model specs) and the decision which model versions a run
 * must build: the ones added or changed against a base commit (pull requests), all of them, or one (dispatch).
 * Pure functions; reading the base version through git is in ./git.ts.
 */
import { parse } from 'yaml';
import { PipelineError } from '../errors.js';

export interface ModelEntry {
  /** HF repo id. */
  readonly model: string;
  /** Version name when the entry pins one. */
  readonly version?: string;
  readonly revision?: string;
  /** The whole entry, as the action's `model-spec` takes it. */
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface MatrixEntry {
  readonly model: string;
  readonly version: string;
  readonly revision: string;
  /** The entry as JSON: the pipeline workflow's `model-spec-json` input. */
  readonly spec: string;
  readonly reason: 'added' | 'changed' | 'selected';
}

export type Selection = { kind: 'changed' } | { kind: 'all' } | { kind: 'one'; model: string };

const HINT =
  'The models file is YAML: `models:` followed by a list of model specs, each with at least `model: org/name`.';

/** Parses a models file's text. `source` names it in errors. */
export function parseModelsFile(text: string, source: string): ModelEntry[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PipelineError('MODELS_FILE_INVALID', `${source} is not valid YAML: ${(err as Error).message}`, HINT);
  }
  const list = (doc as { models?: unknown } | null)?.models;
  if (!Array.isArray(list)) {
    throw new PipelineError('MODELS_FILE_INVALID', `${source} has no \`models:\` list`, HINT);
  }
  return list.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || typeof (raw as { model?: unknown }).model !== 'string') {
      throw new PipelineError('MODELS_FILE_INVALID', `${source}: entry ${i + 1} has no \`model\``, HINT);
    }
    const spec = raw as Record<string, unknown>;
    return {
      model: spec.model as string,
      version: spec.version === undefined ? undefined : String(spec.version),
      revision: spec.revision === undefined ? undefined : String(spec.revision),
      spec
    };
  });
}

/** Two entries name the same model version when model and version (or, unversioned, revision) agree. */
export function entryKey(e: ModelEntry): string {
  return `${e.model}@${e.version ?? `rev:${e.revision ?? 'main'}`}`;
}

/** Canonical JSON (sorted keys), so reordering keys in YAML is not a change. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The model versions to build. `base` is the models file at the base commit (undefined when the file did not
 * exist there, so everything is added).
 */
export function planModels(
  head: readonly ModelEntry[],
  base: readonly ModelEntry[] | undefined,
  sel: Selection
): MatrixEntry[] {
  const seen = new Set<string>();
  for (const e of head) {
    const key = entryKey(e);
    if (seen.has(key)) {
      throw new PipelineError(
        'MODELS_FILE_INVALID',
        `the models file lists ${key} twice`,
        'Give each entry of the same model its own `version`.'
      );
    }
    seen.add(key);
  }
  const baseByKey = new Map((base ?? []).map((e) => [entryKey(e), canonicalJson(e.spec)]));
  const out: MatrixEntry[] = [];
  for (const e of head) {
    let reason: MatrixEntry['reason'] | undefined;
    if (sel.kind === 'all') reason = 'selected';
    else if (sel.kind === 'one') reason = e.model === sel.model ? 'selected' : undefined;
    else {
      const before = baseByKey.get(entryKey(e));
      reason = before === undefined ? 'added' : before !== canonicalJson(e.spec) ? 'changed' : undefined;
    }
    if (reason) {
      out.push({
        model: e.model,
        version: e.version ?? '',
        revision: e.revision ?? 'main',
        spec: JSON.stringify(e.spec),
        reason
      });
    }
  }
  if (sel.kind === 'one' && out.length === 0) {
    throw new PipelineError(
      'MODELS_NOT_FOUND',
      `the models file has no entry for ${sel.model}`,
      'Dispatch with a model id exactly as the models file writes it.'
    );
  }
  return out;
}

/** `changed`, `all`, or a repo id. */
export function parseSelection(value: string): Selection {
  const v = value.trim();
  if (v === '' || v === 'changed') return { kind: 'changed' };
  if (v === 'all') return { kind: 'all' };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
    throw new PipelineError(
      'INPUT_INVALID',
      `input models-select: "${v.slice(0, 100)}" is not allowed`,
      'Use "changed", "all" or a HuggingFace repo id "org/name".'
    );
  }
  return { kind: 'one', model: v };
}
