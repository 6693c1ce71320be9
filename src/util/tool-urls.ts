/**
 * Where kubectl and Arena are published: the official URL templates (the inputs' defaults, and what the tools
 * adapter compares against to tell a mirror) and each tool's file layout under a mirror base URL. One place for
 * config and the tools adapter alike, so the default and the "is this a mirror?" check cannot drift apart.
 */
export type ToolName = 'kubectl' | 'arena';

/** The path of a release file under a base URL, in the tool's official layout. */
const LAYOUT: Readonly<Record<ToolName, string>> = {
  kubectl: 'release/v{version}/bin/linux/{arch}/kubectl',
  arena: 'arena-installer-{version}-linux-{arch}.tar.gz'
};

export const OFFICIAL_URL_TEMPLATE: Readonly<Record<ToolName, string>> = {
  kubectl: `https://dl.k8s.io/${LAYOUT.kubectl}`,
  arena: `https://github.com/kubeflow/arena/releases/download/v{version}/${LAYOUT.arena}`
};

/** A template with `{version}`/`{arch}` as it is, or a mirror base URL in the tool's official layout. */
export function toolUrlTemplate(tool: ToolName, s: string): string {
  if (s.includes('{')) return s;
  return `${s.replace(/\/+$/, '')}/${LAYOUT[tool]}`;
}
