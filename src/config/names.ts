/**
 * Name rules: every name that reaches Kubernetes or a command line is derived here, once.
 * Kubernetes names are DNS-1123 labels (lower-case alphanumerics and `-`, ≤ 63, alphanumeric at both ends);
 * a name that would be too long is cut and ends in a short hash of the whole, so it stays stable and distinct.
 */
import { createHash } from 'node:crypto';

import { DNS_LABEL_MAX, DNS_LABEL_RE, isDnsLabel } from '../util/dns.js';

export { DNS_LABEL_MAX, DNS_LABEL_RE, isDnsLabel };

export function shortHash(s: string, length = 6): string {
  return createHash('sha256').update(s).digest('hex').slice(0, length);
}

/** Lower-case, every run of other characters to one `-`, no `-` at either end. May return ''. */
export function slugify(s: string): string {
  return s
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `s` as a DNS-1123 label of at most `max` characters. When cut, the label ends in `-<hash of s>` so two long
 * names that share a beginning stay distinct and the same input always gives the same label.
 * `fallback` names an empty slug (e.g. a repo named only with unicode).
 */
export function toDnsLabel(s: string, max = DNS_LABEL_MAX, fallback = 'x'): string {
  let slug = slugify(s);
  if (slug === '') slug = `${fallback}-${shortHash(s)}`;
  if (slug.length <= max) return slug;
  const hash = shortHash(s);
  const head = slug.slice(0, max - hash.length - 1).replace(/-+$/, '');
  return head === '' ? hash.slice(0, max) : `${head}-${hash}`;
}

/** A label that also starts with a letter (DNS-1035: Service names are built from it). */
export function toDns1035Label(s: string, max = DNS_LABEL_MAX, prefix = 'm'): string {
  const label = toDnsLabel(s, max);
  if (/^[a-z]/.test(label)) return label;
  return toDnsLabel(`${prefix}-${label}`, max);
}

/** Joins labels with `-` and fits the result into `max`, hashing the joined whole when cut. */
export function joinLabels(parts: readonly string[], max = DNS_LABEL_MAX): string {
  return toDnsLabel(parts.filter((p) => p !== '').join('-'), max);
}
