/**
 * Discovery (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>`) and the OpenAPI v3 documents kubectl
 * reads before `apply` (it only needs each PATCH operation's GVK and its `fieldValidation` parameter).
 */
import { apiResources, groupVersions, RESOURCES, type Served } from './resources.js';

export const VERSION = {
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.1-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
  emulationMajor: '1',
  emulationMinor: '34',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '33'
};

/** The JSON body for a discovery path, or undefined when the path is not a discovery document. */
export function discovery(path: string, served: Served = () => true): unknown {
  if (path === '/version') return VERSION;
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }]
    };
  }
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      // one entry per group with all its versions, the first (highest priority) preferred
      groups: [...new Set(groupVersions(served).map((gv) => gv.group))]
        .filter((g) => g)
        .map((g) => {
          const versions = groupVersions(served)
            .filter((gv) => gv.group === g)
            .map((gv) => ({ groupVersion: `${g}/${gv.version}`, version: gv.version }));
          return { name: g, versions, preferredVersion: versions[0] };
        })
    };
  }
  if (path === '/api/v1') return { kind: 'APIResourceList', groupVersion: 'v1', resources: apiResources('', 'v1') };
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const gvs = groupVersions(served).filter((gv) => gv.group === m[1]);
    if (!gvs.length) return undefined;
    if (!m[2]) {
      const v = gvs[0].version;
      return {
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: m[1],
        versions: gvs.map((gv) => ({ groupVersion: `${gv.group}/${gv.version}`, version: gv.version })),
        preferredVersion: { groupVersion: `${m[1]}/${v}`, version: v }
      };
    }
    if (!gvs.some((gv) => gv.version === m[2])) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${m[1]}/${m[2]}`,
      resources: apiResources(m[1], m[2], served)
    };
  }
  return undefined;
}

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);
const HASH = 'SANDBOX0000000000000000000000000000000000000000000000000000000001';

export function openapiV3(path: string, served: Served = () => true): unknown {
  if (path === '/openapi/v3') {
    const paths: Record<string, unknown> = {};
    for (const gv of groupVersions(served))
      paths[gvPath(gv.group, gv.version)] = {
        serverRelativeURL: `/openapi/v3/${gvPath(gv.group, gv.version)}?hash=${HASH}`
      };
    return { paths };
  }
  const gv = groupVersions(served).find((x) => path === `/openapi/v3/${gvPath(x.group, x.version)}`);
  if (!gv) return undefined;
  const fieldValidation = {
    name: 'fieldValidation',
    in: 'query',
    description:
      'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
    schema: { type: 'string', uniqueItems: true }
  };
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === gv.group && x.version === gv.version && served(x))) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    const ref = `${r.group || 'core'}.${r.version}.${r.kind}`;
    schemas[ref] = {
      type: 'object',
      'x-kubernetes-group-version-kind': [gvk],
      'x-kubernetes-preserve-unknown-fields': true
    };
    const op = (verb: string, params: object[]) => ({
      operationId: `${verb}${r.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params,
      responses: {
        '200': {
          description: 'OK',
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }
        }
      }
    });
    paths[`${base}/{name}`] = {
      get: op('get', []),
      put: op('put', [fieldValidation]),
      patch: op('patch', [fieldValidation]),
      delete: op('delete', [])
    };
    paths[base] = { get: op('list', []), post: op('post', [fieldValidation]) };
    if (r.subresources.includes('status'))
      paths[`${base}/{name}/status`] = {
        get: op('get', []),
        patch: op('patch', [fieldValidation]),
        put: op('put', [fieldValidation])
      };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: VERSION.gitVersion },
    paths,
    components: { schemas }
  };
}
