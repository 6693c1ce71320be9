/** The job summary as Markdown: a pure function of the config and the run report (tested table-driven). */
import type { Config } from '../config/types.js';
import type { RunReport } from '../pipeline/runner.js';
import { formatDuration } from '../util/format.js';
import type { StageResult } from '../pipeline/types.js';
import { gpuSection } from './gpu-cost.js';
import { canaryMarkdown, type CanaryRecord } from './canary.js';
import { markdownCell } from './markdown.js';

const ICON: Record<StageResult['status'], string> = {
  done: '✅ done',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  'not-run': '⚪ not run',
  planned: '📝 planned'
};

/** One table cell: no pipes or line breaks, HTML-escaped (src/report/markdown.ts). */
export function cell(s: string): string {
  return markdownCell(s);
}

/**
 * The gantt axis labels (d3 time format) for a run of this span. mermaid puts about ten ticks on the axis, so a
 * few-second run gets sub-second ticks ("%M:%S" would print the same second several times) and a run over an hour
 * would wrap "%M:%S" back to 00:00.
 */
export function axisFormat(spanMs: number): string {
  if (spanMs < 10_000) return '%S.%L';
  if (spanMs < 3_600_000) return '%M:%S';
  if (spanMs < 86_400_000) return '%H:%M';
  return '%d %H:%M';
}

/**
 * The run as a mermaid gantt chart (GitHub renders it): one bar per stage on a shared time axis, so where the
 * time went is visible at a glance. Stages that did not run have no bar.
 */
export function timeline(results: readonly StageResult[]): string {
  const ran = results.filter((r) => r.startedAt !== undefined);
  if (ran.length === 0) return '';
  const starts = ran.map((r) => Date.parse(r.startedAt!));
  const span = Math.max(...ran.map((r, i) => starts[i] + Math.max(1, r.durationMs))) - Math.min(...starts);
  const tag: Record<StageResult['status'], string> = {
    done: 'done',
    skipped: 'done',
    failed: 'crit',
    'not-run': '',
    planned: 'active'
  };
  const bars = ran.map((r) => {
    const start = Date.parse(r.startedAt!);
    // mermaid needs a non-empty bar: at least 1 ms
    const tags = [tag[r.status], `${r.stage}`, `${start}`, `${start + Math.max(1, r.durationMs)}`].filter(Boolean);
    return `  ${r.stage} (${r.status}, ${formatDuration(r.durationMs)}) : ${tags.join(', ')}`;
  });
  return [
    '```mermaid',
    'gantt',
    '  dateFormat x',
    `  axisFormat ${axisFormat(span)}`,
    '  section stages',
    ...bars,
    '```'
  ].join('\n');
}

/**
 * Each stage's figures as recorded (bytes, counts, seconds), folded under the table: the "what happened" sentence
 * already says them in words, so the table does not repeat them.
 */
export function figures(results: readonly StageResult[]): string {
  const rows = results.flatMap((r) =>
    Object.entries(r.details ?? {}).map(([k, v]) => `| ${r.stage} | ${cell(k)} | ${cell(String(v))} |`)
  );
  if (rows.length === 0) return '';
  return [
    '<details><summary>Figures recorded by each stage</summary>',
    '',
    '| stage | figure | value |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '</details>'
  ].join('\n');
}

/** Commands to look at what the run made, for the stages that ran. */
export function followUps(config: Config, results: readonly StageResult[]): string {
  const ran = new Set(results.filter((r) => r.status === 'done' || r.status === 'skipped').map((r) => r.stage));
  const ns = config.cluster.namespace;
  const cmds: string[] = [];
  if (ran.has('convert')) {
    cmds.push(
      `arena get ${config.convert.jobName} -n ${ns}`,
      `arena logs ${config.convert.jobName} -n ${ns} --tail 50`
    );
  }
  if (ran.has('deploy') || ran.has('smoke')) {
    const deploy = `${config.serve.name}-${config.serve.version}-tritoninferenceserver`;
    cmds.push(
      `arena serve get ${config.serve.name} --version ${config.serve.version} -n ${ns}`,
      `kubectl -n ${ns} port-forward deployment/${deploy} 8000:8000   # then:`,
      `curl -s localhost:8000/v2/models/${config.serve.modelName}/ready -w '%{http_code}\\n'`
    );
  }
  if (cmds.length === 0) return '';
  return ['### Look at what was deployed', '', '```sh', ...cmds, '```'].join('\n');
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
      lines.push(`| ${r.stage} | ${ICON[r.status]} | ${cell(r.summary)} | ${formatDuration(r.durationMs)} |`);
    }
    const more = figures(report.results);
    if (more) lines.push('', more);
    lines.push('', timeline(report.results));
    const gpu = gpuSection(config, report);
    if (gpu) lines.push('', gpu);
    if (!config.plan) {
      const next = followUps(config, report.results);
      if (next) lines.push('', next);
    }
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
  // the canary's steps, whether it finished or rolled back (a failed stage has no markdown of its own)
  const canary = report.state?.canary as CanaryRecord | undefined;
  if (canary) lines.push('', canaryMarkdown(canary));
  return lines.join('\n') + '\n';
}
