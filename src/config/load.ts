/**
 * Inputs (+ the optional model spec) → one validated, frozen Config. Runs before any network call: every error
 * names the input, shows the bad value (never a secret) and says the allowed form.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { PipelineError } from '../errors.js';
import { parseKubeconfig } from './kubeconfig.js';
import { CLUSTER_STAGES, INPUTS, inputDef, type InputDef } from './inputs.js';
import { joinLabels, shortHash, toDns1035Label, toDnsLabel } from './names.js';
import { parseModelSpec, type ModelSpec } from './spec.js';
import { STAGE_NAMES, type Config, type SmokePrompt, type SyncMode, type StageName } from './types.js';

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
  if (words.length === 0 || (words.length === 1 && words[0] === 'all')) return [...STAGE_NAMES];
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

/** A template with `{version}`/`{arch}`, or a mirror base URL in the tool's official layout. */
export function toolUrlTemplate(tool: 'kubectl' | 'arena', s: string): string {
  if (s.includes('{')) return s;
  const base = s.replace(/\/+$/, '');
  return tool === 'kubectl'
    ? `${base}/release/v{version}/bin/linux/{arch}/kubectl`
    : `${base}/arena-installer-{version}-linux-{arch}.tar.gz`;
}

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

export function loadConfig(opts: LoadOptions): Config {
  const env = opts.env ?? {};
  const problems = new Problems();
  const given = (name: string): string => (opts.getInput(name) ?? '').trim();

  const specFile = given('model-spec');
  const spec = specFile.startsWith('{')
    ? parseModelSpec(specFile, 'model-spec (inline JSON)')
    : specFile && !/[^A-Za-z0-9_./-]/.test(specFile)
      ? readSpec(specFile, opts)
      : undefined;

  // Resolve each input: a value differing from the default wins, then the spec, then the default.
  const src = new Map<string, Source>();
  for (const def of INPUTS) {
    const raw = def.name === 'kubeconfig' ? (opts.getInput(def.name) ?? '') : given(def.name);
    const fromSpec = spec?.inputs.get(def.name);
    if (raw !== '' && raw !== def.default) src.set(def.name, { value: raw });
    else if (fromSpec) src.set(def.name, { value: fromSpec.value, where: `${spec!.file} line ${fromSpec.line}` });
    else src.set(def.name, { value: raw !== '' ? raw : def.default });
  }
  const val = (name: string) => src.get(name)!.value;

  // Schema check; numbers and booleans are converted here (strictly) rather than by ajv's lenient coercion.
  const typed: Record<string, unknown> = {};
  for (const def of INPUTS) {
    const v = val(def.name);
    if (def.schema.type === 'integer') typed[def.name] = /^-?\d{1,12}$/.test(v) ? Number(v) : v;
    else if (def.schema.type === 'boolean')
      typed[def.name] = /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v;
    else typed[def.name] = v;
  }
  const bad = new Set<string>();
  for (const e of validateInputs(typed)) {
    const name = e.instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
    if (bad.has(name)) continue;
    bad.add(name);
    const def = inputDef(name);
    const v = val(name);
    const what = v === '' ? 'is empty' : e.keyword === 'maxLength' ? `is ${v.length} characters long` : 'is not valid';
    problems.add(def, src.get(name), what);
  }
  const num = (name: string) => typed[name] as number;
  const flag = (name: string) => typed[name] as boolean;
  const check = (name: string, what: string | undefined) => {
    if (what && !bad.has(name)) {
      bad.add(name);
      problems.add(inputDef(name), src.get(name), what);
    }
  };

  const stages = parseStages(val('stages'));
  if (typeof stages === 'string') check('stages', stages);
  const selected: readonly StageName[] = typeof stages === 'string' ? [] : stages;

  // A plan changes nothing, so it runs without credentials too (fork pull requests get no secrets): the stages
  // it cannot look into are planned as "would run".
  const planOnly = typed.plan === true;
  for (const def of INPUTS) {
    if (def.secret && planOnly) continue;
    if (def.requiredBy && val(def.name) === '') {
      const needing = selected.filter((s) => def.requiredBy!.includes(s));
      if (needing.length > 0)
        check(def.name, `is required by the ${needing.join(', ')} stage${needing.length > 1 ? 's' : ''}`);
    }
  }

  for (const name of ['revision', 'oss-prefix', 'model']) {
    if (
      val(name)
        .split('/')
        .some((seg) => seg === '..' || seg === '.')
    )
      check(name, 'has a "." or ".." segment');
  }
  if (val('model').includes('--') || val('model').includes('..')) check('model', 'contains "--" or ".."');
  if (/\.lock$|\/$|\/\/|\.\./.test(val('revision'))) check('revision', 'is not a valid git ref');
  for (const name of ['hf-endpoint', 'hf-cluster-endpoint', 'oss-endpoint', 'kubectl-url', 'arena-url']) {
    if (val(name) !== '' && !bad.has(name)) check(name, checkUrl(val(name)));
  }
  for (const name of ['hf-include', 'hf-exclude']) check(name, checkGlobs(splitList(val(name))));
  for (const name of ['convert-timeout', 'serve-timeout', 'smoke-timeout']) {
    const s = parseDuration(val(name));
    if (!bad.has(name) && !(s >= 60 && s <= 48 * 3600)) check(name, 'is out of range');
  }
  const expect = val('smoke-expect');
  try {
    if (expect) new RegExp(expect);
  } catch {
    check('smoke-expect', 'is not a valid regular expression');
  }
  const promptLines = val('smoke-prompts')
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  if (promptLines.length === 0 && !spec?.prompts) check('smoke-prompts', 'has no prompt');
  if (promptLines.length > 16 || promptLines.some((p) => p.length > 2000 || CONTROL.test(p))) {
    check('smoke-prompts', 'has too many, too long or control characters in prompts');
  }
  if (spec?.prompts) {
    for (const p of spec.prompts.prompts) {
      let err: string | undefined;
      if (p.text.trim() === '' || p.text.length > 2000) err = 'a prompt is empty or longer than 2000 characters';
      try {
        if (p.expect) new RegExp(p.expect);
      } catch {
        err = `expect "${p.expect!.slice(0, 40)}" is not a valid regular expression`;
      }
      if (err) {
        problems.list.push(`Input "model-spec": ${spec.file} line ${spec.prompts.line}: smoke.prompts: ${err}.`);
      }
    }
  }

  // Cluster credentials: an input, or an exported KUBECONFIG.
  const kubeconfigInput = val('kubeconfig');
  const needsCluster = selected.some((s) => CLUSTER_STAGES.includes(s));
  if (kubeconfigInput.trim() === '' && needsCluster && !env.KUBECONFIG && !planOnly) {
    check('kubeconfig', 'is empty and no KUBECONFIG is exported, but the cluster stages need one');
  }
  problems.throwIfAny();

  // Everything below derives from valid values.
  let kubeconfig: string | undefined;
  const context = val('kube-context') || undefined;
  if (kubeconfigInput.trim() !== '') kubeconfig = parseKubeconfig(kubeconfigInput, context).yaml;

  const tp = num('tensor-parallel');
  const pp = num('pipeline-parallel');
  const serveGpus = val('serve-gpus') === '' ? tp * pp : Number(val('serve-gpus'));
  if (serveGpus !== tp * pp) {
    check('serve-gpus', `must equal tensor-parallel × pipeline-parallel (${tp} × ${pp} = ${tp * pp})`);
  }

  const region = val('oss-region').startsWith('oss-') ? val('oss-region') : `oss-${val('oss-region')}`;
  const prefix = val('oss-prefix').replace(/^\/+|\/+$/g, '');
  const pvPath = val('pv-path') || `/${prefix}`;
  const pvRel = pvPath.replace(/^\/+|\/+$/g, '');
  if (pvRel !== '' && prefix !== pvRel && !prefix.startsWith(pvRel + '/')) {
    check('pv-path', `must contain oss-prefix "${prefix}" (the pods see only what the PV mounts)`);
  }
  problems.throwIfAny();

  const repo = val('model');
  const repoName = repo.split('/')[1] ?? '';
  const modelName = repo ? toDns1035Label(repoName, 30) : '';
  const revision = val('revision');
  const version =
    val('version') ||
    (repo
      ? toDnsLabel(
          `${toDnsLabel(/^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision, 12, 'r')}-${shortHash(
            JSON.stringify([
              repo,
              revision,
              tp,
              pp,
              val('data-type'),
              val('convert-image'),
              val('triton-model-name'),
              num('max-batch-size')
            ])
          )}`,
          20
        )
      : '');
  const servingName = val('serving-name') || (modelName ? toDns1035Label(modelName, 20) : '');
  const namespace = val('namespace');
  const pvcName = val('pvc-name');

  const prompts: SmokePrompt[] = spec?.prompts
    ? spec.prompts.prompts.map((p) => ({ text: p.text, ...(p.expect ? { expect: p.expect } : {}) }))
    : promptLines.map((text) => ({ text, ...(expect ? { expect } : {}) }));

  const config: Config = {
    stages: selected,
    plan: flag('plan'),
    model: { repo, revision, name: modelName, version },
    hf: {
      endpoint: val('hf-endpoint').replace(/\/+$/, ''),
      ...(val('hf-token') ? { token: val('hf-token') } : {}),
      include: splitList(val('hf-include')),
      exclude: splitList(val('hf-exclude'))
    },
    oss: {
      endpoint: (val('oss-endpoint') || `https://${region}.aliyuncs.com`).replace(/\/+$/, ''),
      region,
      bucket: val('oss-bucket'),
      prefix,
      accessKeyId: val('oss-access-key-id'),
      accessKeySecret: val('oss-access-key-secret'),
      ...(val('oss-security-token') ? { securityToken: val('oss-security-token') } : {}),
      signatureV4: flag('oss-signature-v4'),
      clusterEndpoint: val('oss-cluster-endpoint') || `${region}-internal.aliyuncs.com`
    },
    sync: {
      partSizeBytes: num('sync-part-size') * 1024 * 1024,
      partsInFlight: num('sync-parts-in-flight'),
      filesInParallel: num('sync-files-in-parallel'),
      retries: num('sync-retries'),
      mode: val('sync-mode') as SyncMode,
      shards: num('sync-shards'),
      parallelism: num('sync-parallelism') || num('sync-shards'),
      shardRetries: num('sync-shard-retries'),
      image: val('sync-image'),
      hubClusterEndpoint: (val('hf-cluster-endpoint') || val('hf-endpoint')).replace(/\/+$/, '')
    },
    cluster: {
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(context ? { context } : {}),
      namespace,
      secretName: joinLabels([pvcName, 'oss'], 63),
      pvName: joinLabels([namespace, pvcName], 63),
      pvcName,
      mountPath: val('mount-path').replace(/\/+$/, ''),
      pvPath: pvRel === '' ? '/' : `/${pvRel}`
    },
    tools: {
      kubectl: {
        version: val('kubectl-version').replace(/^v/, ''),
        urlTemplate: toolUrlTemplate('kubectl', val('kubectl-url')),
        ...(val('kubectl-sha256') ? { sha256: val('kubectl-sha256').toLowerCase() } : {})
      },
      arena: {
        version: val('arena-version').replace(/^v/, ''),
        urlTemplate: toolUrlTemplate('arena', val('arena-url')),
        ...(val('arena-sha256') ? { sha256: val('arena-sha256').toLowerCase() } : {})
      }
    },
    convert: {
      image: val('convert-image'),
      gpus: num('convert-gpus'),
      workers: num('convert-workers'),
      tensorParallel: tp,
      dataType: val('data-type') as 'fp16' | 'fp32',
      processes: num('convert-processes'),
      timeoutSeconds: parseDuration(val('convert-timeout')),
      resubmitFailed: flag('resubmit-failed'),
      retries: num('convert-retries'),
      jobName: modelName ? joinLabels(['ft', modelName, version], 48) : ''
    },
    serve: {
      image: val('serve-image'),
      gpus: serveGpus,
      replicas: num('serve-replicas'),
      pipelineParallel: pp,
      name: servingName,
      version,
      modelName: val('triton-model-name'),
      maxBatchSize: num('max-batch-size'),
      timeoutSeconds: parseDuration(val('serve-timeout'))
    },
    smoke: {
      prompts,
      outputLength: num('smoke-output-length'),
      requests: num('smoke-requests'),
      latencyBudgetMs: num('smoke-latency-budget'),
      timeoutSeconds: parseDuration(val('smoke-timeout'))
    },
    keepVersions: num('keep-versions'),
    lineage: val('lineage'),
    releaseTag: val('release-tag')
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
