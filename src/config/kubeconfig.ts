/**
 * The kubeconfig input: raw YAML or base64 of it. Parsed and checked before any network call; the credentials
 * inside are collected so that each one is masked. Messages never quote the content.
 */
import { parse } from 'yaml';
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

function named(list: unknown, key: string, what: string): Map<string, Obj> {
  if (!Array.isArray(list) || list.length === 0) fail(`has no ${what}`);
  const out = new Map<string, Obj>();
  for (const [i, item] of list.entries()) {
    if (!isObj(item) || typeof item.name !== 'string' || !isObj(item[key])) {
      fail(`${what}[${i}] needs a "name" and a "${key}" mapping`);
    }
    out.set(item.name, item[key] as Obj);
  }
  return out;
}

function collectSecrets(user: Obj, out: Set<string>): void {
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length >= 4) out.add(v);
  };
  add(user.token);
  add(user['client-key-data']);
  add(user.password);
  const ap = user['auth-provider'];
  if (isObj(ap) && isObj(ap.config)) {
    for (const [k, v] of Object.entries(ap.config)) if (/token|secret|key|password/i.test(k)) add(v);
  }
  const exec = user.exec;
  if (isObj(exec) && Array.isArray(exec.env)) {
    for (const e of exec.env) if (isObj(e)) add(e.value);
  }
}

export function parseKubeconfig(input: string, contextInput?: string): KubeconfigInfo {
  const yaml = decodeKubeconfig(input);
  let doc: unknown;
  try {
    doc = parse(yaml, { prettyErrors: false });
  } catch (e) {
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    fail(`is not valid YAML${line ? ` (line ${line})` : ''}`);
  }
  if (!isObj(doc)) fail('is not a YAML mapping');
  if (doc.kind !== undefined && doc.kind !== 'Config')
    fail(`has kind "${String(doc.kind).slice(0, 40)}", expected "Config"`);
  const clusters = named(doc.clusters, 'cluster', 'clusters');
  const contexts = named(doc.contexts, 'context', 'contexts');
  const users = named(doc.users, 'user', 'users');
  const secrets = new Set<string>();
  for (const u of users.values()) collectSecrets(u, secrets);

  const current = typeof doc['current-context'] === 'string' ? doc['current-context'] : '';
  const context = contextInput || current;
  if (!context) {
    fail('has no current-context', `Set the "kube-context" input to one of: ${[...contexts.keys()].join(', ')}.`);
  }
  const ctx = contexts.get(context);
  if (!ctx) {
    const src = contextInput ? `Input "kube-context" names "${context}"` : `current-context "${context}"`;
    throw new PipelineError(
      'KUBECONFIG_CONTEXT_NOT_FOUND',
      `${src}, which is not a context of the kubeconfig`,
      `Use one of: ${[...contexts.keys()].join(', ')}.`
    );
  }
  const clusterName = String(ctx.cluster ?? '');
  const userName = String(ctx.user ?? '');
  const cluster = clusters.get(clusterName);
  if (!cluster) fail(`context "${context}" names cluster "${clusterName}", which is not in clusters`);
  if (!users.has(userName)) fail(`context "${context}" names user "${userName}", which is not in users`);
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    fail(`cluster "${clusterName}" has no valid server URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(`cluster "${clusterName}" server must be an https URL`);
  return { yaml, context, cluster: clusterName, user: userName, server, secrets: [...secrets] };
}
