/**
 * The kubeconfig input: raw YAML or base64 of it. Parsed by client-node's KubeConfig (the client the stages use,
 * so the check and the client cannot disagree) and checked before any network call: the chosen context, its
 * cluster and user, the server URL. The credentials inside are collected so that each one is masked. Messages
 * never quote the content.
 */
import { KubeConfig, type User } from '@kubernetes/client-node';
import { PipelineError } from '../errors.js';

export interface KubeconfigInfo {
  /** The decoded YAML text. */
  readonly yaml: string;
  /** The context the run uses (the `kube-context` input, else current-context). */
  readonly context: string;
  readonly cluster: string;
  readonly user: string;
  /** The API server URL of that context's cluster. */
  readonly server: string;
  /** Every credential value in the file (tokens, keys, passwords, exec env, auth-provider secrets). */
  readonly secrets: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const FORM =
  'a kubeconfig (YAML or base64 of it) with clusters, contexts and users, whose chosen context names an existing cluster and user';

function fail(
  message: string,
  hint = `Pass ${FORM}; e.g. the output of "aliyun cs DescribeClusterUserKubeconfig" or the file ACK's console shows.`
): never {
  throw new PipelineError('KUBECONFIG_INVALID', `Input "kubeconfig": ${message}`, hint);
}

/** YAML as given, or decoded from base64 (whitespace ignored). */
export function decodeKubeconfig(input: string): string {
  const trimmed = input.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !/:\s/.test(trimmed)) {
    const decoded = Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/apiVersion|clusters/.test(decoded)) return decoded;
    fail('looks like base64 but does not decode to a kubeconfig');
  }
  return input;
}

/**
 * The file as client-node's KubeConfig reads it: the one parser of the kubeconfig, so that what this check
 * accepts is exactly what the stages' API client loads (client-node checks each cluster's, context's and user's
 * required fields; its messages name the entry, never a value). YAML errors are reported by line only: the YAML
 * parser's own message quotes the text around the error, which may be a credential.
 */
function loadWithClient(yaml: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(yaml);
  } catch (e) {
    const line = (e as { mark?: { line?: number } }).mark?.line;
    if ((e as Error).name === 'YAMLException')
      fail(`is not valid YAML${line !== undefined ? ` (line ${line + 1})` : ''}`);
    if (/^(clusters|contexts|users)\[\d+\]\.[\w.]+ is missing$/.test((e as Error).message)) fail((e as Error).message);
    fail('is not a YAML mapping of clusters, contexts and users');
  }
  return kc;
}

/** Every credential of the users (token, key, password, auth-provider secrets, exec env values), for masking. */
function userSecrets(users: readonly User[]): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length >= 4) out.add(v);
  };
  for (const u of users) {
    add(u.token);
    add(u.keyData);
    add(u.password);
    const config = (u.authProvider as { config?: unknown } | undefined)?.config;
    if (isObj(config)) for (const [k, v] of Object.entries(config)) if (/token|secret|key|password/i.test(k)) add(v);
    const env = (u.exec as { env?: unknown } | undefined)?.env;
    if (Array.isArray(env)) for (const e of env) if (isObj(e)) add(e.value);
  }
  return [...out];
}

export function parseKubeconfig(input: string, contextInput?: string): KubeconfigInfo {
  const yaml = decodeKubeconfig(input);
  const kc = loadWithClient(yaml);
  for (const [what, list] of [
    ['clusters', kc.clusters],
    ['contexts', kc.contexts],
    ['users', kc.users]
  ] as const) {
    if (list.length === 0) fail(`has no ${what}`);
  }
  const names = kc.contexts.map((c) => c.name);
  const context = contextInput || kc.getCurrentContext() || '';
  if (!context) fail('has no current-context', `Set the "kube-context" input to one of: ${names.join(', ')}.`);
  const ctx = kc.getContextObject(context);
  if (!ctx) {
    const src = contextInput ? `Input "kube-context" names "${context}"` : `current-context "${context}"`;
    throw new PipelineError(
      'KUBECONFIG_CONTEXT_NOT_FOUND',
      `${src}, which is not a context of the kubeconfig`,
      `Use one of: ${names.join(', ')}.`
    );
  }
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) fail(`context "${context}" names cluster "${ctx.cluster}", which is not in clusters`);
  const userName = ctx.user ?? '';
  if (!kc.getUser(userName)) fail(`context "${context}" names user "${userName}", which is not in users`);
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    fail(`cluster "${cluster.name}" has no valid server URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(`cluster "${cluster.name}" server must be an https URL`);
  return {
    yaml,
    context,
    cluster: cluster.name,
    user: userName,
    server: cluster.server,
    secrets: userSecrets(kc.users)
  };
}
