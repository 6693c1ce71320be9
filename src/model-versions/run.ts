/**
 * The models-file mode of the action (`models-file` set): read the caller's models file, compare it with the
 * base commit, and output the matrix of model versions to build (`models-matrix`, `models-count`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { toDnsLabel } from '../config/names.js';
import { parseModelsFile, parseSelection, planModels, type MatrixEntry } from './plan.js';
import { readFileAtRef } from './git.js';

export interface ModelsRequest {
  readonly file: string;
  readonly select: string;
  readonly baseRef: string;
  readonly versionSuffix: string;
  readonly workspace: string;
}

/** Versions are DNS-1123 labels of at most 20 characters; a suffix such as `-v1.4.0` is folded into one. */
export function versionWithSuffix(version: string, suffix: string): string {
  if (suffix === '') return version;
  return toDnsLabel(`${version || 'v'}${suffix}`, 20);
}

export async function planModelsRequest(req: ModelsRequest): Promise<MatrixEntry[]> {
  const selection = parseSelection(req.select);
  const abs = path.resolve(req.workspace, req.file);
  if (!abs.startsWith(path.resolve(req.workspace) + path.sep)) {
    throw new PipelineError(
      'INPUT_INVALID',
      `input models-file: "${req.file.slice(0, 100)}" is outside the workspace`,
      'Use a path inside the repository, like models.yaml.'
    );
  }
  const text = await readFile(abs, 'utf8').catch(() => {
    throw new PipelineError(
      'MODELS_FILE_MISSING',
      `the models file ${req.file} does not exist in the workspace`,
      'Check out the repository first (actions/checkout) and check the models-file path.'
    );
  });
  const head = parseModelsFile(text, req.file);
  let base;
  if (selection.kind === 'changed' && req.baseRef !== '') {
    const baseText = await readFileAtRef(req.baseRef, req.file, req.workspace);
    base = baseText === undefined ? undefined : parseModelsFile(baseText, `${req.file} at ${req.baseRef.slice(0, 12)}`);
  }
  return planModels(head, base, selection).map((e) => {
    if (req.versionSuffix === '') return e;
    const version = versionWithSuffix(e.version, req.versionSuffix);
    return { ...e, version, spec: JSON.stringify({ ...JSON.parse(e.spec), version }) };
  });
}
