/**
 * batch/v1 Job admission as the API server does it: SetDefaults_Job (pkg/apis/batch/v1/defaults.go), the
 * registry strategy's generateSelector (pkg/registry/batch/job/strategy.go) and ValidateJob / ValidateJobSpecUpdate
 * (pkg/apis/batch/validation/validation.go), with the validators' wording. Citations: sandbox/kube/README.md.
 */
import type { KubeObject } from './contract.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export const MAX_INT32 = 2147483647;
const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESTART_POLICIES = ['OnFailure', 'Never'];
const POD_FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

/** batch.kubernetes.io labels (pkg/apis/batch/types.go): legacy bare keys are set too. */
export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name'
};

export interface Cause {
  field: string;
  message: string;
  reason?: string;
}

/** SetDefaults_Job, then the strategy's generateSelector (which needs the uid, so it runs after the uid is set). */
export function defaultJob(job: KubeObject): void {
  const spec = (job.spec ??= {}) as any;
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? MAX_INT32 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.template ??= {};
  spec.template.metadata ??= {};
  const templateLabels = spec.template.metadata.labels ?? {};
  if (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0) {
    if (Object.keys(templateLabels).length) job.metadata.labels = { ...templateLabels };
  }
  if (spec.manualSelector !== true) {
    const uid = job.metadata.uid!;
    spec.template.metadata.labels = {
      ...templateLabels,
      [JOB_LABELS.controllerUid]: uid,
      [JOB_LABELS.jobName]: job.metadata.name,
      [JOB_LABELS.legacyControllerUid]: uid,
      [JOB_LABELS.legacyJobName]: job.metadata.name
    };
    spec.selector ??= {};
    spec.selector.matchLabels ??= {};
    spec.selector.matchLabels[JOB_LABELS.controllerUid] ??= uid;
  }
  job.status ??= {};
}

/** Go's rendering of a value in a field error (numbers bare, strings quoted, the rest as JSON). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

function nonNegative(causes: Cause[], spec: any, field: string): void {
  const v = spec[field];
  if (v != null && (typeof v !== 'number' || v < 0)) {
    causes.push({ field: `spec.${field}`, message: `Invalid value: ${show(v)}: must be greater than or equal to 0` });
  }
}

/** Does a matchLabels-only selector (all the sandbox evaluates here) select these labels? */
function selects(selector: any, labels: Record<string, string>): boolean {
  const match: Record<string, string> = selector?.matchLabels ?? {};
  const exprs: any[] = selector?.matchExpressions ?? [];
  return (
    Object.entries(match).every(([k, v]) => labels[k] === v) &&
    exprs.every((e) => {
      const has = Object.hasOwn(labels, e.key);
      const values: string[] = e.values ?? [];
      if (e.operator === 'In') return has && values.includes(labels[e.key]);
      if (e.operator === 'NotIn') return !has || !values.includes(labels[e.key]);
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      return false;
    })
  );
}

/** ValidateJob (create): the causes, in the validator's order. */
export function validateJob(job: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const spec = (job.spec ?? {}) as any;
  const name = job.metadata.name;
  // validateGeneratedSelector
  if (spec.manualSelector !== true && spec.selector) {
    const expected = {
      [JOB_LABELS.controllerUid]: job.metadata.uid!,
      [JOB_LABELS.jobName]: name,
      [JOB_LABELS.legacyControllerUid]: job.metadata.uid!,
      [JOB_LABELS.legacyJobName]: name
    };
    if (!selects(spec.selector, expected)) {
      causes.push({
        field: 'spec.selector',
        message: `Invalid value: ${show(spec.selector)}: \`selector\` not auto-generated`
      });
    }
  }
  causes.push(...validateJobSpec(spec));
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const host = `${name}-${spec.completions - 1}`;
    if (host.length > 63 || !DNS_LABEL.test(host)) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": will not able to create pod with invalid DNS label: ${host}`
      });
    }
  }
  return causes;
}

/** ValidateJobSpec: validateJobSpec, then the selector's presence and its match of the template's labels. */
function validateJobSpec(spec: any): Cause[] {
  const causes: Cause[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
    'maxFailedIndexes'
  ]) {
    nonNegative(causes, spec, f);
  }
  if (spec.maxFailedIndexes != null && spec.backoffLimitPerIndex == null) {
    causes.push({
      field: 'spec.backoffLimitPerIndex',
      message: 'Required value: when maxFailedIndexes is specified',
      reason: 'FieldValueRequired'
    });
  }
  const mode = spec.completionMode;
  if (mode != null && mode !== 'NonIndexed' && mode !== 'Indexed') {
    causes.push({
      field: 'spec.completionMode',
      message: `Unsupported value: ${show(mode)}: supported values: "NonIndexed", "Indexed"`,
      reason: 'FieldValueNotSupported'
    });
  }
  if (mode === 'Indexed') {
    if (spec.completions == null) {
      causes.push({
        field: 'spec.completions',
        message: 'Required value: when completion mode is Indexed',
        reason: 'FieldValueRequired'
      });
    }
    if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_INDEXED) {
      causes.push({
        field: 'spec.parallelism',
        message: `Invalid value: ${spec.parallelism}: must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`
      });
    }
    if (spec.completions != null && spec.maxFailedIndexes != null && spec.maxFailedIndexes > spec.completions) {
      causes.push({
        field: 'spec.maxFailedIndexes',
        message: `Invalid value: ${spec.maxFailedIndexes}: must be less than or equal to completions`
      });
    }
    if (spec.maxFailedIndexes != null && spec.maxFailedIndexes > MAX_FAILED_INDEXES) {
      causes.push({
        field: 'spec.maxFailedIndexes',
        message: `Invalid value: ${spec.maxFailedIndexes}: must be less than or equal to ${MAX_FAILED_INDEXES}`
      });
    }
  }
  if (mode == null || mode === 'NonIndexed') {
    for (const f of ['backoffLimitPerIndex', 'maxFailedIndexes']) {
      if (spec[f] != null) {
        causes.push({
          field: `spec.${f}`,
          message: `Invalid value: ${show(spec[f])}: requires indexed completion mode`
        });
      }
    }
  }
  if (spec.podFailurePolicy) causes.push(...validatePodFailurePolicy(spec));
  const template = spec.template ?? {};
  if (!Array.isArray(template.spec?.containers) || template.spec.containers.length === 0) {
    causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  }
  const restart = template.spec?.restartPolicy;
  if (restart === 'Always' || restart == null || restart === '') {
    causes.push({
      field: 'spec.template.spec.restartPolicy',
      message: 'Required value: valid values: "OnFailure", "Never"',
      reason: 'FieldValueRequired'
    });
  } else if (!RESTART_POLICIES.includes(restart)) {
    causes.push({
      field: 'spec.template.spec.restartPolicy',
      message: `Unsupported value: ${show(restart)}: supported values: "OnFailure", "Never"`,
      reason: 'FieldValueNotSupported'
    });
  } else if (spec.podFailurePolicy && restart !== 'Never') {
    causes.push({
      field: 'spec.template.spec.restartPolicy',
      message: `Invalid value: ${show(restart)}: only "Never" is supported when podFailurePolicy is specified`
    });
  }
  if (!spec.selector) {
    causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  } else if (!selects(spec.selector, template.metadata?.labels ?? {})) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${show(template.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``
    });
  }
  return causes;
}

function validatePodFailurePolicy(spec: any): Cause[] {
  const causes: Cause[] = [];
  const rules: any[] = spec.podFailurePolicy.rules ?? [];
  rules.forEach((rule, i) => {
    const at = `spec.podFailurePolicy.rules[${i}]`;
    if (!POD_FAILURE_ACTIONS.includes(rule.action)) {
      causes.push({
        field: `${at}.action`,
        message: `Unsupported value: ${show(rule.action)}: supported values: ${POD_FAILURE_ACTIONS.map((a) => `"${a}"`).join(', ')}`,
        reason: 'FieldValueNotSupported'
      });
    }
    const onExit = rule.onExitCodes;
    if (onExit && onExit.operator !== 'In' && onExit.operator !== 'NotIn') {
      causes.push({
        field: `${at}.onExitCodes.operator`,
        message: `Unsupported value: ${show(onExit.operator)}: supported values: "In", "NotIn"`,
        reason: 'FieldValueNotSupported'
      });
    }
    if (onExit && rule.onPodConditions) {
      causes.push({
        field: at,
        message: 'Invalid value: specifying both OnExitCodes and OnPodConditions is not supported'
      });
    }
  });
  return causes;
}

/** ValidateJobSpecUpdate: the spec is validated again, and these fields may not change. */
export function validateJobUpdate(next: KubeObject, cur: KubeObject): Cause[] {
  const spec = (next.spec ?? {}) as any;
  const old = (cur.spec ?? {}) as any;
  const causes = validateJobSpec(spec);
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(spec.completions, old.completions)) {
    // elastic Indexed Jobs: completions may change only together with parallelism, to the same value
    const elastic = spec.completionMode === 'Indexed' && old.completionMode === 'Indexed';
    if (!elastic) {
      causes.push({
        field: 'spec.completions',
        message: `Invalid value: ${show(spec.completions)}: field is immutable`
      });
    } else if (spec.completions != null && spec.completions !== spec.parallelism) {
      causes.push({
        field: 'spec.completions',
        message: `Invalid value: ${show(spec.completions)}: can only be modified in tandem with spec.parallelism`
      });
    }
  }
  for (const f of [
    'selector',
    'template',
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy'
  ]) {
    if (!same(spec[f], old[f])) {
      causes.push({ field: `spec.${f}`, message: `Invalid value: ${show(spec[f] ?? null)}: field is immutable` });
    }
  }
  return causes;
}
