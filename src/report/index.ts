/**
 * Writes a run's report where GitHub shows it: step outputs, the job summary, and one `::error` annotation for
 * a failure (its title names the stage and code, its text says what to do).
 */
import * as core from '@actions/core';
import type { Config } from '../config/types.js';
import type { PipelineError } from '../errors.js';
import type { RunReport } from '../pipeline/runner.js';
import { computeOutputs } from './outputs.js';
import { renderSummary } from './summary.js';

export interface ReportSink {
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
  annotate(message: string, title: string): void;
}

export const actionsSink: ReportSink = {
  setOutput: (name, value) => core.setOutput(name, value),
  writeSummary: async (markdown) => {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(markdown).write();
  },
  annotate: (message, title) => core.error(message, { title })
};

export function annotationFor(stage: string, e: PipelineError): { title: string; message: string } {
  return { title: `${stage}: ${e.code}`, message: `${e.message}\nWhat to do: ${e.hint}` };
}

export async function writeReport(config: Config, report: RunReport, sink: ReportSink = actionsSink): Promise<void> {
  for (const [name, value] of Object.entries(computeOutputs(config, report))) sink.setOutput(name, value);
  await sink.writeSummary(renderSummary(config, report));
  if (report.failure) {
    const a = annotationFor(report.failure.stage, report.failure.error);
    sink.annotate(a.message, a.title);
  }
}

/** A failure before any stage ran (bad inputs): an annotation and a short summary. */
export async function writeEarlyFailure(e: PipelineError, sink: ReportSink = actionsSink): Promise<void> {
  const lines = e.details.length > 1 ? e.details : [e.message];
  sink.annotate(`${lines.join('\n')}\nWhat to do: ${e.hint}`, `inputs: ${e.code}`);
  const details = e.details.length > 1 ? '\n\n' + e.details.map((d) => `- ${d}`).join('\n') : '';
  await sink.writeSummary(
    `## arena-ft-pipeline\n\n❌ \`${e.code}\`: ${e.message}${details}\n\n**What to do:** ${e.hint}\n`
  );
}
