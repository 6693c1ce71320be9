/**
 * The DNS-1123 label rule (RFC 1123, as Kubernetes applies it to object names): lower-case alphanumerics and
 * `-`, alphanumeric at both ends, at most 63 characters. One rule for config (deriving names) and the arena
 * adapter (checking every name before a process starts).
 */
export const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_LABEL_MAX = 63;

export function isDnsLabel(s: string, max = DNS_LABEL_MAX): boolean {
  return s.length > 0 && s.length <= max && DNS_LABEL_RE.test(s);
}
