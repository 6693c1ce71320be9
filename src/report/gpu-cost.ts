/**
 * The GPU lines of the report: GPU-hours per stage (recorded by src/stages/gpu-usage.ts in the run state), the
 * total, and its cost at the `gpu-price-per-hour` input. Pure.
 */
import type { Config } from '../config/types.js';
import type { RunReport } from '../pipeline/runner.js';

/** Stage → GPU-hours, in the order the stages ran. */
export function gpuHoursByStage(report: Pick<RunReport, 'state' | 'results'>): [string, number][] {
  const rec = (report.state.gpuHours as Record<string, number> | undefined) ?? {};
  return report.results.filter((r) => typeof rec[r.stage] === 'number').map((r) => [r.stage, rec[r.stage]]);
}

/** A figure for a person: small values keep two significant digits (a sandbox run uses seconds of GPU). */
export function formatAmount(n: number): string {
  if (n === 0) return '0';
  return n >= 0.01 ? n.toFixed(2) : Number(n.toPrecision(2)).toString();
}

function money(config: Config, amount: number): string {
  const cur = config.gpuPrice?.currency;
  return cur ? `${formatAmount(amount)} ${cur}` : `${formatAmount(amount)} (in your currency)`;
}

/** The summary's "GPU usage" section, or '' when no stage ran GPU pods. */
export function gpuSection(config: Config, report: Pick<RunReport, 'state' | 'results'>): string {
  const rows = gpuHoursByStage(report);
  if (rows.length === 0) return '';
  const total = rows.reduce((s, [, h]) => s + h, 0);
  const lines = [
    '### GPU usage',
    '',
    '| stage | GPU-hours |',
    '| --- | --- |',
    ...rows.map(([stage, h]) => `| ${stage} | ${formatAmount(h)} |`),
    `| **total** | **${formatAmount(total)}** |`,
    ''
  ];
  const price = config.gpuPrice;
  lines.push(
    price
      ? `**GPU cost:** ${money(config, total * price.perHour)} = ${formatAmount(total)} GPU-hours × ${money(config, price.perHour)} per GPU-hour`
      : 'No `gpu-price-per-hour` given: no cost computed.'
  );
  return lines.join('\n');
}

/** The `gpu-hours` and (with a price) `gpu-cost` outputs; none when no stage ran GPU pods. */
export function gpuOutputs(config: Config, report: Pick<RunReport, 'state' | 'results'>): Record<string, string> {
  const rows = gpuHoursByStage(report);
  if (rows.length === 0) return {};
  const total = rows.reduce((s, [, h]) => s + h, 0);
  return {
    'gpu-hours': String(Number(total.toPrecision(6))),
    ...(config.gpuPrice ? { 'gpu-cost': String(Number((total * config.gpuPrice.perHour).toPrecision(6))) } : {})
  };
}
