/**
 * `Status` objects worded like the real API server's, and StatusError factories for the common cases.
 */
import { StatusError } from './contract.js';
import type { ResourceType } from './contract.js';
import type { Attributes } from './rbac.js';
import { qualifiedName } from './resources.js';

export type Reason =
  | StatusError['reason']
  | 'Unauthorized'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'TooManyRequests'
  | 'Timeout'
  | 'NotAcceptable'
  | 'UnsupportedMediaType';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** A StatusError that also carries `details` (the contract's class has none; the server reads them here). */
export class ApiError extends StatusError {
  constructor(
    code: number,
    reason: StatusError['reason'],
    message: string,
    readonly details?: StatusDetails
  ) {
    super(code, reason, message);
  }
}

export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code
  };
}

export function errorToStatus(e: unknown): Record<string, unknown> {
  if (e instanceof StatusError) {
    const details = e instanceof ApiError ? e.details : undefined;
    return statusBody(e.code, e.reason === 'Gone' ? 'Expired' : e.reason, e.message, details);
  }
  return statusBody(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? String(e)}`);
}

function det(res: ResourceType, name?: string): StatusDetails {
  return { ...(name !== undefined ? { name } : {}), ...(res.group ? { group: res.group } : {}), kind: res.plural };
}

export function notFound(res: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedName(res)} "${name}" not found`, det(res, name));
}

export function alreadyExists(res: ResourceType, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedName(res)} "${name}" already exists`, det(res, name));
}

export function conflict(res: ResourceType, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(res)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    det(res, name)
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 422 Invalid, as field validation reports it: `Kind "name" is invalid: field: Invalid value: ...`. */
export function invalid(
  res: ResourceType,
  kind: string,
  name: string,
  causes: { field: string; message: string; reason?: string }[]
): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${text}`, {
    name,
    ...(res.group ? { group: res.group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field }))
  });
}

/**
 * 403 Forbidden as responsewriters.ForbiddenStatusError words it: `<resource>[.<group>] ["<name>"] is forbidden:
 * User "<user>" cannot <verb> resource "<resource>[/<sub>]" in API group "<group>" in the namespace "<ns>"`
 * (or `at the cluster scope`; `cannot <verb> path "<path>"` for non-resource URLs), then `: <reason>` when the
 * authorizer gave one. Details carry the group, the resource as `kind` and the name.
 */
export function forbidden(a: Attributes, reason = ''): ApiError {
  const user = a.user.name;
  let msg: string;
  if (!a.resourceRequest) msg = `User "${user}" cannot ${a.verb} path "${a.path}"`;
  else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : String(a.resource);
    const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    msg = `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup ?? ''}" ${scope}`;
  }
  if (reason) msg = `${msg}: ${reason}`;
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  const res = { group: a.apiGroup ?? '', version: '', plural: String(a.resource) };
  const subject = a.name ? `${qualifiedName(res)} "${a.name}"` : qualifiedName(res);
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${msg}`, det(res, a.name));
}

/** The reason the real server uses for a bare HTTP code (fault injection). */
export function reasonForCode(code: number): string {
  const m: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout'
  };
  return m[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}
