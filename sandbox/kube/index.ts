/**
 * The sandbox Kubernetes API server: HTTPS with its own CA, bearer tokens (an admin and a read-only user),
 * the object store and pod runtime the controllers use (contract.ts), and kubeconfig files for both users.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import selfsigned from 'selfsigned';
import { stringify as toYaml } from 'yaml';
import type { ScenarioClock } from '../clock.js';
import type { FaultRegistry } from '../faults.js';
import type { KubeObject, ObjectStore, PodRuntime } from './contract.js';
import { EndpointsController } from './endpoints.js';
import { PortForwarder } from './portforward.js';
import { pytorchJobCrd } from './resources.js';
import { istioCrds } from './istio.js';
import { Runtime } from './runtime.js';
import { bootstrapPolicy, type User } from './rbac.js';
import { resKey, RESOURCES } from './resources.js';
import { ApiServer } from './server.js';
import { Store } from './store.js';
import { Watches } from './watch.js';

export { StatusError } from './contract.js';
export type { KubeObject, ObjectStore, PodRuntime, ResourceType, WatchEvent } from './contract.js';

export interface KubeOptions {
  faults: FaultRegistry;
  clock: ScenarioClock;
  /** Directory for the kubeconfig files. */
  dir: string;
  /** The working namespace (default `default-group`); `default` and `kube-system` exist too. */
  namespace?: string;
  /** A kubelet (the operator) finishes deleted pods: DELETE of a running pod leaves it Terminating until then. */
  gracefulPodDeletion?: boolean;
  /** Install Istio's networking CRDs (VirtualService, DestinationRule), as a service mesh would. */
  istio?: boolean;
}

export interface KubeHandle {
  endpoint: string;
  kubeconfigPath: string;
  readOnlyKubeconfigPath: string;
  namespace: string;
  /** The admin user's bearer token. */
  token: string;
  /** The read-only user's (`ci-readonly`) bearer token. */
  readOnlyToken: string;
  /** Base64 of the CA certificate PEM, as in the kubeconfig's `certificate-authority-data`. */
  caData: string;
  /**
   * Create objects as the admin would with `kubectl create -f` (a manifest's documents: ServiceAccounts, Roles,
   * bindings…), each in its own `metadata.namespace` or the working namespace.
   */
  applyManifest(objects: KubeObject[]): void;
  /**
   * A kubeconfig (written to `dir`) whose user is the ServiceAccount's bearer token, as `kubectl create token`
   * gives one: every request is authorized by RBAC as `system:serviceaccount:<namespace>:<name>`.
   */
  serviceAccountKubeconfig(name: string, namespace?: string): Promise<{ path: string; token: string; user: string }>;
  store: ObjectStore;
  pods: PodRuntime;
  /** Every resourceVersion older than now becomes too old to watch from (410 Gone). */
  compact(): void;
  /** End all open watch streams. */
  dropWatches(): void;
  stop(): Promise<void>;
}

async function makeCertificates(): Promise<{ ca: string; cert: string; key: string }> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'sandbox-kube-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
    ]
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86400_000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes.default.svc' }
        ]
      }
    ]
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}

function kubeconfig(endpoint: string, caData: string, user: string, token: string, namespace: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server: endpoint, 'certificate-authority-data': caData } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: `${user}@sandbox`, context: { cluster: 'sandbox', user, namespace } }],
    'current-context': `${user}@sandbox`,
    preferences: {}
  });
}

export async function startKube(opts: KubeOptions): Promise<KubeHandle> {
  const namespace = opts.namespace ?? 'default-group';
  const store = new Store();
  for (const ns of new Set(['default', 'kube-system', namespace])) {
    store.create(
      { group: '', version: 'v1', plural: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }
    );
  }
  store.create(
    { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' },
    pytorchJobCrd() as never
  );
  if (opts.istio) {
    for (const crd of istioCrds())
      store.create({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' }, crd);
  }

  if (opts.gracefulPodDeletion) store.enableGracefulPodDeletion();
  const runtime = new Runtime(store);
  const endpointsController = new EndpointsController(store);
  const watches = new Watches(store, () => Math.max(50, opts.clock.realMs(60)));
  const forwarder = new PortForwarder();
  const token = randomBytes(24).toString('hex');
  const readOnlyToken = randomBytes(24).toString('hex');
  const authenticated = ['system:authenticated'];
  // the admin is in system:masters (bound to cluster-admin, as kubeadm's admin.conf user is); the read-only
  // user is bound to the `view` ClusterRole; ServiceAccounts get whatever their bindings grant
  const users = new Map<string, User>([
    [token, { name: 'sandbox-admin', groups: ['system:masters', ...authenticated] }],
    [readOnlyToken, { name: 'ci-readonly', groups: authenticated }]
  ]);
  for (const o of bootstrapPolicy('ci-readonly')) store.create(defOf(o), o);
  const issueToken = (ns: string, name: string): string => {
    const sa = store.get({ group: '', version: 'v1', plural: 'serviceaccounts' }, ns, name);
    if (!sa) throw new Error(`serviceaccounts "${name}" not found in namespace ${ns}`);
    const t = randomBytes(24).toString('hex');
    users.set(t, {
      name: `system:serviceaccount:${ns}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, ...authenticated],
      serviceAccount: { namespace: ns, name, uid: String(sa.metadata.uid) }
    });
    return t;
  };
  const api = new ApiServer({ store, runtime, watches, forwarder, faults: opts.faults, users, issueToken });

  const certs = await makeCertificates();
  const server = https.createServer({ cert: certs.cert, key: certs.key });
  server.on('request', (req, res) => void api.handle(req, res));
  server.on('upgrade', (req, socket, head) => void api.upgrade(req, socket, head));
  server.on('clientError', (_e, socket) => {
    // Like Go's server, answer a request still in flight on this socket first (e.g. a DELETE whose body was
    // sent without Content-Length, so the body parses as a malformed next request), then refuse the garbage.
    const refuse = () =>
      socket.writable ? socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n') : socket.destroy();
    const inFlight = (socket as unknown as { _httpMessage?: import('node:http').ServerResponse })._httpMessage;
    if (inFlight && !inFlight.writableFinished) inFlight.once('finish', refuse).once('close', refuse);
    else refuse();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caData = Buffer.from(certs.ca).toString('base64');
  const kubeconfigPath = path.join(opts.dir, 'kubeconfig');
  const readOnlyKubeconfigPath = path.join(opts.dir, 'kubeconfig-readonly');
  await writeFile(kubeconfigPath, kubeconfig(endpoint, caData, 'sandbox-admin', token, namespace), { mode: 0o600 });
  await writeFile(readOnlyKubeconfigPath, kubeconfig(endpoint, caData, 'ci-readonly', readOnlyToken, namespace), {
    mode: 0o600
  });

  const applyManifest = (objects: KubeObject[]): void => {
    for (const o of objects) {
      const def = defOf(o);
      store.create(def, def.namespaced ? { ...o, metadata: { namespace, ...o.metadata } } : o);
    }
  };
  const serviceAccountKubeconfig = async (name: string, ns = namespace) => {
    const t = issueToken(ns, name);
    const file = path.join(opts.dir, `kubeconfig-${ns}-${name}`);
    const user = `system:serviceaccount:${ns}:${name}`;
    await writeFile(file, kubeconfig(endpoint, caData, name, t, ns), { mode: 0o600 });
    return { path: file, token: t, user };
  };

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    kubeconfigPath,
    readOnlyKubeconfigPath,
    namespace,
    token,
    readOnlyToken,
    caData,
    applyManifest,
    serviceAccountKubeconfig,
    store,
    pods: runtime,
    compact: () => store.compact(),
    dropWatches: () => watches.dropAll(),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        endpointsController.stop();
        watches.dropAll();
        forwarder.close();
        runtime.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }))
  };
}

/** The resource of a manifest document, from its apiVersion and kind. */
function defOf(o: KubeObject) {
  const def = RESOURCES.find(
    (r) => (r.group ? `${r.group}/${r.version}` : r.version) === o.apiVersion && r.kind === o.kind
  );
  if (!def) throw new Error(`the sandbox API server does not serve ${o.apiVersion} ${o.kind}`);
  return { group: def.group, version: def.version, plural: def.plural, namespaced: def.namespaced, key: resKey(def) };
}
