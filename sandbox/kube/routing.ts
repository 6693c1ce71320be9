/**
 * Request routing onto the resource table, the verb a request means, and bearer-token authentication.
 */
import type { IncomingMessage } from 'node:http';
import type { Attributes, User } from './rbac.js';
import { RESOURCES, type ResourceDef, type Served } from './resources.js';
import { ApiError } from './status.js';

export type { User } from './rbac.js';

export interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
}

export const NOT_FOUND = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

/** Maps a path onto the resource table, or undefined when it is not a resource path. */
export function route(path: string, served: Served = () => true): Route | undefined {
  let segs: string[];
  try {
    segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw NOT_FOUND();
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) [group, version, rest] = ['', segs[1], segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length >= 4) [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
  else return undefined;
  const find = (plural: string) =>
    RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural && served(r));
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize') && !group)
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const def = find(rest[0]);
  if (!def || rest.length > 3) throw NOT_FOUND();
  if (namespace !== undefined && !def.namespaced) throw NOT_FOUND();
  const name = rest[1];
  const sub = rest[2];
  // a namespaced resource is listed across namespaces at /<plural>, but its objects live under a namespace
  if (def.namespaced && namespace === undefined && name !== undefined) throw NOT_FOUND();
  if (sub && !def.subresources.includes(sub) && !(def.plural === 'namespaces' && sub === 'finalize')) throw NOT_FOUND();
  return { def, namespace, name, sub };
}

/**
 * The request verb (apiserver's RequestInfoFactory): by HTTP method, `list`/`watch` for a collection GET.
 * pods/portforward is no exception in v1.34: the WebSocket upgrade is a GET, so `get pods/portforward`; the
 * SPDY upgrade is a POST, so `create`. (1.35 adds a second `create` check for WebSocket upgrades.)
 */
export function verbOf(method: string, r: Route, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return r.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Authorization attributes of a resource request, as the request-info filter fills them from the URL. */
export function attributesOf(user: User, verb: string, r: Route, path: string, q: URLSearchParams): Attributes {
  let name = r.name;
  // a list or watch narrowed to one object by `fieldSelector=metadata.name=x` is authorized for that name
  if (!name && (verb === 'list' || verb === 'watch')) {
    const m = /^metadata\.name==?([^,]+)$/.exec(q.get('fieldSelector') ?? '');
    if (m) name = m[1];
  }
  return {
    user,
    verb,
    resourceRequest: true,
    path,
    apiGroup: r.def.group,
    resource: r.def.plural,
    subresource: r.sub,
    // a Namespace is authorized in its own namespace: a RoleBinding there may grant `get namespaces`
    namespace: r.def.plural === 'namespaces' ? r.name : r.namespace,
    name
  };
}

export function authenticate(req: IncomingMessage, users: Map<string, User>): User | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
  return m ? users.get(m[1].trim()) : undefined;
}
