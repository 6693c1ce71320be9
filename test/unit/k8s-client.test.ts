import { describe, expect, it } from '@jest/globals';
import { loadKubeConfig, resourcePath } from '../../src/k8s/client.js';
import { DEPLOYMENT, PV, PVC, PYTORCHJOB } from '../../src/k8s/types.js';
import { testConfig } from '../helpers/config.js';

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: { server: https://127.0.0.1:6443 }
- name: b
  cluster: { server: https://10.0.0.1:6443 }
users:
- name: u
  user: { token: t }
contexts:
- name: ctx-a
  context: { cluster: a, user: u }
- name: ctx-b
  context: { cluster: b, user: u }
current-context: ctx-a
`;

describe('k8s client', () => {
  it.each([
    [PVC, 'ns', 'c', '/api/v1/namespaces/ns/persistentvolumeclaims/c'],
    [PV, 'ns', 'v', '/api/v1/persistentvolumes/v'],
    [DEPLOYMENT, 'ns', undefined, '/apis/apps/v1/namespaces/ns/deployments'],
    [PYTORCHJOB, 'ns', 'j', '/apis/kubeflow.org/v1/namespaces/ns/pytorchjobs/j']
  ] as const)('resourcePath(%p, %p, %p)', (type, ns, name, path) => expect(resourcePath(type, ns, name)).toBe(path));

  it('loads the kubeconfig content and the chosen context', () => {
    expect(loadKubeConfig(testConfig({ cluster: { kubeconfig } }).cluster).getCurrentCluster()?.server).toBe(
      'https://127.0.0.1:6443'
    );
    expect(
      loadKubeConfig(testConfig({ cluster: { kubeconfig, context: 'ctx-b' } }).cluster).getCurrentCluster()?.server
    ).toBe('https://10.0.0.1:6443');
  });

  it('names the problem when the context is unknown', () => {
    expect(() => loadKubeConfig(testConfig({ cluster: { kubeconfig, context: 'nope' } }).cluster)).toThrow(
      /kubeconfig/
    );
  });
});
