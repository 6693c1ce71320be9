/**
 * action.yml's descriptions are what users read: the numeric semantics they state for keep-versions must be what
 * the retirement does. (The smoke inputs are checked against the stage and the sandbox Triton in
 * test/integration/smoke.test.ts.)
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { versionsToRetire, type ServingVersionInfo } from '../../src/stages/lineage.js';

function actionDescription(input: string): string {
  const action = parseYaml(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
    inputs: Record<string, { description: string }>;
  };
  return action.inputs[input].description;
}

describe('keep-versions does what action.yml says', () => {
  const desc = actionDescription('keep-versions');
  // five release versions, oldest first (v5 is the one just smoke-tested), and two of a preview lineage
  const release: ServingVersionInfo[] = [1, 2, 3, 4, 5].map((i) => ({
    version: `v${i}`,
    lineage: 'release',
    createdAt: `2026-01-0${i}T00:00:00Z`
  }));
  const preview: ServingVersionInfo[] = [1, 2].map((i) => ({
    version: `p${i}`,
    lineage: 'pr-7',
    createdAt: `2026-01-0${i}T12:00:00Z`
  }));
  const retire = (keep: number) =>
    versionsToRetire([...preview, ...release], { current: 'v5', lineage: 'release', keep });

  it.each([1, 2, 3, 5, 7])(
    'keep-versions %d: the newest that many of this lineage stay (the tested one among them)',
    (keep) => {
      expect(desc).toMatch(/versions of this model and lineage kept after a successful smoke test \(the newest\)/);
      const retired = retire(keep);
      const kept = release.map((v) => v.version).filter((v) => !retired.includes(v));
      expect(kept).toEqual(release.map((v) => v.version).slice(-keep));
      expect(kept).toContain('v5');
    }
  );

  it("another lineage's versions are never retired", () => {
    expect(desc).toMatch(/never another lineage/);
    for (const keep of [1, 2, 5]) expect(retire(keep).filter((v) => v.startsWith('p'))).toEqual([]);
  });

  it('0 keeps every version', () => {
    const zero = /\b(\d+) keeps all\b/.exec(desc);
    expect(zero?.[1]).toBe('0');
    expect(retire(Number(zero![1]))).toEqual([]);
  });
});
