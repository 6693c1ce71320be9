/**
 * A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
 * `envFrom` (Secrets and ConfigMaps, with an optional prefix) first, then `env` in order, each value with
 * `$(VAR)` references to earlier variables expanded; `valueFrom` reads a Secret or ConfigMap key or a field of
 * the pod (the downward API). A missing Secret, ConfigMap or key that is not optional is the error the kubelet
 * reports as CreateContainerConfigError.
 */
import type { KubeObject, ObjectStore } from '../kube/contract.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SECRETS = { group: '', version: 'v1', plural: 'secrets' };
const CONFIGMAPS = { group: '', version: 'v1', plural: 'configmaps' };

/** `$(VAR)` → its value when defined, `$$` → `$`, anything else left as written (expansion.go MappingFuncFor). */
export function expandRefs(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) =>
    m === '$$' ? '$' : name !== undefined && Object.hasOwn(vars, name) ? vars[name] : m
  );
}

/** The downward API's fieldRef paths (pkg/apis/core/validation validEnvDownwardAPIFieldPathExpressions). */
export function podField(pod: KubeObject, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1]] as Record<string, string> | undefined)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      return undefined;
  }
}

export class EnvError extends Error {}

function decode(kind: 'Secret' | 'ConfigMap', obj: KubeObject, key: string): string | undefined {
  if (kind === 'Secret') {
    const v = (obj.data as Record<string, string> | undefined)?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  }
  return (obj.data as Record<string, string> | undefined)?.[key];
}

/** The environment of `container` in `pod`, or an EnvError naming what is missing. */
export function containerEnv(store: ObjectStore, pod: KubeObject, container: any): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  const source = (kind: 'Secret' | 'ConfigMap', name: string, optional: boolean): KubeObject | undefined => {
    const obj = store.get(kind === 'Secret' ? SECRETS : CONFIGMAPS, ns, name);
    if (!obj && !optional) throw new EnvError(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
    return obj;
  };
  for (const from of (container.envFrom ?? []) as any[]) {
    const ref = from.secretRef ?? from.configMapRef;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const obj = ref ? source(kind, ref.name, ref.optional === true) : undefined;
    if (!obj) continue;
    for (const key of Object.keys((obj.data as object) ?? {}))
      env[`${from.prefix ?? ''}${key}`] = decode(kind, obj, key)!;
  }
  for (const e of (container.env ?? []) as any[]) {
    if (e.valueFrom) {
      const vf = e.valueFrom;
      const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
      if (ref) {
        const kind = vf.secretKeyRef ? 'Secret' : 'ConfigMap';
        const obj = source(kind, ref.name, ref.optional === true);
        const value = obj ? decode(kind, obj, ref.key) : undefined;
        if (value === undefined) {
          if (ref.optional === true) continue;
          throw new EnvError(`couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}`);
        }
        env[e.name] = value;
      } else if (vf.fieldRef) {
        const value = podField(pod, vf.fieldRef.fieldPath);
        if (value === undefined) throw new EnvError(`unsupported fieldPath: ${vf.fieldRef.fieldPath}`);
        env[e.name] = value;
      }
    } else {
      env[e.name] = expandRefs(String(e.value ?? ''), env);
    }
  }
  return env;
}
