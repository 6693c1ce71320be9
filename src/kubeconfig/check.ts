/**
 * The connectivity check: the API server's version through @kubernetes/client-node, with the common failures
 * explained (401: the credential is wrong or expired; 403: it lacks permission; TLS; timeout; unreachable).
 */
import {
  KubeConfig,
  VersionApi,
  type RequestContext,
  type ResponseContext,
  type VersionInfo
} from '@kubernetes/client-node';
import { PipelineError } from '../errors.js';
import { retry, type RetryOptions } from '../util/retry.js';

export interface ClusterVersion {
  readonly server: string;
  readonly version: string;
  readonly platform: string;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO'
]);

/** The innermost `code` of an error chain (undici nests the socket error in `cause`). */
function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  let code: string | undefined;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return code;
}

function innermostMessage(e: unknown): string | undefined {
  let cur: unknown = e;
  let msg: string | undefined;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    msg = cur.message;
    cur = cur.cause;
  }
  return msg;
}

// Over 60 lines on purpose: a table of connection failures (401, 403, TLS, timeout, DNS, refused, …), each with
// its own message and hint; splitting it would hide the order in which they are tried.
// eslint-disable-next-line max-lines-per-function -- see above
export function explainConnectivityError(
  e: unknown,
  server: string,
  context: string,
  timedOut: boolean
): PipelineError {
  const status = (e as { code?: unknown }).code;
  const where = `the API server ${server} (context "${context}")`;
  if (status === 401) {
    return new PipelineError(
      'KUBE_UNAUTHORIZED',
      `${where} rejected the credentials (HTTP 401 Unauthorized)`,
      'The token or client certificate in the kubeconfig is wrong or expired: download a fresh kubeconfig from ACK (or let aliyun/ack-set-context fetch one) and update the secret.',
      { cause: e }
    );
  }
  if (status === 403) {
    return new PipelineError(
      'KUBE_FORBIDDEN',
      `${where} accepted the credentials but denied access (HTTP 403 Forbidden)`,
      'Grant the kubeconfig’s user the RBAC permissions of deploy/rbac.yaml (a Role in the namespace and a ClusterRole for PersistentVolumes; kubectl apply -f deploy/rbac.yaml).',
      { cause: e }
    );
  }
  if (timedOut) {
    return new PipelineError(
      'KUBE_TIMEOUT',
      `${where} did not answer in time`,
      'Check that the cluster’s API server is reachable from the runner (public endpoint enabled in ACK, or a self-hosted runner inside the VPC).',
      { cause: e }
    );
  }
  const code = errorCode(e);
  const reason = code ?? innermostMessage(e);
  if (code && TLS_CODES.has(code)) {
    return new PipelineError(
      'KUBE_TLS',
      `TLS to ${where} failed (${code})`,
      'The server’s certificate does not match the kubeconfig: check certificate-authority-data and the server address (use the address the certificate was issued for).',
      { cause: e }
    );
  }
  if (typeof status === 'number' && (status === 429 || status >= 500)) {
    return new PipelineError(
      'KUBE_API_UNAVAILABLE',
      `${where} kept answering the version request with HTTP ${status} (${VERSION_ATTEMPTS} attempts)`,
      'The API server is overloaded or unhealthy: check the cluster in the ACK console (control plane status), then re-run.',
      { cause: e }
    );
  }
  if (typeof status === 'number') {
    return new PipelineError(
      'KUBE_UNEXPECTED_STATUS',
      `${where} answered the version request with HTTP ${status}`,
      'Check that the server URL points at the Kubernetes API server and not at a proxy or load balancer page.',
      { cause: e }
    );
  }
  return new PipelineError(
    'KUBE_UNREACHABLE',
    `Cannot reach ${where}${reason ? ` (${reason})` : ''}`,
    'Check the server address in the kubeconfig and that the API server accepts connections from the runner.',
    { cause: e }
  );
}

/** Attempts at the version request, the first included. */
export const VERSION_ATTEMPTS = 3;

const TRANSIENT_NET =
  /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ECONNABORTED|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED)$/;

/**
 * Worth asking again: the server answered 429/5xx or the connection broke. A wrong credential (401/403), a TLS
 * mismatch or another status is the same on every try.
 */
export function isTransientVersionError(e: unknown): boolean {
  const status = (e as { code?: unknown } | undefined)?.code;
  if (typeof status === 'number') return status === 429 || status >= 500;
  const code = errorCode(e);
  if (code && TLS_CODES.has(code)) return false;
  if (code && TRANSIENT_NET.test(code)) return true;
  return /socket hang up|other side closed|ECONNRESET/i.test(innermostMessage(e) ?? '');
}

/** Loads a kubeconfig file (or the default chain) and asks the chosen context's server for its version. */
export async function checkConnectivity(opts: {
  readonly kubeconfigPath?: string;
  readonly context?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The retry's wait (tests pass one that does not wait). */
  readonly sleep?: RetryOptions['sleep'];
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}): Promise<ClusterVersion> {
  const kc = new KubeConfig();
  if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  const context = kc.getCurrentContext();
  const server = kc.getCurrentCluster()?.server ?? '(none)';
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const api = kc.makeApiClient(VersionApi);
  const ask = async (): Promise<VersionInfo> => {
    const call = api.getCode({
      middleware: [
        {
          pre: async (ctx: RequestContext) => {
            ctx.setSignal(signal);
            return ctx;
          },
          post: async (res: ResponseContext) => res
        }
      ],
      middlewareMergeStrategy: 'append'
    });
    call.catch(() => undefined); // settled after the race below is lost: not an unhandled rejection
    // The race guarantees the time limit even where the client does not pass the signal down.
    return Promise.race([
      call,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      })
    ]);
  };
  try {
    // One 5xx or dropped connection must not fail setup: the same retry helper as every other call.
    const info = await retry(ask, {
      attempts: VERSION_ATTEMPTS,
      baseDelayMs: 500,
      maxDelayMs: 5000,
      retryable: (e) => !signal.aborted && isTransientVersionError(e),
      signal,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {})
    });
    return { server, version: info.gitVersion, platform: info.platform };
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw explainConnectivityError(e, server, context, timeout.aborted);
  }
}
