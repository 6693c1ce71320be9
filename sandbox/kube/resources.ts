/**
 * The resource table: every type the sandbox API server serves. Discovery, OpenAPI, routing, validation,
 * Table columns and defaults are all driven from here, so adding a kind is one entry.
 */
import type { ResourceType } from './contract.js';

/** `path`: RBAC objects' names are path segments (`system:discovery`), rbac validation's ValidateRBACName. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

export interface ResourceDef extends ResourceType {
  kind: string;
  singular: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served (listed in discovery as `<plural>/<sub>`). */
  subresources: string[];
  nameRule: NameRule;
  /** Top-level fields allowed besides apiVersion/kind/metadata (for fieldValidation=Strict). */
  fields: string[];
  categories?: string[];
  /** Verbs when not the full set (review resources only accept create and are never stored). */
  verbs?: string[];
  /** Served only while this CustomResourceDefinition exists and serves the version (Istio's kinds). */
  crd?: string;
  /** The version objects are kept in when several are served (one object, seen through each version). */
  storageVersion?: string;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(
  d: Omit<ResourceDef, 'listKind' | 'subresources' | 'nameRule' | 'fields'> & Partial<ResourceDef>
): ResourceDef {
  return {
    listKind: `${d.kind}List`,
    subresources: [],
    nameRule: 'subdomain',
    fields: ['spec', 'status'],
    ...d
  };
}

export const RESOURCES: ResourceDef[] = [
  def({
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    nameRule: 'label'
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'log', 'portforward'],
    categories: ['all']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    subresources: ['status'],
    nameRule: 'dns1035',
    categories: ['all']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    fields: ['data', 'binaryData', 'immutable']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    fields: ['data', 'stringData', 'type', 'immutable']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fields: [
      'involvedObject',
      'reason',
      'message',
      'source',
      'firstTimestamp',
      'lastTimestamp',
      'count',
      'type',
      'eventTime',
      'series',
      'action',
      'related',
      'reportingComponent',
      'reportingInstance'
    ]
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'persistentvolumes',
    singular: 'persistentvolume',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    singular: 'persistentvolumeclaim',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: ['status']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status']
  }),
  def({
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: ['all']
  }),
  def({
    group: 'apps',
    version: 'v1',
    plural: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: ['all']
  }),
  def({
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    singular: 'job',
    kind: 'Job',
    namespaced: true,
    subresources: ['status'],
    categories: ['all']
  }),
  def({
    group: 'kubeflow.org',
    version: 'v1',
    plural: 'pytorchjobs',
    singular: 'pytorchjob',
    kind: 'PyTorchJob',
    namespaced: true,
    shortNames: [],
    subresources: ['status'],
    categories: ['all', 'kubeflow']
  }),
  def({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    subresources: ['status']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    subresources: ['token'],
    fields: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken']
  }),
  def({
    group: '',
    version: 'v1',
    plural: 'endpoints',
    singular: 'endpoints',
    kind: 'Endpoints',
    namespaced: true,
    shortNames: ['ep'],
    fields: ['subsets']
  }),
  def({
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    singular: 'endpointslice',
    kind: 'EndpointSlice',
    namespaced: true,
    fields: ['addressType', 'endpoints', 'ports']
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'roles',
    nameRule: 'path',
    singular: 'role',
    kind: 'Role',
    namespaced: true,
    fields: ['rules']
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    nameRule: 'path',
    singular: 'rolebinding',
    kind: 'RoleBinding',
    namespaced: true,
    fields: ['roleRef', 'subjects']
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterroles',
    nameRule: 'path',
    singular: 'clusterrole',
    kind: 'ClusterRole',
    namespaced: false,
    fields: ['rules', 'aggregationRule']
  }),
  def({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'clusterrolebindings',
    nameRule: 'path',
    singular: 'clusterrolebinding',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    fields: ['roleRef', 'subjects']
  }),
  def({
    group: 'authentication.k8s.io',
    version: 'v1',
    plural: 'tokenreviews',
    singular: 'tokenreview',
    kind: 'TokenReview',
    namespaced: false,
    verbs: ['create']
  }),
  def({
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: ['create']
  })
];

/**
 * Istio's networking kinds (istio/api 1.24.6 kubernetes/customresourcedefinitions.gen.yaml): v1, v1beta1 and
 * v1alpha3 served, v1beta1 stored; served only once their CRDs are installed (see ./istio.ts).
 */
for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
  for (const [plural, kind, short] of [
    ['virtualservices', 'VirtualService', 'vs'],
    ['destinationrules', 'DestinationRule', 'dr']
  ]) {
    RESOURCES.push(
      def({
        group: 'networking.istio.io',
        version,
        plural,
        singular: kind.toLowerCase(),
        kind,
        namespaced: true,
        shortNames: [short],
        subresources: ['status'],
        categories: ['istio-io', 'networking-istio-io'],
        crd: `${plural}.networking.istio.io`,
        storageVersion: 'v1beta1'
      })
    );
  }
}

export function resKey(r: ResourceType): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

const BY_KEY = new Map(RESOURCES.map((r) => [resKey(r), r]));

export function findResource(r: ResourceType): ResourceDef | undefined {
  return BY_KEY.get(resKey(r));
}

export function findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `pods` or `pytorchjobs.kubeflow.org`, as the real server names a resource in messages. */
export function qualifiedName(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** Whether a resource is served now (a CRD-backed kind only while its CRD serves that version). */
export type Served = (r: ResourceDef) => boolean;
const ALL: Served = () => true;

export function groupVersions(served: Served = ALL): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES.filter(served)) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

/** The APIResourceList entries for one group/version. */
export function apiResources(group: string, version: string, served: Served = ALL): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version && served(x))) {
    out.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs ?? VERBS,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: Buffer.from(resKey(r)).toString('base64').slice(0, 11)
    });
    for (const sub of r.subresources) {
      const verbs =
        sub === 'log'
          ? ['get']
          : sub === 'portforward'
            ? ['create', 'get']
            : sub === 'token'
              ? ['create']
              : ['get', 'patch', 'update'];
      out.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind:
          sub === 'log'
            ? 'Pod'
            : sub === 'portforward'
              ? 'PodPortForwardOptions'
              : sub === 'scale'
                ? 'Scale'
                : sub === 'token'
                  ? 'TokenRequest'
                  : r.kind,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}),
        ...(sub === 'token' ? { group: 'authentication.k8s.io', version: 'v1' } : {}),
        verbs
      });
    }
  }
  return out;
}

/** The CRD object the sandbox serves for PyTorchJob (as the training operator's install would create it). */
export function pytorchJobCrd(): Record<string, unknown> {
  const schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'pytorchjobs.kubeflow.org', annotations: { 'controller-gen.kubebuilder.io/version': 'v0.6.0' } },
    spec: {
      group: 'kubeflow.org',
      names: { kind: 'PyTorchJob', listKind: 'PyTorchJobList', plural: 'pytorchjobs', singular: 'pytorchjob' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { jsonPath: '.status.conditions[-1:].type', name: 'State', type: 'string' },
            { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' }
          ],
          schema: { openAPIV3Schema: schema }
        }
      ]
    },
    status: {
      acceptedNames: { kind: 'PyTorchJob', listKind: 'PyTorchJobList', plural: 'pytorchjobs', singular: 'pytorchjob' },
      storedVersions: ['v1'],
      conditions: [
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted'
        }
      ]
    }
  };
}
