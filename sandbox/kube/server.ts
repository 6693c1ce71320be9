/**
 * The HTTP layer: authentication and a two-user authorizer, fault injection, routing of
 * `/api/v1/...` and `/apis/<g>/<v>/...` onto the resource table, and the verbs (list/watch, get, create,
 * update, patch in four flavours, delete, deletecollection) with dryRun and fieldValidation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeObject } from './contract.js';
import type { FaultRegistry } from '../faults.js';
import type { RecordedRequest } from '../types.js';
import { discovery, openapiV3 } from './discovery.js';
import { servedBy, uninstalledGroup } from './istio.js';
import type { Served } from './resources.js';
import { sendError, sendJson } from './http.js';
import { handleLog } from './logs.js';
import { decodeProtobuf } from './protobuf.js';
import { jsonPatch, mergePatch, strategicMergePatch, clone } from './patch.js';
import type { PortForwarder } from './portforward.js';
import { apiVersionOf } from './resources.js';
import { applyStreamFault, dryRunOf, managerOf, parseBody, readBody, validationOf } from './request.js';
import { authorize, type Attributes } from './rbac.js';
import { attributesOf, authenticate, NOT_FOUND, route, verbOf, type Route, type User } from './routing.js';
import type { Runtime } from './runtime.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, forbidden, invalid, notFound, reasonForCode, statusBody } from './status.js';
import type { Store } from './store.js';
import { includeObjectOf, toTable, wantsTable } from './table.js';
import { checkUnknownFields } from './validate.js';
import type { Watches } from './watch.js';

const SERVICE_ACCOUNTS = { group: '', version: 'v1', plural: 'serviceaccounts' };

export interface ServerDeps {
  store: Store;
  runtime: Runtime;
  watches: Watches;
  forwarder: PortForwarder;
  faults: FaultRegistry;
  users: Map<string, User>;
  /** TokenRequest (`serviceaccounts/<name>/token`): a new bearer token for that ServiceAccount. */
  issueToken(namespace: string, serviceAccount: string): string;
}

/** A non-resource request's attributes (`/api`, `/openapi/v3`, `/version`): the verb is the lower-case method. */
function nonResource(user: User, method: string, path: string): Attributes {
  return { user, verb: method.toLowerCase() === 'head' ? 'get' : method.toLowerCase(), resourceRequest: false, path };
}

/** kubernetes/kubernetes pkg/registry/batch/job/storage/storage.go `deleteOptionWarnings`. */
const JOB_ORPHAN_WARNING =
  'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning';

export class ApiServer {
  /** CRD-backed kinds (Istio's) are served only while their CRD is installed. */
  private readonly served: Served;

  constructor(private readonly d: ServerDeps) {
    this.served = servedBy(d.store);
  }

  private record(req: IncomingMessage): RecordedRequest {
    return this.d.faults.record({
      service: 'kube',
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      at: Date.now()
    });
  }

  /** RBAC over the store's roles and bindings; a denial is the real Forbidden Status. */
  private authorize(a: Attributes): void {
    const d = authorize(this.d.store, a);
    if (!d.allowed) throw forbidden(a, d.reason);
  }

  /** A bearer token's user; a ServiceAccount's token stops working when the ServiceAccount is gone. */
  private user(req: IncomingMessage): User | undefined {
    const u = authenticate(req, this.d.users);
    if (u?.serviceAccount) {
      const sa = this.d.store.get(SERVICE_ACCOUNTS, u.serviceAccount.namespace, u.serviceAccount.name);
      if (!sa || sa.metadata.uid !== u.serviceAccount.uid) return undefined;
    }
    return u;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rec = this.record(req);
    res.on('finish', () => (rec.status = res.statusCode));
    try {
      const fault = this.d.faults.take('kube', req.method ?? 'GET', req.url ?? '/');
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault?.kind === 'status') {
        const reason = reasonForCode(fault.status);
        const details = fault.retryAfterSeconds ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined;
        sendJson(
          res,
          fault.status,
          statusBody(fault.status, reason, fault.message ?? faultMessage(fault.status, reason), details),
          fault.retryAfterSeconds ? { 'Retry-After': String(fault.retryAfterSeconds) } : {}
        );
        return;
      }
      if (fault) applyStreamFault(res, fault);
      await this.dispatch(req, res);
    } catch (e) {
      sendError(res, e);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    const user = this.user(req);
    if (!user) {
      sendJson(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (req.method === 'GET') {
      const doc = discovery(path, this.served) ?? openapiV3(path, this.served);
      if (doc) {
        this.authorize(nonResource(user, 'GET', path));
        sendJson(res, 200, doc);
        return;
      }
    }
    if (uninstalledGroup(path, this.served)) {
      // no handler is registered for a group whose CRDs are gone: the API server's NotFoundHandler answers
      this.authorize(nonResource(user, req.method ?? 'GET', path));
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const r = route(path, this.served);
    if (!r) {
      this.authorize(nonResource(user, req.method ?? 'GET', path));
      throw NOT_FOUND();
    }
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = verbOf(req.method ?? 'GET', r, watch);
    const attrs = attributesOf(user, verb, r, path, q);
    this.authorize(attrs);
    if (r.def.plural === 'selfsubjectaccessreviews') return this.review(req, res, r, q, user);
    if (r.def.plural === 'tokenreviews') return this.tokenReview(req, res, r, q);
    if (r.def.plural === 'serviceaccounts' && r.sub === 'token') return this.tokenRequest(req, res, r);
    if (r.sub === 'log' && req.method === 'GET') {
      handleLog(req, res, this.d.store, this.d.runtime, r.namespace!, r.name!, q);
      return;
    }
    if (r.sub === 'portforward') throw badRequest('Upgrade request required');
    if (r.sub === 'scale') return this.scale(req, res, r, q);
    switch (verb) {
      case 'list':
      case 'watch':
        return this.list(req, res, r, q, watch);
      case 'get':
        return this.get(req, res, r, q);
      case 'create':
        return this.create(req, res, r, q);
      case 'update':
        return this.update(req, res, r, q);
      case 'patch':
        return this.patch(req, res, r, q, attrs);
      case 'delete':
        return this.remove(req, res, r, q);
      case 'deletecollection':
        return this.removeCollection(req, res, r, q);
      default:
        throw new ApiError(405, 'BadRequest', `the server does not allow this method on the requested resource`);
    }
  }

  private list(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams, watch: boolean): void {
    const byLabel = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const byField = parseFieldSelector(r.def, q.get('fieldSelector') ?? undefined);
    const table = wantsTable(req.headers.accept);
    const rv = q.get('resourceVersion');
    if (rv && !/^\d+$/.test(rv))
      throw badRequest(`resourceVersion: Invalid value: "${rv}": strconv.ParseUint: parsing "${rv}": invalid syntax`);
    if (watch) {
      this.d.watches.serve(req, res, {
        def: r.def,
        namespace: r.namespace,
        matches: (o) => byLabel(o) && byField(o),
        resourceVersion: q.get('resourceVersion') ?? undefined,
        timeoutSeconds: q.get('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        table: table ? includeObjectOf(q) : false
      });
      return;
    }
    const { items, resourceVersion } = this.d.store.list(r.def, r.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined
    });
    let start = 0;
    const cont = q.get('continue');
    if (cont) {
      const m = /^(\d+):(\d+)$/.exec(Buffer.from(cont, 'base64').toString());
      if (!m) throw badRequest('continue key is not valid: illegal base64 data');
      start = Number(m[2]);
    }
    const limit = Number(q.get('limit') ?? 0);
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const more = limit > 0 && start + limit < items.length;
    const meta: Record<string, unknown> = { resourceVersion };
    if (more) {
      meta.continue = Buffer.from(`${resourceVersion}:${start + limit}`).toString('base64');
      meta.remainingItemCount = items.length - start - limit;
    }
    if (table) sendJson(res, 200, toTable(r.def, page, meta, includeObjectOf(q)));
    else sendJson(res, 200, { kind: r.def.listKind, apiVersion: apiVersionOf(r.def), metadata: meta, items: page });
  }

  private get(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): void {
    const o = this.d.store.get(r.def, r.namespace, r.name!);
    if (!o) throw notFound(r.def, r.name!);
    if (wantsTable(req.headers.accept))
      sendJson(res, 200, toTable(r.def, [o], { resourceVersion: o.metadata.resourceVersion }, includeObjectOf(q)));
    else sendJson(res, 200, o);
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    const ct = String(req.headers['content-type'] ?? 'application/json');
    if (/protobuf/.test(ct)) return decodeProtobuf(await readBody(req));
    if (/cbor/.test(ct))
      throw new ApiError(
        415,
        'BadRequest',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`
      );
    return parseBody(await readBody(req), ct);
  }

  /** The object from a request body, checked against the URL (kind, namespace, name). */
  private checkBody(
    r: Route,
    body: unknown,
    q: URLSearchParams,
    apply = false
  ): { obj: KubeObject; warnings: string[] } {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    const obj = body as KubeObject;
    // Typed endpoints default a missing kind/apiVersion from the URL; apply requires both.
    if (!obj.kind && apply) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    obj.kind = obj.kind ?? r.def.kind;
    if (obj.kind !== r.def.kind || (obj.apiVersion && obj.apiVersion !== apiVersionOf(r.def))) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r.def)})`
      );
    }
    obj.apiVersion = apiVersionOf(r.def);
    if (
      obj.metadata !== undefined &&
      (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))
    ) {
      throw badRequest(
        `${r.def.kind} in version "${r.def.version}" cannot be handled as a ${r.def.kind}: json: cannot unmarshal ${typeof obj.metadata} into Go struct field ${r.def.kind}.metadata of type v1.ObjectMeta`
      );
    }
    obj.metadata = (obj.metadata ?? {}) as KubeObject['metadata'];
    if (r.def.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== r.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = r.namespace;
    }
    if (r.name !== undefined && obj.metadata.name && obj.metadata.name !== r.name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${r.name})`);
    }
    if (r.name !== undefined) obj.metadata.name = r.name;
    const warnings = r.sub ? [] : checkUnknownFields(r.def, obj, validationOf(q), apply);
    return { obj, warnings };
  }

  private respond(res: ServerResponse, code: number, obj: unknown, warnings: string[]): void {
    const headers: Record<string, string> = {};
    if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
    sendJson(res, code, obj, headers);
  }

  private async create(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): Promise<void> {
    if (r.name)
      throw new ApiError(405, 'BadRequest', 'the server does not allow this method on the requested resource');
    const { obj, warnings } = this.checkBody(r, await this.body(req), q);
    const created = this.d.store.createWith(r.def, obj, { manager: managerOf(req, q), dryRun: dryRunOf(q) });
    this.respond(res, 201, created, warnings);
  }

  private async update(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): Promise<void> {
    const { obj, warnings } = this.checkBody(r, await this.body(req), q);
    const sub = r.sub === 'status' ? 'status' : undefined;
    // custom resources have no unconditional update: PUT must carry the resourceVersion it read
    if (r.def.group === 'kubeflow.org' && !obj.metadata.resourceVersion) {
      throw invalid(r.def, r.def.kind, r.name ?? '', [
        { field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }
      ]);
    }
    const updated = this.d.store.updateWith(r.def, obj, {
      manager: managerOf(req, q),
      dryRun: dryRunOf(q),
      subresource: sub
    });
    this.respond(res, 200, updated, warnings);
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    r: Route,
    q: URLSearchParams,
    attrs: Attributes
  ): Promise<void> {
    const ct = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const dryRun = dryRunOf(q);
    const sub = r.sub === 'status' ? 'status' : undefined;
    if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') {
      if (!q.get('fieldManager'))
        throw badRequest('PATCH /apply requires fieldManager: fieldManager is required for apply requests');
      const { obj, warnings } = this.checkBody(r, await this.body(req), q, true);
      const force = q.get('force') === 'true';
      // an apply that creates the object is also authorized as `create` (handlers/patch.go)
      if (!sub && !this.d.store.get(r.def, r.namespace, r.name!)) this.authorize({ ...attrs, verb: 'create' });
      const out = this.d.store.apply(r.def, r.namespace, r.name!, obj, {
        manager: managerOf(req, q),
        force,
        dryRun,
        subresource: sub
      });
      this.respond(res, out.created ? 201 : 200, out.object, warnings);
      return;
    }
    const patch = parseBody(await readBody(req), 'application/json');
    const cur = this.d.store.get(r.def, r.namespace, r.name!);
    if (!cur) throw notFound(r.def, r.name!);
    let next: unknown;
    if (ct === 'application/json-patch+json') next = jsonPatch(cur, patch);
    else if (ct === 'application/merge-patch+json') next = mergePatch(cur, patch);
    else if (ct === 'application/strategic-merge-patch+json') {
      if (!r.def.group || r.def.group === 'apps' || r.def.group === 'batch') next = strategicMergePatch(cur, patch);
      else
        throw new ApiError(
          415,
          'BadRequest',
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
        );
    } else {
      throw new ApiError(
        415,
        'BadRequest',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`
      );
    }
    const { obj, warnings } = this.checkBody(r, clone(next), q);
    const updated = this.d.store.updateWith(r.def, obj, { manager: managerOf(req, q), dryRun, subresource: sub });
    this.respond(res, 200, updated, warnings);
  }

  /** SelfSubjectAccessReview (`kubectl auth can-i`): answered by the same RBAC authorizer, never stored. */
  private async review(
    req: IncomingMessage,
    res: ServerResponse,
    r: Route,
    q: URLSearchParams,
    user: User
  ): Promise<void> {
    if (req.method !== 'POST' || r.name) {
      throw new ApiError(405, 'BadRequest', 'the server does not allow this method on the requested resource');
    }
    const { obj } = this.checkBody(r, await this.body(req), q);
    const ra = obj.spec?.resourceAttributes as
      | { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string }
      | undefined;
    const nra = obj.spec?.nonResourceAttributes as { path?: string; verb?: string } | undefined;
    if (!ra && !nra) {
      throw invalid(r.def, r.def.kind, '', [
        {
          field: 'spec.resourceAttributes',
          message:
            'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
          reason: 'FieldValueInvalid'
        }
      ]);
    }
    const attrs: Attributes = ra
      ? {
          user,
          verb: ra.verb ?? '',
          resourceRequest: true,
          path: '',
          apiGroup: ra.group ?? '',
          resource: ra.resource ?? '',
          subresource: ra.subresource || undefined,
          namespace: ra.namespace || undefined,
          name: ra.name || undefined
        }
      : { user, verb: nra!.verb ?? '', resourceRequest: false, path: nra!.path ?? '' };
    const d = authorize(this.d.store, attrs);
    const status = d.allowed
      ? { allowed: true, reason: d.reason }
      : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
    sendJson(res, 201, { ...obj, metadata: { creationTimestamp: null }, status });
  }

  /** TokenReview (authentication.k8s.io/v1): who a bearer token belongs to; Arena v0.15.2 asks at start. */
  private async tokenReview(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): Promise<void> {
    if (req.method !== 'POST' || r.name) {
      throw new ApiError(405, 'BadRequest', 'the server does not allow this method on the requested resource');
    }
    const { obj } = this.checkBody(r, await this.body(req), q);
    const token = String(obj.spec?.token ?? '');
    const who = this.user({ headers: { authorization: `Bearer ${token}` } } as IncomingMessage);
    const status = who
      ? {
          authenticated: true,
          user: {
            username: who.name,
            ...(who.serviceAccount ? { uid: who.serviceAccount.uid } : {}),
            groups: who.groups
          },
          audiences: ['https://kubernetes.default.svc']
        }
      : { user: {}, error: '[invalid bearer token, token lookup failed]' };
    sendJson(res, 201, { ...obj, metadata: { creationTimestamp: null }, status });
  }

  /** TokenRequest (`kubectl create token <sa>`): a bearer token for an existing ServiceAccount. */
  private async tokenRequest(req: IncomingMessage, res: ServerResponse, r: Route): Promise<void> {
    if (req.method !== 'POST') {
      throw new ApiError(405, 'BadRequest', 'the server does not allow this method on the requested resource');
    }
    const body = (await this.body(req)) as { spec?: { expirationSeconds?: number; audiences?: string[] } };
    if (!this.d.store.get(r.def, r.namespace, r.name!)) throw notFound(r.def, r.name!);
    const token = this.d.issueToken(r.namespace!, r.name!);
    const seconds = body?.spec?.expirationSeconds ?? 3600;
    sendJson(res, 201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: r.name, namespace: r.namespace, creationTimestamp: null },
      spec: { audiences: body?.spec?.audiences ?? ['https://kubernetes.default.svc'], expirationSeconds: seconds },
      status: {
        token,
        expirationTimestamp: new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
      }
    });
  }

  /** The `scale` subresource (autoscaling/v1 Scale) of Deployments and ReplicaSets: `kubectl scale`. */
  private async scale(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): Promise<void> {
    const cur = this.d.store.get(r.def, r.namespace, r.name!);
    if (!cur) throw notFound(r.def, r.name!);
    const toScale = (o: KubeObject) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp
      },
      spec: { replicas: o.spec?.replicas ?? 0 },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: Object.entries((o.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      }
    });
    if (req.method === 'GET') {
      sendJson(res, 200, toScale(cur));
      return;
    }
    const body = parseBody(await readBody(req), 'application/json');
    const ct = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    let scale: { metadata?: { resourceVersion?: string }; spec?: { replicas?: number } };
    if (req.method === 'PUT') scale = body as typeof scale;
    else if (ct === 'application/json-patch+json') scale = jsonPatch(toScale(cur), body) as typeof scale;
    else scale = mergePatch(toScale(cur), body) as typeof scale;
    const replicas = scale.spec?.replicas;
    if (typeof replicas !== 'number' || replicas < 0) {
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${r.name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`
      );
    }
    const next = {
      ...cur,
      metadata: { ...cur.metadata, resourceVersion: scale.metadata?.resourceVersion ?? cur.metadata.resourceVersion },
      spec: { ...cur.spec, replicas }
    };
    const updated = this.d.store.updateWith(r.def, next, { manager: managerOf(req, q), dryRun: dryRunOf(q) });
    sendJson(res, 200, toScale(updated));
  }

  private async remove(req: IncomingMessage, res: ServerResponse, r: Route, q: URLSearchParams): Promise<void> {
    const raw = (await readBody(req)).toString('utf8').trim();
    let opts: {
      dryRun?: string[];
      preconditions?: { uid?: string };
      propagationPolicy?: string;
      orphanDependents?: boolean;
      gracePeriodSeconds?: number;
    } = {};
    if (raw) {
      try {
        opts = JSON.parse(raw);
      } catch {
        throw badRequest('error decoding DeleteOptions');
      }
    }
    const dryRun = dryRunOf(q) || (opts.dryRun ?? []).includes('All');
    const policy = q.get('propagationPolicy') ?? opts.propagationPolicy;
    // batch/v1 Jobs orphan their pods unless told otherwise, and say so (registry/batch/job/storage/storage.go)
    const jobDefault = r.def.plural === 'jobs' && policy === undefined && opts.orphanDependents === undefined;
    const gone = this.d.store.deleteWith(r.def, r.namespace, r.name!, {
      dryRun,
      preconditionUid: opts.preconditions?.uid,
      orphan: policy === 'Orphan' || opts.orphanDependents === true || jobDefault,
      foreground: policy === 'Foreground',
      gracePeriodSeconds: q.get('gracePeriodSeconds') ? Number(q.get('gracePeriodSeconds')) : opts.gracePeriodSeconds
    });
    const warnings = jobDefault ? [JOB_ORPHAN_WARNING] : [];
    if (r.def.plural === 'pods') sendJson(res, 200, gone);
    else if (gone.metadata.deletionTimestamp)
      this.respond(res, 200, gone, warnings); // foreground: still there
    else {
      this.respond(
        res,
        200,
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: {
            name: r.name,
            ...(r.def.group ? { group: r.def.group } : {}),
            kind: r.def.plural,
            uid: gone.metadata.uid
          }
        },
        warnings
      );
    }
  }

  private async removeCollection(
    req: IncomingMessage,
    res: ServerResponse,
    r: Route,
    q: URLSearchParams
  ): Promise<void> {
    const raw = (await readBody(req)).toString('utf8').trim();
    let opts: { propagationPolicy?: string; orphanDependents?: boolean };
    try {
      opts = raw ? JSON.parse(raw) : {};
    } catch {
      throw badRequest('error decoding DeleteOptions');
    }
    const dryRun = dryRunOf(q);
    const policy = q.get('propagationPolicy') ?? opts.propagationPolicy;
    const jobDefault = r.def.plural === 'jobs' && policy === undefined && opts.orphanDependents === undefined;
    const { items } = this.d.store.list(r.def, r.namespace, {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined
    });
    for (const o of items) {
      if (this.d.store.get(r.def, o.metadata.namespace, o.metadata.name))
        this.d.store.deleteWith(r.def, o.metadata.namespace, o.metadata.name, {
          dryRun,
          orphan: policy === 'Orphan' || opts.orphanDependents === true || jobDefault,
          foreground: policy === 'Foreground'
        });
    }
    this.respond(
      res,
      200,
      {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { ...(r.def.group ? { group: r.def.group } : {}), kind: r.def.plural }
      },
      jobDefault ? [JOB_ORPHAN_WARNING] : []
    );
  }

  /** `Upgrade` requests: only pods/portforward accepts them. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const rec = this.record(req);
    socket.on('error', () => socket.destroy());
    const refuse = (code: number, body: unknown) => {
      rec.status = code;
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${code} ${httpText(code)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
      );
    };
    try {
      const fault = this.d.faults.take('kube', req.method ?? 'GET', req.url ?? '/');
      if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault?.kind === 'status') {
        refuse(fault.status, statusBody(fault.status, reasonForCode(fault.status), fault.message ?? 'injected fault'));
        return;
      }
      if (fault?.kind === 'reset') {
        socket.destroy();
        return;
      }
      const url = new URL(req.url ?? '/', 'https://sandbox');
      const user = this.user(req);
      if (!user) {
        refuse(401, statusBody(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      const r = route(url.pathname, this.served);
      if (!r || r.def.plural !== 'pods' || r.sub !== 'portforward' || !r.name) throw NOT_FOUND();
      // v1.34: the WebSocket upgrade (GET) is `get pods/portforward`, kubectl's SPDY fallback (POST) `create`
      this.authorize(attributesOf(user, verbOf(req.method ?? 'GET', r, false), r, url.pathname, url.searchParams));
      const pod = this.d.store.get(r.def, r.namespace, r.name);
      if (!pod) throw notFound(r.def, r.name);
      if (!pod.spec?.nodeName && pod.status?.phase !== 'Running')
        throw badRequest(`pod ${r.name} does not have a host assigned`);
      if (pod.status?.phase !== 'Running') {
        throw badRequest(`unable to upgrade connection: pod not running ("${String(pod.status?.phase ?? 'Unknown')}")`);
      }
      rec.status = 101;
      const ns = r.namespace!;
      const name = r.name;
      this.d.forwarder.handle(
        req,
        socket,
        head,
        { podUid: String(pod.metadata.uid), resolve: (port) => this.d.runtime.localPort(ns, name, port) },
        url.searchParams
      );
    } catch (e) {
      const st =
        e instanceof ApiError
          ? statusBody(e.code, e.reason, e.message, e.details)
          : statusBody(500, 'InternalError', String(e));
      refuse(Number(st.code), st);
    }
  }
}

function httpText(code: number): string {
  return (
    (
      {
        400: 'Bad Request',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'Not Found',
        500: 'Internal Server Error',
        503: 'Service Unavailable'
      } as Record<number, string>
    )[code] ?? 'Error'
  );
}

/**
 * An injected fault's Status message, worded as apimachinery words that status (kubernetes/apimachinery v0.34.10
 * pkg/api/errors/errors.go: NewInternalError, NewTooManyRequestsError, NewTimeoutError, and
 * NewGenericServerResponse's 503 text): clients that read only the message (Arena prints client-go's
 * err.Error(), i.e. the message) see what they would see from a real server.
 */
function faultMessage(status: number, reason: string): string {
  if (status === 500) return 'Internal error occurred: injected fault';
  if (status === 503) return 'the server is currently unable to handle the request (injected fault)';
  if (status === 429) return 'Too many requests: injected fault';
  if (status === 504) return 'Timeout: injected fault';
  return `injected fault (${reason})`;
}
