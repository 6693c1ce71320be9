/**
 * RBAC as the real API server evaluates it (plugin/pkg/auth/authorizer/rbac): the rules of every
 * ClusterRoleBinding whose subjects match the user, then of every RoleBinding in the request's namespace (its
 * roleRef a Role of that namespace or a ClusterRole); the first rule that allows wins, and nothing denies.
 * Bindings that point at a missing role are reported in the Forbidden message (`RBAC: role… not found`), as
 * the real authorizer does. The bootstrap ClusterRoles the sandbox relies on are seeded by `bootstrapPolicy`.
 */
import type { KubeObject, ObjectStore } from './contract.js';

/** An authenticated user, as the authenticator hands it to the authorizer. */
export interface User {
  name: string;
  groups: string[];
  /** Set for a ServiceAccount's token: the token is valid only while that ServiceAccount (uid) exists. */
  serviceAccount?: { namespace: string; name: string; uid: string };
}

/** What a request asks for (apiserver's authorizer.Attributes, request info filled from the URL). */
export interface Attributes {
  user: User;
  verb: string;
  /** A resource request (`/api…`, `/apis…` with a resource) or a non-resource path (`/version`, `/apis`). */
  resourceRequest: boolean;
  path: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface RoleRef {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by …` when allowed; the resolution errors (missing roles) when not, else ''. */
  reason: string;
}

const RBAC = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });
const ROLES = RBAC('roles');
const CLUSTER_ROLES = RBAC('clusterroles');
const ROLE_BINDINGS = RBAC('rolebindings');
const CLUSTER_ROLE_BINDINGS = RBAC('clusterrolebindings');

const has = (list: string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);

function resourceMatches(rule: PolicyRule, combined: string, sub: string | undefined): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (sub && r === `*/${sub}`) return true;
  }
  return false;
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1)))
  );
}

/** rbac.RuleAllows: verb, group, resource (`pods/log`, a star, star-slash-log), resourceNames; or a non-resource URL. */
export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : String(a.resource);
  const names = rule.resourceNames ?? [];
  return (
    has(rule.apiGroups, a.apiGroup ?? '') &&
    resourceMatches(rule, combined, a.subresource) &&
    (names.length === 0 || (!!a.name && names.includes(a.name)))
  );
}

/** rbac validation's appliesToUser: a User by name, a Group the user is in, a ServiceAccount by its user name. */
function appliesTo(user: User, s: Subject, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return !!s.name && user.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return !!ns && user.name === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function rulesOf(
  store: ObjectStore,
  ref: RoleRef,
  bindingNamespace: string | undefined
): { rules?: PolicyRule[]; error?: string } {
  if (ref.kind === 'ClusterRole') {
    const role = store.get(CLUSTER_ROLES, undefined, String(ref.name));
    if (!role) return { error: `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` };
    return { rules: (role.rules as PolicyRule[]) ?? [] };
  }
  if (ref.kind === 'Role' && bindingNamespace) {
    const role = store.get(ROLES, bindingNamespace, String(ref.name));
    if (!role) return { error: `role.rbac.authorization.k8s.io "${ref.name}" not found` };
    return { rules: (role.rules as PolicyRule[]) ?? [] };
  }
  return { error: `unsupported role reference kind: "${ref.kind}"` };
}

function describe(b: KubeObject, cluster: boolean, user: User, subject: Subject): string {
  const ref = (b.roleRef ?? {}) as RoleRef;
  const who =
    subject.kind === 'ServiceAccount'
      ? `ServiceAccount "${subject.name}/${subject.namespace || b.metadata.namespace}"`
      : `${subject.kind} "${subject.kind === 'User' ? user.name : subject.name}"`;
  const binding = cluster
    ? `ClusterRoleBinding "${b.metadata.name}"`
    : `RoleBinding "${b.metadata.name}/${b.metadata.namespace}"`;
  return `${binding} of ${ref.kind} "${ref.name}" to ${who}`;
}

/** The authorizer: RBAC over the store's role and binding objects. */
export function authorize(store: ObjectStore, a: Attributes): Decision {
  const errors: string[] = [];
  const visit = (bindings: KubeObject[], cluster: boolean): string | undefined => {
    for (const b of bindings) {
      const ns = cluster ? undefined : b.metadata.namespace;
      const subject = ((b.subjects ?? []) as Subject[]).find((s) => appliesTo(a.user, s, ns));
      if (!subject) continue;
      const { rules, error } = rulesOf(store, (b.roleRef ?? {}) as RoleRef, ns);
      if (error) errors.push(error);
      if ((rules ?? []).some((r) => ruleAllows(a, r))) return describe(b, cluster, a.user, subject);
    }
    return undefined;
  };
  const byCluster = visit(store.list(CLUSTER_ROLE_BINDINGS, undefined).items, true);
  if (byCluster) return { allowed: true, reason: `RBAC: allowed by ${byCluster}` };
  if (a.namespace) {
    const byRole = visit(store.list(ROLE_BINDINGS, a.namespace).items, false);
    if (byRole) return { allowed: true, reason: `RBAC: allowed by ${byRole}` };
  }
  const reason = errors.length === 0 ? '' : errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return { allowed: false, reason: reason && `RBAC: ${reason}` };
}

/**
 * The bootstrap policy the sandbox needs (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go):
 * cluster-admin for `system:masters`, discovery and self-reviews for every authenticated user, and `view`
 * (read-only, no Secrets, no port-forward) for the read-only CI user.
 */
export function bootstrapPolicy(readOnlyUser: string): KubeObject[] {
  const clusterRole = (name: string, rules: PolicyRule[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules
  });
  const binding = (name: string, role: string, subjects: Subject[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects.map((s) => ({ apiGroup: 'rbac.authorization.k8s.io', ...s }))
  });
  const read = ['get', 'list', 'watch'];
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] }
    ]),
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/'
        ],
        verbs: ['get']
      }
    ]),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create']
      }
    ]),
    clusterRole('view', [
      {
        apiGroups: [''],
        resources: [
          'configmaps',
          'endpoints',
          'events',
          'persistentvolumeclaims',
          'pods',
          'pods/log',
          'pods/status',
          'services',
          'services/status',
          'serviceaccounts',
          'namespaces',
          'namespaces/status'
        ],
        verbs: read
      },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
      { apiGroups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: read }
    ]),
    binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
    binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
    binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
    binding(`${readOnlyUser}-view`, 'view', [{ kind: 'User', name: readOnlyUser }])
  ];
}
