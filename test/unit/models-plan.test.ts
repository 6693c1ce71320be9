import { parseModelsFile, planModels, parseSelection, canonicalJson } from '../../src/model-versions/plan.js';

const head = parseModelsFile(
  `models:
  - model: bigscience/bloom-7b1
    version: v1
    convert: { tensor-parallel: 2 }
  - model: bigscience/bloom-560m
    version: v2
    revision: main
  - model: org/new-model
`,
  'models.yaml'
);
const base = parseModelsFile(
  `models:
  - model: bigscience/bloom-7b1
    convert: { tensor-parallel: 2 }
    version: v1
  - model: bigscience/bloom-560m
    version: v2
    revision: old
`,
  'models.yaml'
);

describe('planModels', () => {
  it('builds only added and changed entries against the base (key order is not a change)', () => {
    const plan = planModels(head, base, { kind: 'changed' });
    expect(plan.map((p) => [p.model, p.reason])).toEqual([
      ['bigscience/bloom-560m', 'changed'],
      ['org/new-model', 'added']
    ]);
    expect(JSON.parse(plan[0].spec)).toEqual({ model: 'bigscience/bloom-560m', version: 'v2', revision: 'main' });
  });

  it('treats every entry as added when the base has no models file', () => {
    expect(planModels(head, undefined, { kind: 'changed' })).toHaveLength(3);
  });

  it('selects all, or one model on dispatch', () => {
    expect(planModels(head, base, { kind: 'all' })).toHaveLength(3);
    expect(planModels(head, base, { kind: 'one', model: 'org/new-model' }).map((p) => p.model)).toEqual([
      'org/new-model'
    ]);
    expect(() => planModels(head, base, { kind: 'one', model: 'org/missing' })).toThrow(/no entry for org\/missing/);
  });

  it('rejects the same model version listed twice', () => {
    const dup = parseModelsFile(
      'models:\n  - model: a/b\n    version: v1\n  - model: a/b\n    version: v1\n',
      'm.yaml'
    );
    expect(() => planModels(dup, undefined, { kind: 'all' })).toThrow(/twice/);
  });
});

describe('parseModelsFile', () => {
  it.each([
    ['not: [valid', /not valid YAML/],
    ['models: 3', /no `models:` list/],
    ['models:\n  - version: v1\n', /entry 1 has no `model`/]
  ])('rejects %j', (text, message) => {
    expect(() => parseModelsFile(text, 'models.yaml')).toThrow(message);
  });
});

describe('parseSelection', () => {
  it.each([
    ['', { kind: 'changed' }],
    ['changed', { kind: 'changed' }],
    ['all', { kind: 'all' }],
    ['org/model', { kind: 'one', model: 'org/model' }]
  ])('%j', (value, expected) => expect(parseSelection(value)).toEqual(expected));

  it.each(['-rf', 'a/b; rm -rf /', '../x', 'a b'])('rejects %j', (value) => {
    expect(() => parseSelection(value)).toThrow(/models-select/);
  });
});

it('canonicalJson sorts keys at every depth', () => {
  expect(canonicalJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: null } })).toBe(
    '{"a":{"c":null,"d":[1,{"e":2,"f":1}]},"b":1}'
  );
});
