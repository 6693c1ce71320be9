/**
 * Lineages keep previews and releases apart. Every serving version this product deploys carries the label
 * LINEAGE_LABEL with the run's `lineage` input (`release` by default, `pr-<N>` for a pull request's previews).
 * Retirement only ever considers versions of the same lineage, and a deploy never replaces a version of another
 * lineage, so a preview can neither retire nor replace what a release made (or another pull request made).
 * Pure functions: the stages list the Deployments and act on the answer.
 */
import type { KObj } from '../k8s/types.js';

/** The label key on the serving's Deployment and pods (Arena `--label`). */
export const LINEAGE_LABEL = 'arena-ft-pipeline/lineage';

/** The `lineage` input's default. */
export const DEFAULT_LINEAGE = 'release';

export interface ServingVersionInfo {
  readonly version: string;
  /** The lineage label, undefined for a version this product did not label (made by hand or before lineages). */
  readonly lineage?: string;
  /** RFC 3339 creation time of the Deployment. */
  readonly createdAt: string;
}

/** A serving Deployment as the retirement sees it. */
export function servingVersionInfo(d: KObj): ServingVersionInfo {
  const labels = d.metadata.labels ?? {};
  return {
    version: labels.servingVersion ?? '',
    ...(labels[LINEAGE_LABEL] !== undefined ? { lineage: labels[LINEAGE_LABEL] } : {}),
    createdAt: String(d.metadata.creationTimestamp ?? '')
  };
}

/**
 * The versions a successful smoke test of `current` retires: of the versions with the same lineage (never an
 * unlabelled one, never another lineage's), all but the `keep - 1` newest others. `keep` 0 keeps everything.
 */
export function versionsToRetire(
  versions: readonly ServingVersionInfo[],
  o: { readonly current: string; readonly lineage: string; readonly keep: number }
): string[] {
  if (o.keep <= 0) return [];
  return versions
    .filter((v) => v.lineage === o.lineage && v.version !== o.current && v.version !== '')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version))
    .slice(o.keep - 1)
    .map((v) => v.version);
}

/**
 * Why this run may not deploy over (replace, smoke-test and roll back) an existing serving version, if it may
 * not: the version carries another lineage, or none and this run is not a release.
 */
export function replaceConflict(existing: KObj, lineage: string): string | undefined {
  const theirs = existing.metadata.labels?.[LINEAGE_LABEL];
  if (theirs === lineage) return undefined;
  // Versions deployed before lineages existed were all releases: the release lineage keeps owning them.
  if (theirs === undefined && lineage === DEFAULT_LINEAGE) return undefined;
  return theirs === undefined
    ? `it carries no ${LINEAGE_LABEL} label (not deployed by this product's lineage "${lineage}")`
    : `it belongs to lineage "${theirs}", this run is lineage "${lineage}"`;
}
