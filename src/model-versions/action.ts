/**
 * The action glue of the models-file mode: inputs → plan → outputs `models-matrix`, `models-count` and a
 * job-summary table of what will be built and why.
 */
import type { ReportSink } from '../report/index.js';
import { cell } from '../report/summary.js';
import type { MatrixEntry } from './plan.js';
import { planModelsRequest, type ModelsRequest } from './run.js';

export function modelsSummary(req: ModelsRequest, matrix: readonly MatrixEntry[]): string {
  const against = req.baseRef ? ` against ${req.baseRef.slice(0, 12)}` : '';
  const head = `## arena-ft-pipeline: models plan\n\n${matrix.length} model version(s) from \`${cell(req.file)}\` (${cell(req.select || 'changed')}${against}).\n`;
  if (matrix.length === 0) return `${head}\nNothing to build.\n`;
  return [
    head,
    '| model | version | revision | why |',
    '| --- | --- | --- | --- |',
    ...matrix.map(
      (m) => `| ${cell(m.model)} | ${cell(m.version || '(derived)')} | ${cell(m.revision)} | ${m.reason} |`
    ),
    ''
  ].join('\n');
}

export async function runModelsPlan(req: ModelsRequest, sink: ReportSink): Promise<MatrixEntry[]> {
  const matrix = await planModelsRequest(req);
  sink.setOutput('models-matrix', JSON.stringify(matrix));
  sink.setOutput('models-count', String(matrix.length));
  await sink.writeSummary(modelsSummary(req, matrix));
  return matrix;
}
