/**
 * The endpoints and endpointslice controllers of kube-controller-manager: for every Service with a selector, an
 * Endpoints object of the same name (ready pod IPs in `addresses`, unready ones in `notReadyAddresses`,
 * terminating pods left out) and one EndpointSlice (`<service>-<suffix>`, labelled
 * `kubernetes.io/service-name`, owned by the Service, every pod with its ready/serving/terminating conditions).
 * Ports resolve a named `targetPort` against each pod's container ports. Services without a selector are left
 * alone, as the real controllers leave them to their owner.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject, ObjectStore } from './contract.js';
import { deepEqual } from './patch.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SERVICES = { group: '', version: 'v1', plural: 'services' };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const ENDPOINTS = { group: '', version: 'v1', plural: 'endpoints' };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' };
const MANAGED_BY = 'endpointslice-controller.k8s.io';

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const isReady = (pod: KubeObject) =>
  ((pod.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True'
  );

/** A Service port's target on one pod: a number, or a named container port of that pod (undefined: none). */
function targetPort(port: any, pod: KubeObject): number | undefined {
  const t = port.targetPort ?? port.port;
  if (typeof t === 'number') return t;
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if (p.name === t && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

function desired(svc: KubeObject, pods: KubeObject[]) {
  const selector = svc.spec?.selector as Record<string, string>;
  const members = pods.filter(
    (p) => matches(selector, p.metadata.labels) && p.status?.podIP && !['Succeeded', 'Failed'].includes(p.status?.phase)
  );
  const ports = ((svc.spec?.ports ?? []) as any[]).map((sp) => ({
    sp,
    out: { ...(sp.name ? { name: sp.name } : {}), protocol: sp.protocol ?? 'TCP' }
  }));
  const ref = (p: KubeObject) => ({
    kind: 'Pod',
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    uid: p.metadata.uid
  });
  const address = (p: KubeObject) => ({
    ip: p.status.podIP,
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
    targetRef: ref(p)
  });
  // Endpoints: one subset per distinct port set (the sandbox's pods of one Service share their ports)
  const live = members.filter((p) => !p.metadata.deletionTimestamp);
  const subsetPorts = live.length
    ? ports.map(({ sp, out }) => ({ ...out, port: targetPort(sp, live[0]) })).filter((p) => p.port !== undefined)
    : [];
  const ready = live.filter(isReady).map(address);
  const notReady = live.filter((p) => !isReady(p)).map(address);
  const subsets =
    ready.length + notReady.length && subsetPorts.length
      ? [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ports: subsetPorts
          }
        ]
      : undefined;
  const sliceEndpoints = members.map((p) => {
    const terminating = !!p.metadata.deletionTimestamp;
    return {
      addresses: [p.status.podIP],
      conditions: { ready: isReady(p) && !terminating, serving: isReady(p), terminating },
      ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
      targetRef: ref(p)
    };
  });
  const slicePorts = members.length
    ? ports.map(({ sp, out }) => ({ ...out, port: targetPort(sp, members[0]) })).filter((p) => p.port !== undefined)
    : [];
  return { subsets, sliceEndpoints, slicePorts };
}

export class EndpointsController {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ObjectStore) {
    this.unsubscribe = store.subscribe((ev) => {
      const r = ev.resource;
      if (r.group === '' && (r.plural === 'services' || r.plural === 'pods')) {
        this.pending.add(ev.object.metadata.namespace ?? 'default');
        if (r.plural === 'services' && ev.type === 'DELETED') this.removeFor(ev.object);
        this.schedule();
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.pending.clear();
  }

  /** Coalesce a burst of pod changes into one pass per namespace, after the writes that caused them. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const namespaces = [...this.pending];
      this.pending.clear();
      for (const ns of namespaces) this.syncNamespace(ns);
    });
  }

  private removeFor(svc: KubeObject): void {
    const ns = svc.metadata.namespace;
    if (this.store.get(ENDPOINTS, ns, svc.metadata.name)) this.store.delete(ENDPOINTS, ns, svc.metadata.name);
  }

  private syncNamespace(ns: string): void {
    const pods = this.store.list(PODS, ns).items;
    for (const svc of this.store.list(SERVICES, ns).items) {
      if (!svc.spec?.selector || svc.spec?.type === 'ExternalName') continue;
      try {
        this.sync(svc, pods);
      } catch (err) {
        // a write racing with the Service's deletion: the next change syncs again
        process.emitWarning(`endpoints controller: ${svc.metadata.name}: ${(err as Error).message}`);
      }
    }
  }

  private sync(svc: KubeObject, pods: KubeObject[]): void {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name;
    const { subsets, sliceEndpoints, slicePorts } = desired(svc, pods);
    const labels = { ...(svc.metadata.labels ?? {}) };
    const ep = this.store.get(ENDPOINTS, ns, name);
    const epBody = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns, labels },
      ...(subsets ? { subsets } : {})
    };
    if (!ep) this.store.create(ENDPOINTS, epBody as KubeObject);
    else if (!deepEqual(ep.subsets, subsets) || !deepEqual(ep.metadata.labels ?? {}, labels))
      this.store.update(ENDPOINTS, { ...epBody, metadata: { ...ep.metadata, labels } } as KubeObject);

    const sliceLabels = {
      ...labels,
      'kubernetes.io/service-name': name,
      'endpointslice.kubernetes.io/managed-by': MANAGED_BY
    };
    const slice = this.store
      .list(SLICES, ns, { labelSelector: `kubernetes.io/service-name=${name}` })
      .items.find((s) => s.metadata.ownerReferences?.some((o) => o.uid === svc.metadata.uid));
    const body = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      addressType: 'IPv4',
      endpoints: sliceEndpoints,
      ports: slicePorts
    };
    if (!slice) {
      this.store.create(SLICES, {
        ...body,
        metadata: {
          name: `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
          generateName: `${name}-`,
          namespace: ns,
          labels: sliceLabels,
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              name,
              uid: svc.metadata.uid!,
              controller: true,
              blockOwnerDeletion: true
            }
          ]
        }
      } as KubeObject);
    } else if (!deepEqual(slice.endpoints, sliceEndpoints) || !deepEqual(slice.ports, slicePorts)) {
      this.store.update(SLICES, { ...slice, ...body, metadata: slice.metadata } as KubeObject);
    }
  }
}
