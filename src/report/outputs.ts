/**
 * The step outputs: one table that action.yml and the README agree on (a test checks), and the pure function
 * that computes their values from the config and what the run learned.
 */
import { ftCheckpointPrefix, hfPrefix, ossUri, tritonRepoPrefix } from '../config/layout.js';
import type { Config } from '../config/types.js';
import type { RunReport } from '../pipeline/runner.js';
import { gpuOutputs } from './gpu-cost.js';

export interface OutputDef {
  readonly name: string;
  readonly description: string;
}

export const OUTPUTS: readonly OutputDef[] = [
  { name: 'version', description: 'The model version this run worked on (given or derived).' },
  { name: 'hf-commit', description: 'The commit the HuggingFace revision resolved to (set once sync ran).' },
  { name: 'oss-hf-uri', description: '`oss://` URI of the synced HuggingFace files (set once the commit is known).' },
  { name: 'oss-ft-uri', description: '`oss://` URI of the converted FasterTransformer checkpoint.' },
  { name: 'oss-model-repository-uri', description: '`oss://` URI of the Triton model repository.' },
  { name: 'job-name', description: 'Name of the conversion PyTorchJob.' },
  { name: 'serving-name', description: 'Arena serving name.' },
  { name: 'serving-version', description: 'Arena serving version.' },
  {
    name: 'smoke-result',
    description: 'Result of the smoke stage: `passed`, `failed`, `skipped` or `not-run` (empty when not selected).'
  },
  { name: 'completion', description: 'The first smoke prompt’s completion.' },
  { name: 'latency-p50-ms', description: 'Median smoke request latency (ms).' },
  { name: 'latency-p95-ms', description: '95th percentile smoke request latency (ms).' },
  { name: 'pvc', description: 'The PersistentVolumeClaim mounting the bucket.' },
  {
    name: 'convert-job',
    description: 'The conversion PyTorchJob that produced the checkpoint (this run’s or an earlier one).'
  },
  { name: 'checkpoint-uri', description: '`oss://` URI of the converted checkpoint folder (`<tp>-gpu`).' },
  {
    name: 'model-repository',
    description: '`oss://` URI of the Triton model repository the serving version uses (set by the deploy stage).'
  },
  {
    name: 'kubeconfig-path',
    description: 'The kubeconfig file the setup stage wrote (also exported as `KUBECONFIG`).'
  },
  {
    name: 'stage-results',
    description: 'JSON list of `{stage, status, summary, durationMs, error?}` for every selected stage.'
  },
  {
    name: 'models-matrix',
    description:
      'With `models-file`: JSON list of the model versions to build, `{model, version, revision, spec, reason}` each (a matrix for the pipeline workflow).'
  },
  { name: 'models-count', description: 'With `models-file`: how many model versions `models-matrix` holds.' },
  {
    name: 'gpu-hours',
    description:
      'GPU-hours the run’s own pods used (conversion job, serving version during deploy and smoke), from pod start/end times and `nvidia.com/gpu` requests.'
  },
  { name: 'gpu-cost', description: '`gpu-hours` × `gpu-price-per-hour` (set only when a price is given).' },
  {
    name: 'gc-removed',
    description: 'With `stages: gc`: JSON list of what the gc stage removed (`{kind, name, version?}`).'
  }
];

function smokeResult(report: RunReport): string {
  const r = report.results.find((x) => x.stage === 'smoke');
  if (!r) return '';
  return r.status === 'done' ? 'passed' : r.status;
}

/** Outputs derived from the config, overlaid with what the stages set. Empty values are left out. */
export function computeOutputs(config: Config, report: RunReport): Record<string, string> {
  const commit = typeof report.state.commit === 'string' ? report.state.commit : '';
  const hasModel = config.model.repo !== '' && config.oss.bucket !== '';
  const base: Record<string, string> = {
    version: config.model.version,
    'hf-commit': commit,
    'oss-hf-uri': hasModel && commit ? ossUri(config, hfPrefix(config, commit)) : '',
    'oss-ft-uri': hasModel ? ossUri(config, ftCheckpointPrefix(config)) : '',
    'oss-model-repository-uri': hasModel ? ossUri(config, tritonRepoPrefix(config)) : '',
    'job-name': config.convert.jobName,
    'serving-name': config.serve.name,
    'serving-version': config.serve.version,
    'smoke-result': smokeResult(report),
    'stage-results': JSON.stringify(
      report.results.map((r) => ({
        stage: r.stage,
        status: r.status,
        summary: r.summary,
        durationMs: r.durationMs,
        ...(r.error ? { error: r.error } : {})
      }))
    )
  };
  const all = { ...base, ...gpuOutputs(config, report), ...report.outputs };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== ''));
}
