/** The job summary as Markdown: a pure function of the config and the run report (tested table-driven). */
import type { Config } from '../config/types.js';
import { formatDuration, type RunReport } from '../pipeline/runner.js';
import type { StageResult } from '../pipeline/types.js';

const ICON: Record<StageResult['status'], string> = {
  done: '✅ done',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  'not-run': '⚪ not run'
};

/** One table cell: no pipes or line breaks, HTML-escaped. */
export function cell(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

function mermaid(results: readonly StageResult[]): string {
  if (results.length === 0) return '';
  const cls: Record<StageResult['status'], string> = { done: 'ok', skipped: 'skip', failed: 'bad', 'not-run': 'idle' };
  const nodes = results.map((r) => `  ${r.stage}["${r.stage}<br/>${r.status}"]:::${cls[r.status]}`);
  const edges = results.slice(1).map((r, i) => `  ${results[i].stage} --> ${r.stage}`);
  return [
    '```mermaid',
    'flowchart LR',
    ...nodes,
    ...edges,
    '  classDef ok fill:#d4f8d4,stroke:#2da44e',
    '  classDef skip fill:#eef,stroke:#888',
    '  classDef bad fill:#ffd8d8,stroke:#cf222e',
    '  classDef idle fill:#f6f8fa,stroke:#bbb',
    '```'
  ].join('\n');
}

export function renderSummary(config: Config, report: RunReport): string {
  const title = config.plan ? 'arena-ft-pipeline plan' : 'arena-ft-pipeline';
  const model = config.model.repo
    ? `\`${config.model.repo}\` @ \`${config.model.revision}\` → version \`${config.model.version}\``
    : 'no model selected';
  const lines = [`## ${title}`, '', model, ''];
  if (report.results.length === 0) {
    lines.push('No stages selected (`stages: none`): the inputs were checked, nothing else ran.');
  } else {
    lines.push('| stage | result | what happened | time |', '| --- | --- | --- | --- |');
    for (const r of report.results) {
      const details = r.details
        ? ' (' +
          Object.entries(r.details)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ') +
          ')'
        : '';
      lines.push(`| ${r.stage} | ${ICON[r.status]} | ${cell(r.summary + details)} | ${formatDuration(r.durationMs)} |`);
    }
    lines.push('', mermaid(report.results));
  }
  if (report.failure) {
    const e = report.failure.error;
    lines.push(
      '',
      `### ❌ ${report.failure.stage} failed: \`${e.code}\``,
      '',
      cell(e.message),
      '',
      `**What to do:** ${cell(e.hint)}`
    );
    if (e.details.length > 0) lines.push('', '```text', ...e.details.map((d) => d.replace(/```/g, "'''")), '```');
  }
  for (const md of report.markdown) lines.push('', md);
  return lines.join('\n') + '\n';
}
