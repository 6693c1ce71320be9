/** The CLI entry's checks that run before anything is loaded: the Node version, and the one warning it quiets. */
import { MIN_NODE, nodeVersionProblem, olderThan } from '../../src/cli/node-version.js';
import { quietKnownWarnings, warningCode } from '../../src/cli/warnings.js';

describe('Node version check', () => {
  it.each([
    ['v20.19.0', true],
    ['v22.14.0', true],
    ['v22.18.9', true],
    ['v22.19.0', false],
    ['v23.11.1', false],
    ['v24.0.0', false],
    ['v26.1.0', false]
  ])('%s older than the minimum: %s', (version, older) => {
    expect(olderThan(version, MIN_NODE)).toBe(older);
    expect(nodeVersionProblem(version, true) !== undefined).toBe(older);
  });

  it('names the version found and the one needed', () => {
    expect(nodeVersionProblem('v20.18.1', false)).toMatch(
      /needs Node 22\.19\.0 or newer \(this is Node 20\.18\.1, without zlib zstd support\)/
    );
  });

  it('refuses a recent enough version whose zlib has no zstd', () => {
    expect(nodeVersionProblem('v24.1.0', false)).toMatch(/without zlib zstd support/);
  });
});

describe('quietKnownWarnings', () => {
  const record = () => {
    const seen: unknown[][] = [];
    const proc = { emitWarning: (...args: unknown[]) => void seen.push(args) };
    quietKnownWarnings(proc as never);
    return { proc: proc as unknown as { emitWarning: (...a: unknown[]) => void }, seen };
  };

  it('drops DEP0169 in each of emitWarning call forms', () => {
    const { proc, seen } = record();
    proc.emitWarning('url.parse() is deprecated', 'DeprecationWarning', 'DEP0169');
    proc.emitWarning('url.parse() is deprecated', { type: 'DeprecationWarning', code: 'DEP0169' });
    proc.emitWarning(Object.assign(new Error('url.parse()'), { code: 'DEP0169' }));
    expect(seen).toEqual([]);
  });

  it('passes every other warning through unchanged', () => {
    const { proc, seen } = record();
    proc.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0005');
    proc.emitWarning('plain');
    expect(seen).toEqual([['Buffer() is deprecated', 'DeprecationWarning', 'DEP0005'], ['plain']]);
    expect(warningCode('x', [{ code: 'DEP0001' }])).toBe('DEP0001');
  });
});
