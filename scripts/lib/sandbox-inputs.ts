/**
 * The action inputs that point every stage at a running sandbox: the demo, the end-to-end and workflow tests,
 * the fault matrix and the bench all start from these.
 */
import { readFile } from 'node:fs/promises';
import type { Sandbox } from '../../sandbox/index.js';
import { DEMO_MODEL } from '../../sandbox/index.js';

export async function sandboxInputs(
  sb: Sandbox,
  overrides: Record<string, string> = {}
): Promise<Record<string, string>> {
  const { hub, oss, kube } = sb.info;
  const releases = sb.releases;
  if (!releases) throw new Error('sandboxInputs needs the releases piece');
  // the pipeline runs as deploy/rbac.yaml's ServiceAccount (falls back to the admin one on a sandbox without RBAC)
  const kubeconfig = kube ? await readFile(kube.pipelineKubeconfig ?? kube.kubeconfig, 'utf8') : '';
  return {
    stages: 'all',
    model: DEMO_MODEL.repo,
    revision: 'main',
    'hf-endpoint': hub.endpoint,
    'hf-token': hub.token,
    'oss-endpoint': oss.endpoint,
    'oss-cluster-endpoint': oss.endpoint.replace(/^https?:\/\//, ''),
    'oss-region': oss.region,
    'oss-bucket': oss.bucket,
    'oss-prefix': 'models',
    'oss-access-key-id': oss.accessKeyId,
    'oss-access-key-secret': oss.accessKeySecret,
    kubeconfig,
    namespace: kube?.namespace ?? 'default',
    'kubectl-version': releases.kubectlVersion,
    'kubectl-url': releases.kubectlUrlTemplate,
    'arena-version': releases.arenaVersion,
    'arena-url': releases.arenaUrlTemplate,
    'arena-sha256': await releases.arenaSha256('amd64'),
    'tensor-parallel': '1',
    'convert-gpus': '1',
    'serve-gpus': '1',
    'smoke-prompts': DEMO_MODEL.prompt,
    'smoke-expect': DEMO_MODEL.completion.trim().split(/\s+/)[0] ?? '',
    'smoke-requests': '3',
    ...overrides
  };
}
