/**
 * A 403 as the rule to grant: the API server's Forbidden sentence read from its Status, from kubectl's stderr and
 * from Arena's logrus line (quotes escaped), and what the error says when only the status line is known.
 */
import { forbiddenError, forbiddenSentence, parseForbidden } from '../../src/util/forbidden.js';
import { isTransient } from '../../src/k8s/types.js';

const SA = 'system:serviceaccount:default-group:arena-ft-pipeline';
const NAMESPACED = `pytorchjobs.kubeflow.org is forbidden: User "${SA}" cannot create resource "pytorchjobs" in API group "kubeflow.org" in the namespace "default-group"`;
const CLUSTER = `persistentvolumes "model-pv" is forbidden: User "${SA}" cannot get resource "persistentvolumes" in API group "" at the cluster scope`;

describe('parseForbidden / forbiddenSentence', () => {
  it('reads user, verb, resource, group and scope', () => {
    expect(parseForbidden(NAMESPACED)).toEqual({
      user: SA,
      verb: 'create',
      resource: 'pytorchjobs',
      group: 'kubeflow.org',
      namespace: 'default-group'
    });
    expect(parseForbidden(CLUSTER)).toEqual({
      user: SA,
      verb: 'get',
      resource: 'persistentvolumes',
      group: '',
      namespace: undefined
    });
    expect(
      parseForbidden(
        `pods "p" is forbidden: User "${SA}" cannot get resource "pods/portforward" in API group "" in the namespace "ns"`
      )?.resource
    ).toBe('pods/portforward');
  });

  it('finds the sentence in kubectl and Arena output, and nothing in other text', () => {
    expect(forbiddenSentence(`Error from server (Forbidden): ${NAMESPACED}`)).toBe(NAMESPACED);
    const logrus = `time="2026-01-01T00:00:00Z" level=error msg="${NAMESPACED.replace(/"/g, '\\"')}"`;
    expect(forbiddenSentence(logrus)).toBe(NAMESPACED);
    expect(forbiddenSentence('Error from server (NotFound): configmaps "x" not found')).toBeUndefined();
    expect(parseForbidden('forbidden: User "u" cannot get path "/metrics"')).toBeUndefined();
  });
});

describe('forbiddenError', () => {
  it('names the rule and where it belongs', () => {
    const ns = forbiddenError('PATCH /apis/kubeflow.org/v1/…', NAMESPACED);
    expect(ns.code).toBe('K8S_FORBIDDEN');
    expect(ns.message).toBe(
      `the Kubernetes API refused PATCH /apis/kubeflow.org/v1/… (HTTP 403 Forbidden): ${NAMESPACED}`
    );
    expect(ns.hint).toBe(
      `Grant { apiGroups: ['kubeflow.org'], resources: ['pytorchjobs'], verbs: ['create'] } in the Role bound to ${SA} in namespace default-group; deploy/rbac.yaml lists every permission the action needs (kubectl apply -f deploy/rbac.yaml).`
    );
    expect(forbiddenError('GET pv', CLUSTER).hint).toContain(
      `a ClusterRole bound to ${SA} (the resource is cluster-scoped)`
    );
  });

  it('falls back to what the caller knows when the server said only "403"', () => {
    const e = forbiddenError('watch pods', '', { verb: 'watch', resource: 'pods', group: '', namespace: 'ns' });
    expect(e.message).toBe('the Kubernetes API refused watch pods (HTTP 403 Forbidden): no permission to watch pods');
    expect(e.hint).toContain(
      `{ apiGroups: [''], resources: ['pods'], verbs: ['watch'] } in the Role bound to the kubeconfig’s user in namespace ns`
    );
    const bare = forbiddenError('something', 'Forbidden');
    expect(bare.hint).toContain('Grant the kubeconfig’s user the permissions of deploy/rbac.yaml');
  });

  it('is final: never retried as a transient failure', () => {
    expect(isTransient(forbiddenError('x', CLUSTER))).toBe(false);
  });
});
