/**
 * Preview isolation (issue 14): which serving versions a passing smoke test retires, and which existing versions
 * a run may deploy over, as pure functions of the versions' lineage labels.
 */
import { describe, expect, it } from '@jest/globals';
import {
  LINEAGE_LABEL,
  replaceConflict,
  servingVersionInfo,
  versionsToRetire,
  type ServingVersionInfo
} from '../../src/stages/lineage.js';
import type { KObj } from '../../src/k8s/types.js';

const v = (version: string, day: number, lineage?: string): ServingVersionInfo => ({
  version,
  createdAt: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z`,
  ...(lineage !== undefined ? { lineage } : {})
});

// Releases r1..r3, previews of two pull requests, one version made by hand (no label).
const ALL = [
  v('r1', 1, 'release'),
  v('r2', 2, 'release'),
  v('r3', 3, 'release'),
  v('p1-pr7', 4, 'pr-7'),
  v('p2-pr7', 5, 'pr-7'),
  v('p1-pr8', 6, 'pr-8'),
  v('manual', 7)
];

describe('versionsToRetire', () => {
  it("a preview's passing smoke never retires a release, another PR's preview or an unlabelled version", () => {
    // keep 1: only the current one of lineage pr-7 stays; before the fix every other version of the name went.
    expect(versionsToRetire(ALL, { current: 'p3-pr7', lineage: 'pr-7', keep: 1 })).toEqual(['p2-pr7', 'p1-pr7']);
  });

  it('a release retires only older releases beyond keep-versions', () => {
    expect(versionsToRetire([...ALL, v('r4', 9, 'release')], { current: 'r4', lineage: 'release', keep: 2 })).toEqual([
      'r2',
      'r1'
    ]);
  });

  it('keep-versions 0 keeps every version (it used to delete every other one)', () => {
    expect(versionsToRetire(ALL, { current: 'r3', lineage: 'release', keep: 0 })).toEqual([]);
  });

  it('keep-versions larger than the lineage retires nothing', () => {
    expect(versionsToRetire(ALL, { current: 'r3', lineage: 'release', keep: 10 })).toEqual([]);
  });

  it('reads the lineage from the Deployment labels', () => {
    const d: KObj = {
      metadata: {
        name: 'x',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { servingVersion: 'v1', [LINEAGE_LABEL]: 'pr-3' }
      }
    };
    expect(servingVersionInfo(d)).toEqual({ version: 'v1', lineage: 'pr-3', createdAt: '2026-01-01T00:00:00Z' });
    expect(servingVersionInfo({ metadata: { name: 'y', labels: { servingVersion: 'v2' } } }).lineage).toBeUndefined();
  });
});

describe('replaceConflict', () => {
  const dep = (lineage?: string): KObj => ({
    metadata: { name: 'd', labels: { servingVersion: 'v1', ...(lineage ? { [LINEAGE_LABEL]: lineage } : {}) } }
  });
  it('a run may deploy over a version of its own lineage', () => {
    expect(replaceConflict(dep('pr-7'), 'pr-7')).toBeUndefined();
    expect(replaceConflict(dep('release'), 'release')).toBeUndefined();
  });
  it('a preview may not deploy over a release, nor over an unlabelled version', () => {
    expect(replaceConflict(dep('release'), 'pr-7')).toMatch(/lineage "release", this run is lineage "pr-7"/);
    expect(replaceConflict(dep(), 'pr-7')).toMatch(/carries no arena-ft-pipeline\/lineage label/);
  });
  it('a release keeps owning the unlabelled versions deployed before lineages existed', () => {
    expect(replaceConflict(dep(), 'release')).toBeUndefined();
  });
  it('a release may not deploy over a preview', () => {
    expect(replaceConflict(dep('pr-7'), 'release')).toMatch(/lineage "pr-7"/);
  });
});
