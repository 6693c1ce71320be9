/**
 * The routing objects the canary owns, as pure manifests. Arena's Triton chart makes one Service per version
 * (`<name>-<version>-tritoninferenceserver`) and no Istio object, and `arena serve traffic-split` (v0.15.2) sends
 * a VirtualService without routes, always in `default` (see README "Canary"): so the product makes
 *  - Service `<serving name>` over every version's pods (the chart's pod labels `servingName`, `servingType`);
 *  - with Istio, DestinationRule `<serving name>` with one subset per version (label `servingVersion`) and
 *    VirtualService `<serving name>` with the step's weights (mesh-internal: no gateway).
 */
import { PipelineError } from '../errors.js';
import { MANAGED_BY, type KObj } from '../k8s/types.js';
import type { IstioVersion } from '../k8s/mesh.js';
import type { VersionWeight } from './plan.js';

export const TRITON_HTTP_PORT = 8000;
export const TRITON_GRPC_PORT = 8001;
export const TRITON_METRICS_PORT = 8002;

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A Service name must be a DNS-1035 label (a letter first): checked before anything reaches Kubernetes. */
export function checkServiceName(name: string): string {
  if (name.length > 63 || !DNS1035_LABEL.test(name)) {
    throw new PipelineError(
      'CANARY_INVALID_NAME',
      `serving name "${name}" cannot name the canary's Service: a Service name is a DNS-1035 label (a lowercase letter first, then letters, digits or "-", at most 63)`,
      'Set serving-name to a name that starts with a letter (e.g. bloom7b1 rather than 7b1).'
    );
  }
  return name;
}

/** The pods of every version of a serving name (Arena's Triton chart labels). */
export const servingPodSelector = (name: string) => ({ servingName: name, servingType: 'triton-serving' });

export function servingService(name: string, namespace: string): KObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: checkServiceName(name), namespace, labels: { ...MANAGED_BY, servingName: name } },
    spec: {
      type: 'ClusterIP',
      selector: servingPodSelector(name),
      // Istio picks the protocol from the port name prefix
      ports: [
        { name: 'http-serving', port: TRITON_HTTP_PORT, targetPort: TRITON_HTTP_PORT },
        { name: 'grpc-serving', port: TRITON_GRPC_PORT, targetPort: TRITON_GRPC_PORT },
        { name: 'http-metrics', port: TRITON_METRICS_PORT, targetPort: TRITON_METRICS_PORT }
      ]
    }
  };
}

export const serviceHost = (name: string, namespace: string) => `${name}.${namespace}.svc.cluster.local`;

/** Istio's served version to write through (v1 from Istio 1.22, else v1beta1, else v1alpha3). */
export type { IstioVersion } from '../k8s/mesh.js';

export function destinationRule(name: string, namespace: string, versions: readonly string[], v: IstioVersion): KObj {
  return {
    apiVersion: `networking.istio.io/${v}`,
    kind: 'DestinationRule',
    metadata: { name, namespace, labels: { ...MANAGED_BY, servingName: name } },
    spec: {
      host: serviceHost(name, namespace),
      // a serving version is a DNS-1123 label already: it is the subset's name as it is
      subsets: [...versions].sort().map((version) => ({ name: version, labels: { servingVersion: version } }))
    }
  };
}

export function virtualService(
  name: string,
  namespace: string,
  weights: readonly VersionWeight[],
  v: IstioVersion
): KObj {
  return {
    apiVersion: `networking.istio.io/${v}`,
    kind: 'VirtualService',
    metadata: { name, namespace, labels: { ...MANAGED_BY, servingName: name } },
    spec: {
      hosts: [serviceHost(name, namespace)],
      http: [
        {
          route: weights.map((w) => ({
            destination: { host: serviceHost(name, namespace), subset: w.version, port: { number: TRITON_HTTP_PORT } },
            weight: w.weight
          }))
        }
      ]
    }
  };
}
