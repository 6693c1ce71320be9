/**
 * Property-based checks over the configuration with hostile values: whatever a user (or an attacker through a
 * pull request's model spec) puts in any input, the config either refuses it with CONFIG_INVALID or every
 * name it derives is a DNS-1123 label, nothing that reaches a command line starts with "-", and no value can
 * leave the argument it was put in. Repo paths with "..", absolute paths, backslashes or NUL are refused
 * before any OSS key is formed.
 */
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load.js';
import { INPUTS } from '../../src/config/inputs.js';
import { isPipelineError } from '../../src/errors.js';
import type { Config } from '../../src/config/types.js';
import { unsafePathReason } from '../../src/hf/paths.js';
import { serveArgs } from '../../src/stages/deploy.js';
import { converterArgs } from '../../src/stages/convert.js';

const BASE: Record<string, string> = {
  model: 'bigscience/bloom-560m',
  'oss-bucket': 'models-bucket',
  'oss-access-key-id': 'LTAIexample',
  'oss-access-key-secret': 'secret',
  stages: 'sync,storage,convert,deploy,smoke'
};

const HOSTILE = [
  '',
  '-rf',
  '--help',
  '$(touch /tmp/pwned)',
  '`id`',
  'a;rm -rf /',
  'a && b',
  'x\ny',
  '../../etc/passwd',
  'a/../../b',
  '\u0000',
  'Ünïcødé-名前',
  'A'.repeat(300),
  ' leading-space',
  "it's",
  'v1 --privileged',
  '${{ secrets.X }}'
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 })
);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function load(overrides: Record<string, string>): Config | undefined {
  try {
    return loadConfig({
      getInput: (n) => ({ ...BASE, ...overrides })[n],
      env: { KUBECONFIG: '/nonexistent/kubeconfig' },
      readFile: () => 'model: a/b\n'
    });
  } catch (e) {
    if (isPipelineError(e)) return undefined;
    throw e;
  }
}

const STRING_INPUTS = INPUTS.filter((i) => i.schema.type === 'string' && !i.secret && i.name !== 'kubeconfig').map(
  (i) => i.name
);

describe('hostile input values', () => {
  it('start from a valid baseline (so the properties below are not vacuous)', () => {
    const cfg = load({});
    expect(cfg?.model.name).toBe('bloom-560m');
    // Some hostile values must be accepted and checked, not all refused.
    expect(load({ version: 'v1' })?.model.version).toBe('v1');
    expect(load({ 'serving-name': 'A'.repeat(300) })).toBeUndefined();
  });

  it('are refused, or yield only DNS-1123 names and no leading "-" anywhere near a command line', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STRING_INPUTS), hostileString, (input, value) => {
        const cfg = load({ [input]: value });
        if (!cfg) return;
        for (const name of [
          cfg.model.name,
          cfg.model.version,
          cfg.convert.jobName,
          cfg.serve.name,
          cfg.serve.version,
          cfg.cluster.namespace,
          cfg.cluster.pvcName,
          cfg.cluster.pvName,
          cfg.cluster.secretName
        ]) {
          expect(name).toMatch(DNS_LABEL);
        }
        for (const v of [
          cfg.convert.image,
          cfg.serve.image,
          cfg.serve.modelName,
          cfg.model.revision,
          cfg.cluster.mountPath
        ]) {
          expect(v.startsWith('-')).toBe(false);
          expect(v).not.toMatch(/[\n\r\0]/);
        }
        // The arena argument arrays: every element is a flag=value pair or a known word; nothing injected
        // becomes an extra flag, and the converter command keeps each path one shell word.
        const args = converterArgs(cfg, 'a'.repeat(40));
        const flags = args.slice(2, -1);
        for (const a of flags) expect(a).toMatch(/^--[a-z-]+(=.*)?$/s);
        expect(args.filter((a) => a.startsWith('--name=')).length).toBe(1);
      }),
      { numRuns: 400 }
    );
  });

  it('serve arguments keep every value inside its own flag', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('serving-name', 'serve-image', 'namespace', 'version'),
        hostileString,
        (input, value) => {
          const cfg = load({ [input]: value });
          if (!cfg) return;
          // the deploy stage's own argument builder, as the convert case above uses convert's
          const args = serveArgs(cfg);
          for (const a of args.slice(2)) expect(a).toMatch(/^--[a-z-]+(=.*)?$/s);
        }
      ),
      { numRuns: 200 }
    );
  });
});

describe('repo paths from a hub listing', () => {
  const unsafe = fc.oneof(
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}/../${b}`),
    fc.string().map((s) => `../${s}`),
    fc.string().map((s) => `/${s}`),
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\\${b}`),
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\u0000${b}`)
  );

  it('with "..", absolute, backslash or NUL are always refused', () => {
    fc.assert(
      fc.property(unsafe, (p) => expect(unsafePathReason(p)).toBeDefined()),
      { numRuns: 500 }
    );
  });

  it('plain relative paths are accepted', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segs) =>
        expect(unsafePathReason(segs.join('/'))).toBeUndefined()
      ),
      { numRuns: 300 }
    );
  });
});
