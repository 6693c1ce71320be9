import { loadConfig, parseDuration, parseStages } from '../../src/config/load.js';
import { INPUTS, MAX_TIMEOUT_SECONDS } from '../../src/config/inputs.js';
import { isDnsLabel, toDnsLabel, toDns1035Label, joinLabels } from '../../src/config/names.js';
import { PipelineError } from '../../src/errors.js';

const BASE: Record<string, string> = {
  model: 'bigscience/bloom-560m',
  'oss-bucket': 'my-models',
  'oss-access-key-id': 'LTAIexampleid',
  'oss-access-key-secret': 'S3cr3t-value-xyz',
  stages: 'setup,sync'
};

function load(inputs: Record<string, string>, files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const all = { ...BASE, ...inputs };
  return loadConfig({
    getInput: (n) => all[n],
    env,
    readFile: (f) => {
      if (!(f in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[f];
    }
  });
}

function err(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PipelineError) return e;
    throw e;
  }
  throw new Error('expected a PipelineError');
}

const HOSTILE: [string, string][] = [
  ['shell metacharacters', 'a; rm -rf / #'],
  ['command substitution', '$(curl evil)'],
  ['backticks', '`id`'],
  ['a newline', 'good\nbad'],
  ['path traversal', '../etc'],
  ['a leading dash', '-rf'],
  ['unicode', 'mödel'],
  ['300 characters', 'a'.repeat(300)],
  ['empty', '']
];

// Inputs whose value ends up in a Kubernetes name, an OSS key, a URL or an argument.
const NAMED_INPUTS = [
  'namespace',
  'pvc-name',
  'version',
  'serving-name',
  'oss-bucket',
  'model',
  'convert-image',
  'serve-image',
  'mount-path',
  'kube-context'
];
// Empty means "not given" (the default applies) except for inputs without a default that a stage needs.
const REQUIRED_OR_NONEMPTY = new Set(['oss-bucket', 'model']);

describe('config: hostile values', () => {
  for (const input of NAMED_INPUTS) {
    for (const [what, value] of HOSTILE) {
      if (value === '' && !REQUIRED_OR_NONEMPTY.has(input)) continue; // empty means "default" there
      if (input === 'kube-context' && what === 'unicode') continue; // checked against the kubeconfig instead
      it(`rejects ${input} with ${what}`, () => {
        const e = err(() => load({ [input]: value }));
        expect(e.code).toBe('CONFIG_INVALID');
        const line = e.details.find((d) => d.includes(`Input "${input}"`));
        expect(line).toBeDefined();
        expect(line).toMatch(/expected /);
        if (value !== '')
          expect(line).toContain(JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value).slice(0, 20));
      });
    }
  }

  it('never echoes a secret value', () => {
    const e = err(() => load({ 'hf-token': 'hf_abc def', 'oss-access-key-secret': 'x y' }));
    expect(e.details.join('\n')).not.toContain('hf_abc');
    expect(e.details.join('\n')).toContain('Input "hf-token" (value hidden)');
  });

  it.each([
    ['stages', 'setup;sync', /not valid/],
    ['stages', 'setup,deploy,setup', /twice/],
    ['stages', 'build', /names "build", which is not a stage/],
    ['sync-part-size', '0x10', /not valid/],
    ['sync-part-size', '1e3', /not valid/],
    ['sync-part-size', '99999', /not valid/],
    ['tensor-parallel', '3', /one of 1, 2, 4, 8/],
    ['plan', 'yes', /true or false/],
    ['convert-timeout', '10s', /out of range/],
    ['convert-timeout', '3d', /not valid/],
    ['hf-endpoint', 'ftp://x', /not valid/],
    ['hf-endpoint', 'https://user:pw@host', /credentials/],
    ['kubectl-url', 'https://x/{os}/kubectl', /placeholder/],
    ['hf-include', '-rf', /starts with "-"/],
    ['hf-include', 'a/../../b', /".."/],
    ['smoke-expect', '(', /regular expression/],
    ['serve-gpus', '3', /tensor-parallel × pipeline-parallel/],
    ['revision', 'main..x', /not valid|\.\./],
    ['revision', 'feature/', /git ref/],
    ['oss-prefix', 'a/../b', /not valid|\.\./],
    ['pv-path', '/other', /must contain oss-prefix/],
    ['lineage', 'PR 42', /not valid|DNS-1123/],
    ['lineage', 'x'.repeat(41), /not valid|at most 40/],
    ['release-tag', 'v1;rm', /not valid|letters/],
    ['convert-timeout', `${MAX_TIMEOUT_SECONDS + 1}`, /out of range/]
  ])('rejects %s = %j', (input, value, re) => {
    const e = err(() => load({ [input]: value }));
    expect(e.details.find((d) => d.includes(`Input "${input}"`))).toMatch(re);
  });

  it('accepts the longest timeout the workflows are sized for, and reads lineage and release-tag', () => {
    const c = load({ 'convert-timeout': String(MAX_TIMEOUT_SECONDS), lineage: 'pr-42', 'release-tag': 'v1.4.0' });
    expect(c.convert.timeoutSeconds).toBe(MAX_TIMEOUT_SECONDS);
    expect([c.lineage, c.releaseTag]).toEqual(['pr-42', 'v1.4.0']);
    expect(load({}).lineage).toBe('release');
  });

  it('requires the inputs the selected stages need, and only those', () => {
    expect(() => load({ model: '', 'oss-bucket': '', stages: 'setup' })).not.toThrow();
    const e = err(() => load({ model: '', stages: 'sync' }));
    expect(e.details[0]).toMatch(/Input "model".*required by the sync stage/);
    const k = err(() => load({ stages: 'deploy' }));
    expect(k.details.join('\n')).toMatch(/Input "kubeconfig".*no KUBECONFIG is exported/);
    expect(() => load({ stages: 'deploy' }, {}, { KUBECONFIG: '/x' })).not.toThrow();
  });

  it('sync-mode defaults to auto and sync-runner-location to auto; other values are refused naming what is allowed', () => {
    expect(load({}).sync).toMatchObject({ mode: 'auto', runnerLocation: 'auto' });
    expect(load({ 'sync-mode': 'runner', 'sync-runner-location': 'overseas' }).sync).toMatchObject({
      mode: 'runner',
      runnerLocation: 'overseas'
    });
    const mode = err(() => load({ 'sync-mode': 'fastest' }));
    expect(mode.details.find((d) => d.includes('Input "sync-mode"'))).toMatch(
      /"fastest".*expected "runner", "cluster" or "auto"/
    );
    const where = err(() => load({ 'sync-runner-location': 'us-east' }));
    expect(where.details.find((d) => d.includes('Input "sync-runner-location"'))).toMatch(
      /"us-east".*expected "auto", "overseas", "china" or "in-region"/
    );
  });

  it('reports every bad input at once', () => {
    const e = err(() => load({ namespace: 'A', 'pvc-name': '-x', 'sync-retries': '0' }));
    expect(e.details).toHaveLength(3);
    expect(e.message).toMatch(/^3 inputs are not valid/);
  });
});

describe('config: derivation', () => {
  it('derives every name once, valid and within limits', () => {
    const c = load({ stages: 'all', kubeconfig: '' }, {}, { KUBECONFIG: '/k' });
    expect(c.stages).toEqual(['setup', 'sync', 'storage', 'convert', 'deploy', 'smoke']);
    expect(c.model.name).toBe('bloom-560m');
    for (const n of [
      c.model.version,
      c.serve.name,
      c.serve.version,
      c.convert.jobName,
      c.cluster.pvName,
      c.cluster.pvcName,
      c.cluster.secretName,
      c.cluster.namespace
    ]) {
      expect(isDnsLabel(n)).toBe(true);
    }
    expect(c.serve.name.length + 1 + c.serve.version.length).toBeLessThanOrEqual(41);
    expect(c.convert.jobName.length).toBeLessThanOrEqual(48);
    expect(c.oss.endpoint).toBe('https://oss-cn-beijing.aliyuncs.com');
    expect(c.oss.clusterEndpoint).toBe('oss-cn-beijing-internal.aliyuncs.com');
    expect(c.cluster.pvPath).toBe('/models');
    expect(c.serve.gpus).toBe(1);
    expect(Object.isFrozen(c.serve)).toBe(true);
  });

  it('keeps the derived version stable and sensitive to conversion parameters', () => {
    const a = load({}).model.version;
    expect(load({}).model.version).toBe(a);
    expect(load({ 'tensor-parallel': '2' }).model.version).not.toBe(a);
    expect(load({ revision: 'a'.repeat(40) }).model.version).toMatch(/^aaaaaaa-[0-9a-f]{6}$/);
    expect(load({ version: 'pr-42' }).model.version).toBe('pr-42');
  });

  it('derives DNS labels from hostile model names', () => {
    const long = load({ model: `org/${'A_b.'.repeat(22)}x` });
    expect(isDnsLabel(long.model.name)).toBe(true);
    expect(long.model.name.length).toBeLessThanOrEqual(30);
    const digits = load({ model: 'org/7b-model' });
    expect(digits.serve.name).toMatch(/^[a-z]/);
  });

  it('turns a mirror base URL into the official layout', () => {
    const c = load({ 'kubectl-url': 'https://mirror.example/k8s/', 'arena-url': 'https://m.example/arena' });
    expect(c.tools.kubectl.urlTemplate).toBe('https://mirror.example/k8s/release/v{version}/bin/linux/{arch}/kubectl');
    expect(c.tools.arena.urlTemplate).toBe('https://m.example/arena/arena-installer-{version}-linux-{arch}.tar.gz');
  });

  it('accepts "none" for an empty stage list', () => {
    expect(load({ stages: 'none' }).stages).toEqual([]);
  });
});

describe('config: model spec', () => {
  const spec = [
    'model: bigscience/bloom-7b1',
    'convert:',
    '  tensor-parallel: 2',
    '  timeout: 3h',
    'smoke:',
    '  prompts:',
    '    - text: "The capital of France is"',
    '      expect: Paris',
    '    - Hello',
    'keep-versions: 3'
  ].join('\n');

  it('applies spec values under explicitly set inputs', () => {
    const c = load({ 'model-spec': 'model.yaml', model: '', 'keep-versions': '5' }, { 'model.yaml': spec });
    expect(c.model.repo).toBe('bigscience/bloom-7b1');
    expect(c.convert.tensorParallel).toBe(2);
    expect(c.convert.timeoutSeconds).toBe(3 * 3600);
    expect(c.serve.gpus).toBe(2);
    expect(c.keepVersions).toBe(5);
    expect(c.smoke.prompts).toEqual([{ text: 'The capital of France is', expect: 'Paris' }, { text: 'Hello' }]);
  });

  it.each([
    ['an unknown key', 'model: a/b\nconvert:\n  tensor-paralel: 2\n', 3, /unknown key "tensor-paralel"/],
    ['a wrong type', 'model: a/b\nsmoke:\n  prompts: hello\n', 3, /smoke.prompts: must be array/],
    ['bad YAML', 'model: a/b\nconvert: [\n', 3, /not valid YAML/]
  ])('cites the line of %s', (_what, text, line, re) => {
    const e = err(() => load({ 'model-spec': 's.yml' }, { 's.yml': text }));
    expect(e.code).toBe('CONFIG_SPEC_INVALID');
    expect(e.message).toContain(`s.yml line ${line}`);
    expect(e.message).toMatch(re);
  });

  it('cites the spec line for a value the input schema rejects', () => {
    const e = err(() =>
      load({ 'model-spec': 's.yaml', model: '' }, { 's.yaml': 'model: a/b\nconvert:\n  tensor-parallel: 3\n' })
    );
    expect(e.details[0]).toMatch(/Input "tensor-parallel" \("3", from s.yaml line 3\) is not valid/);
  });

  it.each(['../x.yaml', '/etc/x.yaml', '-x.yaml'])('refuses a spec path %j outside the workspace', (p) => {
    const e = err(() => load({ 'model-spec': p }));
    expect(e.message).toContain('Input "model-spec"');
  });
});

describe('names', () => {
  it.each([
    ['Bloom_7B1', 63, 'bloom-7b1'],
    ['--a--b--', 63, 'a-b'],
    ['', 63, /^x-[0-9a-f]{6}$/],
    ['模型', 63, /^x-[0-9a-f]{6}$/],
    ['a'.repeat(100), 20, /^a{13}-[0-9a-f]{6}$/]
  ])('toDnsLabel(%j, %d)', (s, max, want) => {
    const got = toDnsLabel(s, max);
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatch(want);
    expect(isDnsLabel(got, max)).toBe(true);
  });

  it('keeps truncated names distinct and stable', () => {
    const a = joinLabels(['x'.repeat(60), 'one'], 40);
    const b = joinLabels(['x'.repeat(60), 'two'], 40);
    expect(a).not.toBe(b);
    expect(joinLabels(['x'.repeat(60), 'one'], 40)).toBe(a);
    expect(toDns1035Label('123')).toBe('m-123');
  });

  it('parses durations and stage lists', () => {
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90')).toBe(90);
    expect(parseStages('smoke, setup')).toEqual(['setup', 'smoke']);
    expect(parseStages('')).toHaveLength(6);
  });

  it('has a description, a form and a schema for every input', () => {
    for (const i of INPUTS) {
      expect(i.description.length).toBeGreaterThan(10);
      expect(i.form.length).toBeGreaterThan(3);
      expect(i.name).toMatch(/^[a-z][a-z0-9-]*$/);
    }
  });
});
