/**
 * A 403 from the API server as something the user can fix: RBAC's Forbidden message names the user, the verb,
 * the resource (`pods/portforward` for a subresource), the API group and the namespace or cluster scope, so the
 * error says exactly which rule to add, and whether it belongs in a Role or (cluster-scoped) a ClusterRole.
 */
import { PipelineError } from '../errors.js';

export interface Grant {
  /** RBAC's name for the kubeconfig's user (`system:serviceaccount:<ns>:<sa>`), when the server said it. */
  readonly user?: string;
  /** One verb, or several joined by `, ` when a request needs them all (port-forward across versions). */
  readonly verb: string;
  /** `pods`, or `pods/portforward` for a subresource. */
  readonly resource: string;
  readonly group: string;
  /** Undefined for a cluster-scoped request. */
  readonly namespace?: string;
}

const FORBIDDEN =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)" (?:in the namespace "([^"]+)"|at the cluster scope)/;

/**
 * The API server's Forbidden sentence inside a line of tool output (kubectl's `Error from server (Forbidden): …`,
 * or Arena's logrus line, which escapes the quotes), or undefined when there is none.
 */
export function forbiddenSentence(line: string): string | undefined {
  const text = line.replace(/\\"/g, '"');
  const m =
    /(?:[a-z0-9][a-z0-9.-]* (?:"[^"]*" )?is forbidden: )?User "[^"]*" cannot \S+ (?:resource|path) "[^"]*".*?(?:in the namespace "[^"]+"|at the cluster scope|$)/.exec(
      text
    );
  return m?.[0];
}

/** What the Forbidden message asks to grant, or undefined when the text is not the API server's. */
export function parseForbidden(message: string): Grant | undefined {
  const m = FORBIDDEN.exec(message.replace(/\\"/g, '"'));
  if (!m) return undefined;
  return { user: m[1], verb: m[2], resource: m[3], group: m[4], namespace: m[5] };
}

/** The rule to add, worded as deploy/rbac.yaml writes rules. */
export function grantText(g: Grant): string {
  const group = `apiGroups: ['${g.group}']`;
  const verbs = g.verb
    .split(/,\s*/)
    .map((v) => `'${v}'`)
    .join(', ');
  const rule = `{ ${group}, resources: ['${g.resource}'], verbs: [${verbs}] }`;
  const where = g.namespace
    ? `the Role bound to ${g.user ?? 'the kubeconfig’s user'} in namespace ${g.namespace}`
    : `a ClusterRole bound to ${g.user ?? 'the kubeconfig’s user'} (the resource is cluster-scoped)`;
  return `${rule} in ${where}`;
}

/**
 * The PipelineError for a request the API server refused with 403. `what` says which request; `known` fills in
 * what the caller knows when the server's text is not at hand (a refused watch or WebSocket upgrade carries only
 * the status line).
 */
export function forbiddenError(what: string, serverMessage: string, known?: Grant): PipelineError {
  const grant = parseForbidden(serverMessage) ?? known;
  const said = serverMessage || `no permission to ${grant ? `${grant.verb} ${grant.resource}` : 'do this'}`;
  const rule = grant ? grantText(grant) : 'the kubeconfig’s user the permissions of deploy/rbac.yaml';
  return new PipelineError(
    'K8S_FORBIDDEN',
    `the Kubernetes API refused ${what} (HTTP 403 Forbidden): ${said}`,
    `Grant ${rule}; deploy/rbac.yaml lists every permission the action needs (kubectl apply -f deploy/rbac.yaml).`
  );
}
