/**
 * Istio's `networking.istio.io` VirtualService and DestinationRule in the sandbox API server: the CRDs an
 * Istio (ACK service mesh) install creates, which make the kinds served, and the rules of Istio's validating
 * webhook `validation.istio.io` that the canary's objects meet. Fakes only what the product relies on: hosts,
 * http routes with weighted destinations, subsets with labels. Not modelled: gateways' own rules, tcp/tls
 * routes' contents, traffic policies, exportTo, header rules, match overlap warnings.
 * Sources: istio/api and istio/istio at 1.24.6 (see README.md's conformance table).
 */
import type { KubeObject, ObjectStore } from './contract.js';
import { RESOURCES, type ResourceDef, type Served } from './resources.js';
import { ApiError } from './status.js';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** CRD-backed kinds are served while their CRD exists and lists the version as served (as the real server). */
export function servedBy(store: Pick<ObjectStore, 'get'>): Served {
  return (r: ResourceDef) => {
    if (!r.crd) return true;
    const crd = store.get(CRDS, undefined, r.crd);
    const versions = (crd?.spec?.versions ?? []) as { name: string; served?: boolean }[];
    return versions.some((v) => v.name === r.version && v.served === true);
  };
}

/** A path under a CRD-backed group none of whose kinds is served now (`/apis/networking.istio.io/...`). */
export function uninstalledGroup(path: string, served: Served): boolean {
  const g = /^\/apis\/([^/]+)(?:\/|$)/.exec(path)?.[1];
  if (!g) return false;
  const defs = RESOURCES.filter((r) => r.group === g);
  return defs.length > 0 && defs.every((r) => r.crd) && !defs.some(served);
}

/** The two CRDs as istio/api 1.24.6 declares them (schemas left open: the webhook below validates). */
export function istioCrds(): KubeObject[] {
  const crd = (plural: string, kind: string, short: string): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.networking.istio.io`, labels: { app: 'istio-pilot', release: 'istio' } },
    spec: {
      group: 'networking.istio.io',
      names: {
        categories: ['istio-io', 'networking-istio-io'],
        kind,
        listKind: `${kind}List`,
        plural,
        shortNames: [short],
        singular: kind.toLowerCase()
      },
      scope: 'Namespaced',
      versions: ['v1', 'v1alpha3', 'v1beta1'].map((name) => ({
        name,
        served: true,
        storage: name === 'v1beta1',
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }
      }))
    }
  });
  return [crd('virtualservices', 'VirtualService', 'vs'), crd('destinationrules', 'DestinationRule', 'dr')];
}

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

function destinationErrors(d: Obj | undefined): string[] {
  if (!d) return ['destination is required'];
  const out: string[] = [];
  const host = String(d.host ?? '');
  if (host === '*') out.push(`invalid destination host ${host}`);
  else if (!host) out.push('empty domain name not allowed');
  if (d.subset !== undefined && d.subset !== '') {
    if (!DNS1123_LABEL.test(String(d.subset))) out.push(`subset name is invalid: ${String(d.subset)}`);
  }
  return out;
}

function virtualServiceErrors(spec: Obj): string[] {
  const out: string[] = [];
  for (const h of list(spec.hosts)) if (String(h) === '') out.push('empty domain name not allowed');
  const http = list(spec.http);
  if (http.length === 0 && list(spec.tcp).length === 0 && list(spec.tls).length === 0)
    out.push('http, tcp or tls must be provided in virtual service');
  for (const rule of http) {
    const routes = list(rule.route);
    let total = 0;
    for (const r of routes) {
      out.push(...destinationErrors(r.destination as Obj | undefined));
      const w = Number(r.weight ?? 0);
      if (w < 0) out.push(`weight ${w} < 0`);
      total += w;
    }
    if (routes.length > 1 && total === 0) out.push('total destination weight = 0');
  }
  return out;
}

function destinationRuleErrors(spec: Obj): string[] {
  const out: string[] = [];
  if (!spec.host) out.push('empty domain name not allowed');
  const seen = new Set<string>();
  for (const s of list(spec.subsets)) {
    const name = String(s.name ?? '');
    if (seen.has(name)) out.push(`duplicate subset names: ${name}`);
    seen.add(name);
    if (!name) out.push('subset name cannot be empty');
    else if (!DNS1123_LABEL.test(name)) out.push(`subset name is invalid: ${name}`);
  }
  return out;
}

/**
 * The webhook's verdict on a create or update: 400 `admission webhook "validation.istio.io" denied the request:
 * configuration is invalid: <err>` (several errors in Istio's multierror format).
 */
export function validateIstio(def: ResourceDef, obj: KubeObject): void {
  if (def.group !== 'networking.istio.io') return;
  const spec = (obj.spec ?? {}) as Obj;
  const errs = def.kind === 'VirtualService' ? virtualServiceErrors(spec) : destinationRuleErrors(spec);
  if (errs.length === 0) return;
  const text =
    errs.length === 1 ? errs[0] : `${errs.length} errors occurred:\n\t${errs.map((e) => `* ${e}`).join('\n\t')}\n`;
  throw new ApiError(
    400,
    'BadRequest',
    `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${text}`
  );
}
