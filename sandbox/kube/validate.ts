/**
 * Admission the sandbox does on every write: name rules, label values, unknown fields, per-kind defaults and
 * the Secret `stringData` fold. Messages follow the real validators' wording.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from './contract.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import { ApiError, badRequest, invalid } from './status.js';
import { defaultJob, validateJob, validateJobUpdate } from './jobs.js';
import { validateIstio } from './istio.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const NAME_MSG = {
  subdomain: `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  label: `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  dns1035: `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`
};

const META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
  'selfLink'
]);

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Unknown top-level (and metadata) fields: Strict → 400, otherwise dropped with a warning text returned. */
export function checkUnknownFields(def: ResourceDef, obj: KubeObject, mode: FieldValidation, apply = false): string[] {
  const unknown: string[] = [];
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || def.fields.includes(k)) continue;
    unknown.push(k);
  }
  for (const k of Object.keys(obj.metadata ?? {})) if (!META_FIELDS.has(k)) unknown.push(`metadata.${k}`);
  if (!unknown.length) return [];
  if (mode === 'Strict') {
    if (apply) {
      throw badRequest(
        `failed to create typed patch object (${def.group}/${def.version}, Kind=${def.kind}): ${unknown.map((f) => `.${f}: field not declared in schema`).join(', ')}`
      );
    }
    const list = unknown.map((f) => `unknown field "${f}"`).join(', ');
    throw badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${list}`
    );
  }
  for (const f of unknown) {
    if (f.startsWith('metadata.')) delete (obj.metadata as Record<string, unknown>)[f.slice(9)];
    else delete obj[f];
  }
  return mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [];
}

/** Go's decoder would refuse these shapes before validation runs: 400, worded like its unmarshal errors. */
function checkTypes(def: ResourceDef, obj: KubeObject): void {
  const fail = (field: string, want: string, got: unknown) => {
    const kind = Array.isArray(got) ? 'array' : got === null ? 'null' : typeof got === 'object' ? 'object' : typeof got;
    return badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${kind} into Go struct field ${field} of type ${want}`
    );
  };
  const isMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(obj?.metadata)) throw fail(`${def.kind}.metadata`, 'v1.ObjectMeta', obj?.metadata);
  const meta = obj.metadata as Record<string, unknown>;
  for (const k of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
    if (meta[k] !== undefined && typeof meta[k] !== 'string') throw fail(`ObjectMeta.metadata.${k}`, 'string', meta[k]);
  }
  const stringMap = (v: unknown, field: string) => {
    if (v === undefined || v === null) return;
    if (!isMap(v)) throw fail(field, 'map[string]string', v);
    for (const x of Object.values(v as object)) if (typeof x !== 'string') throw fail(field, 'string', x);
  };
  stringMap(meta.labels, 'ObjectMeta.metadata.labels');
  stringMap(meta.annotations, 'ObjectMeta.metadata.annotations');
  if (def.plural === 'configmaps') {
    stringMap(obj.data, 'ConfigMap.data');
    stringMap(obj.binaryData, 'ConfigMap.binaryData');
  }
  if (def.plural === 'secrets') {
    stringMap(obj.data, 'Secret.data');
    stringMap(obj.stringData, 'Secret.stringData');
  }
  for (const k of ['spec', 'status'])
    if (obj[k] !== undefined && obj[k] !== null && !isMap(obj[k]))
      throw fail(`${def.kind}.${k}`, `v1.${def.kind}${k === 'spec' ? 'Spec' : 'Status'}`, obj[k]);
}

/** Fills generateName, checks apiVersion/kind, name and label syntax. Throws 422 Invalid like the real validators. */
export function validateObject(def: ResourceDef, obj: KubeObject): void {
  checkTypes(def, obj);
  const meta = obj.metadata;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
    meta.name = meta.generateName + generateSuffix();
  }
  const name = String(meta.name ?? '');
  if (obj.apiVersion !== apiVersionOf(def) || obj.kind !== def.kind) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(def)}) or kind (${obj.kind} vs ${def.kind})`
    );
  }
  const causes: { field: string; message: string; reason?: string }[] = [];
  if (!name) {
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired'
    });
  } else {
    if (def.nameRule === 'path') {
      const bad =
        name === '.' || name === '..'
          ? `may not be '${name}'`
          : /[/%]/.exec(name)
            ? `may not contain '${/[/%]/.exec(name)![0]}'`
            : '';
      if (bad) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${bad}` });
    } else {
      const max = def.nameRule === 'subdomain' ? 253 : 63;
      const re = def.nameRule === 'subdomain' ? SUBDOMAIN : def.nameRule === 'label' ? LABEL : DNS1035;
      if (name.length > max)
        causes.push({
          field: 'metadata.name',
          message: `Invalid value: "${name}": must be no more than ${max} characters`
        });
      if (!re.test(name))
        causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": ${NAME_MSG[def.nameRule]}` });
    }
  }
  for (const [k, v] of Object.entries(meta.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`
      });
    }
    if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k)) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`
      });
    }
  }
  if (def.plural === 'pods' && !Array.isArray(obj.spec?.containers)) {
    causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  }
  if (causes.length) throw invalid(def, def.kind, name, causes);
  // the validating webhooks run after the object passed the API server's own checks
  validateIstio(def, obj);
}

/** The 5 characters the API server appends to a generateName (apiserver pkg/storage/names/generate.go). */
function generateSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from(randomBytes(5), (b) => alphabet[b % alphabet.length]).join('');
}

/** `Job.batch "<name>" is invalid: …` with details kind `Job`, group `batch` (apimachinery errors.NewInvalid). */
function jobInvalid(def: ResourceDef, name: string, causes: Parameters<typeof invalid>[3]): ApiError {
  const err = invalid(def, 'Job', name, causes);
  return new ApiError(err.code, err.reason, err.message.replace(/^Job /, 'Job.batch '), err.details);
}

/** Per-kind validation that needs the defaults (and the uid) in place: batch/v1 Jobs. Throws 422 Invalid. */
export function validateDefaulted(def: ResourceDef, obj: KubeObject): void {
  if (def.plural !== 'jobs') return;
  const causes = validateJob(obj);
  if (causes.length) throw jobInvalid(def, obj.metadata.name, causes);
}

/** Per-kind rules on update (immutable fields): batch/v1 Jobs. Throws 422 Invalid. */
export function validateUpdate(def: ResourceDef, next: KubeObject, cur: KubeObject): void {
  if (def.plural !== 'jobs') return;
  const causes = validateJobUpdate(next, cur);
  if (causes.length) throw jobInvalid(def, next.metadata.name, causes);
}

let nextIp = 10;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * SetDefaults_Container + SetDefaults_ContainerPort (pkg/apis/core/v1/defaults.go): the termination message
 * path and policy, TCP ports, and the image pull policy from the tag (`Always` for `:latest` or no tag).
 */
function defaultContainer(c: Obj): void {
  if (!c.imagePullPolicy && typeof c.image === 'string') {
    const ref = c.image.split('@')[0];
    const tag = /:([^/:]+)$/.exec(ref)?.[1];
    c.imagePullPolicy = c.image.includes('@') ? 'IfNotPresent' : !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of (c.ports ?? []) as Obj[]) p.protocol ??= 'TCP';
}

/** SetDefaults_PodSpec (and SetDefaults_Pod's enableServiceLinks), for pods and pod templates alike. */
function defaultPodSpec(spec: Obj): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  for (const c of [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])])
    defaultContainer(c);
}

/** Defaults the real API server (or its admission) fills on create. */
export function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  switch (def.plural) {
    case 'namespaces':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.spec = { finalizers: ['kubernetes'], ...obj.spec };
      obj.status = { phase: 'Active', ...obj.status };
      break;
    case 'pods':
      obj.spec = obj.spec ?? {};
      defaultPodSpec(obj.spec);
      obj.status =
        obj.status && Object.keys(obj.status).length ? obj.status : { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'services': {
      // SetDefaults_Service, plus what the registry allocates: a cluster IP and its single IPv4 family
      obj.spec = { type: 'ClusterIP', sessionAffinity: 'None', ...obj.spec };
      for (const p of (obj.spec.ports ?? []) as Obj[]) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      if (obj.spec.type !== 'ExternalName') {
        obj.spec.internalTrafficPolicy ??= 'Cluster';
        if (!obj.spec.clusterIP) {
          obj.spec.clusterIP = `10.96.${Math.floor(nextIp / 250)}.${(nextIp % 250) + 1}`;
          nextIp++;
        }
        if (obj.spec.clusterIP !== 'None') obj.spec.clusterIPs = [obj.spec.clusterIP];
        obj.spec.ipFamilies ??= ['IPv4'];
        obj.spec.ipFamilyPolicy ??= 'SingleStack';
      }
      if (obj.spec.type === 'NodePort' || obj.spec.type === 'LoadBalancer')
        obj.spec.externalTrafficPolicy ??= 'Cluster';
      obj.status = obj.status ?? { loadBalancer: {} };
      break;
    }
    case 'persistentvolumeclaims':
      obj.spec = obj.spec ?? {};
      obj.spec.volumeMode ??= 'Filesystem';
      obj.status = obj.status ?? { phase: 'Pending' };
      break;
    case 'persistentvolumes':
      obj.spec = obj.spec ?? {};
      obj.spec.persistentVolumeReclaimPolicy ??= 'Retain';
      obj.spec.volumeMode ??= 'Filesystem';
      obj.status = obj.status ?? { phase: 'Available' };
      break;
    case 'deployments': {
      // SetDefaults_Deployment (pkg/apis/apps/v1/defaults.go), then the pod template's own defaults
      obj.spec = { replicas: 1, ...obj.spec };
      const strategy = (obj.spec.strategy ??= {}) as Obj;
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') {
        strategy.rollingUpdate ??= {};
        strategy.rollingUpdate.maxUnavailable ??= '25%';
        strategy.rollingUpdate.maxSurge ??= '25%';
      }
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.progressDeadlineSeconds ??= 600;
      if (obj.spec.template?.spec) defaultPodSpec(obj.spec.template.spec);
      obj.status = obj.status ?? {};
      break;
    }
    case 'jobs':
      defaultJob(obj);
      if (obj.spec.template?.spec) defaultPodSpec(obj.spec.template.spec);
      break;
    case 'replicasets':
      obj.spec = { replicas: 1, ...obj.spec };
      if (obj.spec.template?.spec) defaultPodSpec(obj.spec.template.spec);
      break;
    default:
      break;
  }
}

/** Secret `data` must be base64; `stringData` is folded into `data` (write-only, never stored). */
export function normalizeSecret(def: ResourceDef, obj: KubeObject): void {
  if (def.plural !== 'secrets') return;
  obj.type = obj.type || 'Opaque';
  const data: Record<string, string> = { ...((obj.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
      throw new ApiError(
        400,
        'BadRequest',
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`,
        {}
      );
    }
    data[k] = v;
  }
  for (const [k, v] of Object.entries((obj.stringData as Record<string, string>) ?? {}))
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  delete obj.stringData;
  obj.data = data;
}
