/**
 * The sandbox's data plane: a router that sends an inference request for a Service host to one serving pod, as
 * an Istio sidecar would (the VirtualService's weighted destinations, each destination's subset labels from the
 * DestinationRule) or, without a VirtualService, as kube-proxy would (the Service's ready endpoints, in turn);
 * and simulated users that send requests through it at a steady rate on the scenario clock. So a canary's
 * traffic split, the metrics each version's Triton counts, and a rollback are real in the sandbox.
 *
 * Leaves out: matches other than the first http rule, retries, timeouts, fault injection, mirroring, ports other
 * than Triton's http port, cross-namespace hosts. A destination picked by weight uses smooth weighted round robin
 * (nginx's), not Envoy's random choice: the split over N requests is exact, so tests can count it.
 */
import http from 'node:http';
import type { KubeObject, ObjectStore } from '../kube/contract.js';
import type { ScenarioClock } from '../clock.js';

const SERVICES = { group: '', version: 'v1', plural: 'services' };
const ENDPOINTS = { group: '', version: 'v1', plural: 'endpoints' };
const PODS = { group: '', version: 'v1', plural: 'pods' };
const VS = { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' };
const DR = { group: 'networking.istio.io', version: 'v1beta1', plural: 'destinationrules' };
const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

export interface PortLookup {
  localPort(namespace: string, pod: string, containerPort: number): number | undefined;
}

/** Where one request went and how it ended. */
export interface Delivery {
  readonly pod?: string;
  readonly version?: string;
  /** HTTP status; 503 when no pod could take it (Envoy's `no healthy upstream`). */
  readonly status: number;
}

type Obj = Record<string, unknown>;

const matches = (labels: Record<string, string> | undefined, sel: Record<string, string>) =>
  Object.entries(sel).every(([k, v]) => labels?.[k] === v);

const isReady = (p: KubeObject) =>
  !p.metadata.deletionTimestamp &&
  ((p.status?.conditions ?? []) as { type: string; status: string }[]).some(
    (c) => c.type === 'Ready' && c.status === 'True'
  );

export class Router {
  /** Smooth weighted round robin state per VirtualService destination list, and round robin per pod list. */
  private readonly current = new Map<string, number[]>();
  private readonly turn = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly ports: PortLookup
  ) {}

  private istioInstalled(): boolean {
    return this.store.get(CRDS, undefined, 'virtualservices.networking.istio.io') !== undefined;
  }

  /** The pods one request for `host` may go to, chosen the way the mesh (or kube-proxy) chooses. */
  pick(namespace: string, host: string): KubeObject | undefined {
    const svc = this.store.get(SERVICES, namespace, host);
    if (!svc) return undefined;
    const selector = (svc.spec?.selector ?? {}) as Record<string, string>;
    const vs = this.istioInstalled() ? this.virtualServiceFor(namespace, host) : undefined;
    if (vs) {
      const routes = ((((vs.spec?.http ?? []) as Obj[])[0]?.route ?? []) as Obj[]).filter((r) => r.destination);
      const dest = this.weighted(`${namespace}/${vs.metadata.name}`, routes);
      if (!dest) return undefined;
      const subset = String(dest.subset ?? '');
      let labels: Record<string, string> = {};
      if (subset) {
        const dr = this.store
          .list(DR, namespace)
          .items.find((d) => this.sameHost(String(d.spec?.host ?? ''), namespace, host));
        const s = ((dr?.spec?.subsets ?? []) as { name: string; labels?: Record<string, string> }[]).find(
          (x) => x.name === subset
        );
        if (!s) return undefined; // Envoy: no cluster for the subset → 503
        labels = s.labels ?? {};
      }
      const pods = this.store
        .list(PODS, namespace)
        .items.filter((p) => matches(p.metadata.labels, selector) && matches(p.metadata.labels, labels) && isReady(p));
      return this.inTurn(`${namespace}/${host}/${subset}`, pods);
    }
    const ep = this.store.get(ENDPOINTS, namespace, host);
    const names = ((ep?.subsets ?? []) as { addresses?: { targetRef?: { name?: string } }[] }[])
      .flatMap((s) => s.addresses ?? [])
      .map((a) => a.targetRef?.name)
      .filter((n): n is string => !!n);
    const pods = names.map((n) => this.store.get(PODS, namespace, n)).filter((p): p is KubeObject => !!p);
    return this.inTurn(`${namespace}/${host}`, pods);
  }

  private sameHost(h: string, namespace: string, host: string): boolean {
    return h === host || h === `${host}.${namespace}` || h === `${host}.${namespace}.svc.cluster.local`;
  }

  private virtualServiceFor(namespace: string, host: string): KubeObject | undefined {
    return this.store
      .list(VS, namespace)
      .items.find((v) => ((v.spec?.hosts ?? []) as string[]).some((h) => this.sameHost(h, namespace, host)));
  }

  /** Smooth weighted round robin over the destinations (a single destination takes all; weight 0 none). */
  private weighted(key: string, routes: Obj[]): Obj | undefined {
    if (routes.length === 1) return routes[0].destination as Obj;
    const weights = routes.map((r) => Math.max(0, Number(r.weight ?? 0)));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) return undefined;
    const sig = `${key}:${weights.join(',')}`;
    const cur = this.current.get(sig) ?? weights.map(() => 0);
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      cur[i] += weights[i];
      if (cur[i] > cur[best]) best = i;
    }
    cur[best] -= total;
    this.current.set(sig, cur);
    return routes[best].destination as Obj;
  }

  private inTurn(key: string, pods: KubeObject[]): KubeObject | undefined {
    if (pods.length === 0) return undefined;
    const sorted = [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const n = this.turn.get(key) ?? 0;
    this.turn.set(key, n + 1);
    return sorted[n % sorted.length];
  }

  /** Sends one request body to `host`'s chosen pod (Triton's http port 8000) and says how it ended. */
  async send(namespace: string, host: string, path: string, body: object): Promise<Delivery> {
    const pod = this.pick(namespace, host);
    const version = pod?.metadata.labels?.servingVersion;
    const port = pod && this.ports.localPort(namespace, pod.metadata.name, 8000);
    if (!pod || !port) return { status: 503, ...(pod ? { pod: pod.metadata.name, version } : {}) };
    const status = await post(port, path, body).catch(() => 503);
    return { pod: pod.metadata.name, version, status };
  }
}

function post(port: number, path: string, body: object): Promise<number> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(text);
  });
}

export interface TrafficOptions {
  readonly namespace: string;
  /** The Service the users call (the serving name). */
  readonly host: string;
  /** The Triton model name. */
  readonly model: string;
  /** Requests per scenario second. */
  readonly rate: number;
  /** Generated tokens per request (default 4). */
  readonly outputLength?: number;
}

export interface TrafficHandle {
  /** Requests per serving version: answered (2xx) and failed (any other status, 503 when unroutable). */
  counts(): Record<string, { ok: number; failed: number }>;
  stop(): Promise<void>;
}

/** A KServe v2 request a user would send: a few token ids, greedy, a short completion. */
export function userRequest(outputLength: number): object {
  const ids = [1, 2, 3];
  return {
    inputs: [
      { name: 'input_ids', shape: [1, ids.length], datatype: 'UINT32', data: ids },
      { name: 'input_lengths', shape: [1, 1], datatype: 'UINT32', data: [ids.length] },
      { name: 'request_output_len', shape: [1, 1], datatype: 'UINT32', data: [outputLength] }
    ],
    outputs: [{ name: 'output_ids' }]
  };
}

/** Simulated users: one request every 1/rate scenario seconds, each on its own (a slow answer blocks none). */
export function startTraffic(router: Router, clock: ScenarioClock, o: TrafficOptions): TrafficHandle {
  const stop = new AbortController();
  const counts: Record<string, { ok: number; failed: number }> = {};
  const inFlight = new Set<Promise<void>>();
  const body = userRequest(o.outputLength ?? 4);
  const path = `/v2/models/${encodeURIComponent(o.model)}/infer`;
  const one = async (): Promise<void> => {
    const d = await router.send(o.namespace, o.host, path, body);
    const c = (counts[d.version ?? '(none)'] ??= { ok: 0, failed: 0 });
    if (d.status >= 200 && d.status < 300) c.ok++;
    else c.failed++;
  };
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const p = one().catch(() => undefined);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await clock.sleep(1 / o.rate, stop.signal);
    }
  })();
  return {
    counts: () => JSON.parse(JSON.stringify(counts)) as Record<string, { ok: number; failed: number }>,
    async stop() {
      stop.abort();
      await loop;
      await Promise.all([...inFlight]);
    }
  };
}
