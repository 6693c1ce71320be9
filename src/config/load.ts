/**
 * Inputs (+ the optional model spec) → one validated, frozen Config. Runs before any network call: every error
 * names the input, shows the bad value (never a secret) and says the allowed form.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { PipelineError } from '../errors.js';
import { parseKubeconfig } from './kubeconfig.js';
import { gpuAndGcProblems, parseRetention } from './gpu-gc.js';
import { parseCanarySteps } from './canary.js';
import { INPUTS, inputDef, type InputDef } from './inputs.js';
import { joinLabels, shortHash, toDns1035Label, toDnsLabel } from './names.js';
import { parseModelSpec, type ModelSpec } from './spec.js';
import {
  CLUSTER_STAGES,
  DEFAULT_STAGES,
  STAGE_NAMES,
  type Config,
  type SmokePrompt,
  type StageName,
  type SyncMode,
  type RunnerLocation
} from './types.js';
import { toolUrlTemplate } from '../util/tool-urls.js';

export interface LoadOptions {
  /** An input's value as given ('' or undefined: not given, the default applies). */
  readonly getInput: (name: string) => string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Reads the model spec (defaults to the file system, relative to `workspace`). */
  readonly readFile?: (file: string) => string;
  readonly workspace?: string;
}

export const DEFAULT_KUBECTL_URL = inputDef('kubectl-url').default;
export const DEFAULT_ARENA_URL = inputDef('arena-url').default;

/** A value as errors show it: quoted, escaped, cut at 60 characters; secrets hidden. */
export function showValue(def: InputDef, value: unknown): string {
  if (def.secret) return '(value hidden)';
  const s = String(value);
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
}

interface Source {
  readonly value: string;
  /** Where a spec value came from, for messages. */
  readonly where?: string;
}

class Problems {
  readonly list: string[] = [];
  add(def: InputDef, src: Source | undefined, what: string): void {
    const at = src?.where ? `, from ${src.where}` : '';
    const shown = src === undefined || src.value === '' ? '' : def.secret ? 'value hidden' : showValue(def, src.value);
    const value = shown || at ? ` (${shown || 'empty'}${at})` : '';
    this.list.push(`Input "${def.name}"${value} ${what}; expected ${def.form}.`);
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    throw new PipelineError(
      'CONFIG_INVALID',
      this.list.length === 1 ? this.list[0] : `${this.list.length} inputs are not valid: ${this.list[0]} …`,
      'Fix the inputs named here (see the README’s input table for each allowed form).',
      { details: this.list }
    );
  }
}

let inputValidator: ReturnType<Ajv['compile']> | undefined;
function validateInputs(values: Record<string, unknown>): ErrorObject[] {
  inputValidator ??= new Ajv({ allErrors: true, strict: false }).compile({
    type: 'object',
    properties: Object.fromEntries(INPUTS.map((d) => [d.name, d.schema]))
  });
  return inputValidator(values) ? [] : (inputValidator.errors ?? []);
}

/** "90", "90s", "45m", "2h", "1h30m" → seconds. */
export function parseDuration(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(s);
  if (!m || s === '') return NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export function parseStages(s: string): StageName[] | string {
  const words = s
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
  if (words.length === 0 || (words.length === 1 && words[0] === 'all')) return [...DEFAULT_STAGES];
  if (words.length === 1 && words[0] === 'none') return [];
  for (const w of words) {
    if (!(STAGE_NAMES as readonly string[]).includes(w)) return `names "${w}", which is not a stage`;
  }
  if (new Set(words).size !== words.length) return 'names a stage twice';
  return STAGE_NAMES.filter((n) => words.includes(n));
}

function splitList(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/; // eslint-disable-line no-control-regex

function checkGlobs(list: string[]): string | undefined {
  for (const g of list) {
    if (g.startsWith('-') || g.startsWith('/')) return `has "${g.slice(0, 40)}", which starts with "${g[0]}"`;
    if (g.split('/').includes('..')) return `has "${g.slice(0, 40)}", which has a ".." segment`;
    if (CONTROL.test(g)) return 'has a control character';
  }
  return undefined;
}

function checkUrl(s: string): string | undefined {
  try {
    const u = new URL(s.replace(/\{version\}|\{arch\}/g, 'x'));
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'is not http(s)';
    if (u.username || u.password) return 'carries credentials (pass them as secrets instead)';
  } catch {
    return 'is not a URL';
  }
  if (/\{(?!version\}|arch\})[^}]*\}/.test(s)) return 'has a placeholder other than {version} and {arch}';
  return undefined;
}

export { toolUrlTemplate };

function readSpec(file: string, opts: LoadOptions): ModelSpec {
  const def = inputDef('model-spec');
  if (file.split('/').includes('..') || path.isAbsolute(file)) {
    throw new PipelineError(
      'CONFIG_INVALID',
      `Input "model-spec" is ${showValue(def, file)}: leaves the workspace; expected ${def.form}.`,
      'Put the spec file in the repository and pass its relative path.'
    );
  }
  const workspace = opts.workspace ?? opts.env?.GITHUB_WORKSPACE ?? process.cwd();
  const read = opts.readFile ?? ((f: string) => readFileSync(path.join(workspace, f), 'utf8'));
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    throw new PipelineError(
      'CONFIG_SPEC_NOT_FOUND',
      `Input "model-spec": cannot read ${JSON.stringify(file)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      'Check out the repository before this step (actions/checkout) and pass the path relative to the workspace.'
    );
  }
  return parseModelSpec(text, file);
}

/**
 * The inputs as resolved for one load: each value (given, from the spec, or the default), its typed form, and
 * the problems found so far (one per input: the first problem of an input is the one reported).
 */
class ResolvedInputs {
  readonly typed: Record<string, unknown> = {};
  readonly bad = new Set<string>();
  readonly problems = new Problems();

  constructor(private readonly src: ReadonlyMap<string, Source>) {
    // Numbers and booleans are converted here (strictly) rather than by ajv's lenient coercion.
    for (const def of INPUTS) {
      const v = this.val(def.name);
      if (def.schema.type === 'integer') this.typed[def.name] = /^-?\d{1,12}$/.test(v) ? Number(v) : v;
      else if (def.schema.type === 'boolean')
        this.typed[def.name] = /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v;
      else this.typed[def.name] = v;
    }
  }
  val(name: string): string {
    return this.src.get(name)!.value;
  }
  num(name: string): number {
    return this.typed[name] as number;
  }
  flag(name: string): boolean {
    return this.typed[name] as boolean;
  }
  /** Records `what` is wrong with the input, unless a problem of it is already recorded. */
  check(name: string, what: string | undefined): void {
    if (what && !this.bad.has(name)) {
      this.bad.add(name);
      this.problems.add(inputDef(name), this.src.get(name), what);
    }
  }
  /** The JSON schema of every input (src/config/inputs.ts). */
  checkSchema(): void {
    for (const e of validateInputs(this.typed)) {
      const name = e.instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
      const v = this.val(name);
      this.check(
        name,
        v === '' ? 'is empty' : e.keyword === 'maxLength' ? `is ${v.length} characters long` : 'is not valid'
      );
    }
  }
}

/** The `model-spec` input: inline JSON, a file in the workspace, or none. */
function modelSpecInput(opts: LoadOptions): ModelSpec | undefined {
  const specFile = (opts.getInput('model-spec') ?? '').trim();
  if (specFile.startsWith('{')) return parseModelSpec(specFile, 'model-spec (inline JSON)');
  return specFile && !/[^A-Za-z0-9_./-]/.test(specFile) ? readSpec(specFile, opts) : undefined;
}

/** Each input's value: one differing from the default wins, then the spec's, then the default. */
function resolveSources(opts: LoadOptions, spec: ModelSpec | undefined): Map<string, Source> {
  const src = new Map<string, Source>();
  for (const def of INPUTS) {
    // the kubeconfig is taken as given (YAML: leading spaces matter)
    const raw = def.name === 'kubeconfig' ? (opts.getInput(def.name) ?? '') : (opts.getInput(def.name) ?? '').trim();
    const fromSpec = spec?.inputs.get(def.name);
    if (raw !== '' && raw !== def.default) src.set(def.name, { value: raw });
    else if (fromSpec) src.set(def.name, { value: fromSpec.value, where: `${spec!.file} line ${fromSpec.line}` });
    else src.set(def.name, { value: raw !== '' ? raw : def.default });
  }
  return src;
}

/** The stages to run; `canary: true` adds the opt-in canary stage to them (in pipeline order). */
function selectedStages(inputs: ResolvedInputs): readonly StageName[] {
  const stages = parseStages(inputs.val('stages'));
  if (typeof stages === 'string') {
    inputs.check('stages', stages);
    return [];
  }
  if (inputs.typed.canary !== true || stages.includes('canary')) return stages;
  return STAGE_NAMES.filter((n) => n === 'canary' || stages.includes(n));
}

/**
 * Inputs a selected stage needs. A plan changes nothing, so it runs without credentials too (fork pull requests
 * get no secrets): the stages it cannot look into are planned as "would run".
 */
function checkRequired(inputs: ResolvedInputs, selected: readonly StageName[]): void {
  const planOnly = inputs.typed.plan === true;
  for (const def of INPUTS) {
    if ((def.secret && planOnly) || !def.requiredBy || inputs.val(def.name) !== '') continue;
    const needing = selected.filter((s) => def.requiredBy!.includes(s));
    if (needing.length > 0)
      inputs.check(def.name, `is required by the ${needing.join(', ')} stage${needing.length > 1 ? 's' : ''}`);
  }
}

/** Names that become paths, URLs, globs and durations: what the schema cannot say. */
function checkForms(inputs: ResolvedInputs): void {
  const val = (name: string) => inputs.val(name);
  for (const name of ['revision', 'oss-prefix', 'model']) {
    if (
      val(name)
        .split('/')
        .some((seg) => seg === '..' || seg === '.')
    )
      inputs.check(name, 'has a "." or ".." segment');
  }
  if (val('model').includes('--') || val('model').includes('..')) inputs.check('model', 'contains "--" or ".."');
  if (/\.lock$|\/$|\/\/|\.\./.test(val('revision'))) inputs.check('revision', 'is not a valid git ref');
  for (const name of ['hf-endpoint', 'hf-cluster-endpoint', 'oss-endpoint', 'kubectl-url', 'arena-url']) {
    if (val(name) !== '' && !inputs.bad.has(name)) inputs.check(name, checkUrl(val(name)));
  }
  for (const name of ['hf-include', 'hf-exclude']) inputs.check(name, checkGlobs(splitList(val(name))));
  for (const name of ['convert-timeout', 'serve-timeout', 'smoke-timeout']) {
    const s = parseDuration(val(name));
    if (!inputs.bad.has(name) && !(s >= 60 && s <= 48 * 3600)) inputs.check(name, 'is out of range');
  }
  const soak = parseDuration(val('canary-soak'));
  if (!inputs.bad.has('canary-soak') && !(soak >= 1 && soak <= 24 * 3600))
    inputs.check('canary-soak', 'is out of range');
  const steps = parseCanarySteps(val('canary-steps'));
  if (typeof steps === 'string') inputs.check('canary-steps', steps);
  for (const [name, why] of gpuAndGcProblems(val)) if (!inputs.bad.has(name)) inputs.check(name, why);
}

/** The smoke prompts (input lines, or the spec's list) and expectation; returns the input's prompt lines. */
function checkPrompts(inputs: ResolvedInputs, spec: ModelSpec | undefined): string[] {
  const expect = inputs.val('smoke-expect');
  try {
    if (expect) new RegExp(expect);
  } catch {
    inputs.check('smoke-expect', 'is not a valid regular expression');
  }
  const promptLines = inputs
    .val('smoke-prompts')
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  if (promptLines.length === 0 && !spec?.prompts) inputs.check('smoke-prompts', 'has no prompt');
  if (promptLines.length > 16 || promptLines.some((p) => p.length > 2000 || CONTROL.test(p))) {
    inputs.check('smoke-prompts', 'has too many, too long or control characters in prompts');
  }
  for (const p of spec?.prompts?.prompts ?? []) {
    let err: string | undefined;
    if (p.text.trim() === '' || p.text.length > 2000) err = 'a prompt is empty or longer than 2000 characters';
    try {
      if (p.expect) new RegExp(p.expect);
    } catch {
      err = `expect "${p.expect!.slice(0, 40)}" is not a valid regular expression`;
    }
    if (err)
      inputs.problems.list.push(
        `Input "model-spec": ${spec!.file} line ${spec!.prompts!.line}: smoke.prompts: ${err}.`
      );
  }
  return promptLines;
}

/** Cluster credentials: an input, or an exported KUBECONFIG, when a cluster stage runs (not in a plan). */
function checkClusterAccess(inputs: ResolvedInputs, selected: readonly StageName[], env: NodeJS.ProcessEnv): void {
  const needsCluster = selected.some((s) => CLUSTER_STAGES.includes(s));
  if (inputs.val('kubeconfig').trim() === '' && needsCluster && !env.KUBECONFIG && inputs.typed.plan !== true) {
    inputs.check('kubeconfig', 'is empty and no KUBECONFIG is exported, but the cluster stages need one');
  }
}

/** Values derived from several inputs, checked together (only once each input is valid on its own). */
interface Derived {
  readonly tp: number;
  readonly pp: number;
  readonly serveGpus: number;
  readonly region: string;
  readonly prefix: string;
  readonly pvRel: string;
  /** The kubeconfig input as parsed (its checks throw their own error), when one is given. */
  readonly kubeconfig?: string;
}

function deriveTogether(inputs: ResolvedInputs): Derived {
  const kubeconfigInput = inputs.val('kubeconfig');
  const context = inputs.val('kube-context') || undefined;
  const kubeconfig = kubeconfigInput.trim() !== '' ? parseKubeconfig(kubeconfigInput, context).yaml : undefined;
  const tp = inputs.num('tensor-parallel');
  const pp = inputs.num('pipeline-parallel');
  const serveGpus = inputs.val('serve-gpus') === '' ? tp * pp : Number(inputs.val('serve-gpus'));
  if (serveGpus !== tp * pp) {
    inputs.check('serve-gpus', `must equal tensor-parallel × pipeline-parallel (${tp} × ${pp} = ${tp * pp})`);
  }
  const region = inputs.val('oss-region').startsWith('oss-')
    ? inputs.val('oss-region')
    : `oss-${inputs.val('oss-region')}`;
  const prefix = inputs.val('oss-prefix').replace(/^\/+|\/+$/g, '');
  const pvRel = (inputs.val('pv-path') || `/${prefix}`).replace(/^\/+|\/+$/g, '');
  if (pvRel !== '' && prefix !== pvRel && !prefix.startsWith(pvRel + '/')) {
    inputs.check('pv-path', `must contain oss-prefix "${prefix}" (the pods see only what the PV mounts)`);
  }
  return { tp, pp, serveGpus, region, prefix, pvRel, ...(kubeconfig ? { kubeconfig } : {}) };
}

/** The model's names: a DNS-1035 name from the repo, and a version keyed by everything that changes the output. */
function modelNames(inputs: ResolvedInputs, d: Derived): Config['model'] & { servingName: string } {
  const val = (name: string) => inputs.val(name);
  const repo = val('model');
  const name = repo ? toDns1035Label(repo.split('/')[1] ?? '', 30) : '';
  const revision = val('revision');
  const shortRevision = toDnsLabel(/^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision, 12, 'r');
  const outputKey = [repo, revision, d.tp, d.pp, val('data-type'), val('convert-image'), val('triton-model-name')];
  const derivedVersion = `${shortRevision}-${shortHash(JSON.stringify([...outputKey, inputs.num('max-batch-size')]))}`;
  const version = val('version') || (repo ? toDnsLabel(derivedVersion, 20) : '');
  const servingName = val('serving-name') || (name ? toDns1035Label(name, 20) : '');
  return { repo, revision, name, version, servingName };
}

function ossSection(inputs: ResolvedInputs, d: Derived): Config['oss'] {
  const val = (name: string) => inputs.val(name);
  return {
    endpoint: (val('oss-endpoint') || `https://${d.region}.aliyuncs.com`).replace(/\/+$/, ''),
    region: d.region,
    bucket: val('oss-bucket'),
    prefix: d.prefix,
    accessKeyId: val('oss-access-key-id'),
    accessKeySecret: val('oss-access-key-secret'),
    ...(val('oss-security-token') ? { securityToken: val('oss-security-token') } : {}),
    signatureV4: inputs.flag('oss-signature-v4'),
    clusterEndpoint: val('oss-cluster-endpoint') || `${d.region}-internal.aliyuncs.com`
  };
}

function clusterSection(inputs: ResolvedInputs, d: Derived): Config['cluster'] {
  const context = inputs.val('kube-context') || undefined;
  const namespace = inputs.val('namespace');
  const pvcName = inputs.val('pvc-name');
  return {
    ...(d.kubeconfig ? { kubeconfig: d.kubeconfig } : {}),
    ...(context ? { context } : {}),
    namespace,
    secretName: joinLabels([pvcName, 'oss'], 63),
    pvName: joinLabels([namespace, pvcName], 63),
    pvcName,
    mountPath: inputs.val('mount-path').replace(/\/+$/, ''),
    pvPath: d.pvRel === '' ? '/' : `/${d.pvRel}`
  };
}

/** Each tool's inputs, spelled out (a reader searching for an input's name finds where it is read). */
const TOOL_INPUTS = {
  kubectl: { version: 'kubectl-version', url: 'kubectl-url', sha256: 'kubectl-sha256' },
  arena: { version: 'arena-version', url: 'arena-url', sha256: 'arena-sha256' }
} as const;

function toolSpec(inputs: ResolvedInputs, tool: 'kubectl' | 'arena'): Config['tools']['kubectl'] {
  const names = TOOL_INPUTS[tool];
  const sha256 = inputs.val(names.sha256);
  return {
    version: inputs.val(names.version).replace(/^v/, ''),
    urlTemplate: toolUrlTemplate(tool, inputs.val(names.url)),
    ...(sha256 ? { sha256: sha256.toLowerCase() } : {})
  };
}

function smokeSection(inputs: ResolvedInputs, spec: ModelSpec | undefined, promptLines: string[]): Config['smoke'] {
  const expect = inputs.val('smoke-expect');
  const prompts: SmokePrompt[] = spec?.prompts
    ? spec.prompts.prompts.map((p) => ({ text: p.text, ...(p.expect ? { expect: p.expect } : {}) }))
    : promptLines.map((text) => ({ text, ...(expect ? { expect } : {}) }));
  return {
    prompts,
    outputLength: inputs.num('smoke-output-length'),
    requests: inputs.num('smoke-requests'),
    latencyBudgetMs: inputs.num('smoke-latency-budget'),
    timeoutSeconds: parseDuration(inputs.val('smoke-timeout'))
  };
}

/** The Config from inputs that passed every check. */
function buildConfig(inputs: ResolvedInputs, stages: readonly StageName[], d: Derived, smoke: Config['smoke']): Config {
  const { val, num, flag } = {
    val: (n: string) => inputs.val(n),
    num: (n: string) => inputs.num(n),
    flag: (n: string) => inputs.flag(n)
  };
  const { servingName, ...model } = modelNames(inputs, d);
  return {
    stages,
    plan: flag('plan'),
    model,
    hf: {
      endpoint: val('hf-endpoint').replace(/\/+$/, ''),
      ...(val('hf-token') ? { token: val('hf-token') } : {}),
      include: splitList(val('hf-include')),
      exclude: splitList(val('hf-exclude'))
    },
    oss: ossSection(inputs, d),
    sync: syncSection(inputs),
    cluster: clusterSection(inputs, d),
    tools: { kubectl: toolSpec(inputs, 'kubectl'), arena: toolSpec(inputs, 'arena') },
    convert: {
      image: val('convert-image'),
      gpus: num('convert-gpus'),
      workers: num('convert-workers'),
      tensorParallel: d.tp,
      dataType: val('data-type') as 'fp16' | 'fp32',
      processes: num('convert-processes'),
      timeoutSeconds: parseDuration(val('convert-timeout')),
      resubmitFailed: flag('resubmit-failed'),
      retries: num('convert-retries'),
      jobName: model.name ? joinLabels(['ft', model.name, model.version], 48) : '',
      ttlSeconds: parseRetention(val('convert-ttl'))
    },
    serve: {
      image: val('serve-image'),
      gpus: d.serveGpus,
      replicas: num('serve-replicas'),
      pipelineParallel: d.pp,
      name: servingName,
      version: model.version,
      modelName: val('triton-model-name'),
      maxBatchSize: num('max-batch-size'),
      timeoutSeconds: parseDuration(val('serve-timeout'))
    },
    smoke,
    canary: canarySection(inputs),
    keepVersions: num('keep-versions'),
    lineage: val('lineage'),
    releaseTag: val('release-tag'),
    ...gpuAndGc((n) => inputs.val(n))
  };
}

function syncSection(inputs: ResolvedInputs): Config['sync'] {
  const val = (n: string) => inputs.val(n);
  const num = (n: string) => inputs.num(n);
  return {
    partSizeBytes: num('sync-part-size') * 1024 * 1024,
    partsInFlight: num('sync-parts-in-flight'),
    filesInParallel: num('sync-files-in-parallel'),
    retries: num('sync-retries'),
    mode: val('sync-mode') as SyncMode,
    runnerLocation: val('sync-runner-location') as RunnerLocation,
    shards: num('sync-shards'),
    parallelism: num('sync-parallelism') || num('sync-shards'),
    shardRetries: num('sync-shard-retries'),
    image: val('sync-image'),
    hubClusterEndpoint: (val('hf-cluster-endpoint') || val('hf-endpoint')).replace(/\/+$/, '')
  };
}

function canarySection(inputs: ResolvedInputs): Config['canary'] {
  const steps = parseCanarySteps(inputs.val('canary-steps'));
  return {
    steps: typeof steps === 'string' ? [] : steps,
    soakSeconds: parseDuration(inputs.val('canary-soak')),
    mode: inputs.val('canary-mode') as Config['canary']['mode'],
    minSuccessRate: Number(inputs.val('canary-success-rate')),
    latencyBudgetMs: Number(inputs.val('canary-latency-budget') || inputs.num('smoke-latency-budget')),
    minRequests: inputs.num('canary-min-requests')
  };
}

/** The GPU price and gc inputs as config (src/config/gpu-gc.ts checks their ranges). */
function gpuAndGc(val: (name: string) => string): Pick<Config, 'gpuPrice' | 'gc'> {
  const price = val('gpu-price-per-hour');
  return {
    ...(price !== '' ? { gpuPrice: { perHour: Number(price), currency: val('gpu-currency') } } : {}),
    gc: {
      retentionSeconds: parseRetention(val('gc-retention')),
      idleWindowSeconds: parseRetention(val('gc-idle-window'))
    }
  };
}

/**
 * Inputs and the model spec → the frozen Config, in steps: resolve each value, check each input (all problems
 * at once), check what depends on several, then derive the names and build the object.
 */
export function loadConfig(opts: LoadOptions): Config {
  const spec = modelSpecInput(opts);
  const inputs = new ResolvedInputs(resolveSources(opts, spec));
  inputs.checkSchema();
  const stages = selectedStages(inputs);
  checkRequired(inputs, stages);
  checkForms(inputs);
  const promptLines = checkPrompts(inputs, spec);
  checkClusterAccess(inputs, stages, opts.env ?? {});
  inputs.problems.throwIfAny();
  const derived = deriveTogether(inputs);
  inputs.problems.throwIfAny();
  return deepFreeze(buildConfig(inputs, stages, derived, smokeSection(inputs, spec, promptLines)));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
