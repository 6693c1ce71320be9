/**
 * The product's one error type. Every failure a user can meet is a PipelineError with a stable `code`
 * (listed in the README's troubleshooting table; a test checks that each code used in src/ is there),
 * a message that says what happened, and a `hint` that says what to do.
 */
export class PipelineError extends Error {
  readonly code: string;
  readonly hint: string;
  /** Lines (e.g. the last log lines of a failed pod) shown under the error in the log and the summary. */
  readonly details: readonly string[];

  constructor(
    code: string,
    message: string,
    hint: string,
    opts: { cause?: unknown; details?: readonly string[] } = {}
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.hint = hint;
    this.details = opts.details ?? [];
  }
}

export function isPipelineError(e: unknown): e is PipelineError {
  return e instanceof PipelineError;
}

/** The longest description a log line carries (a client's message can hold a whole response or headers). */
const MAX_DESCRIPTION = 300;

/**
 * A short, secret-free, one-line description of any thrown value: the first line of its message. Client
 * libraries append request headers, raw XML or a stack to their messages (urllib: `\nheaders: …`, ali-oss:
 * `\nraw xml: …`); none of that belongs in a log line at default verbosity.
 */
export function describeError(e: unknown): string {
  const raw =
    e instanceof Error
      ? e.message || e.name
      : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
        ? (e as { message: string }).message
        : String(e);
  const first =
    raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^at\s/.test(l)) ?? (e instanceof Error ? e.name : 'error');
  // A stack frame glued to the line ("… at Foo (file.js:1:2)") is cut as well.
  const line = first
    .replace(/\s+at\s+\S+\s+\(?[^)]*:\d+:\d+\)?.*$/, '')
    // urllib (under ali-oss) appends the request and its agent's state: ", PUT http://… -1 (connected: …)"
    .replace(/, (GET|PUT|POST|DELETE|HEAD|PATCH) https?:\/\/\S+ -?\d+ \(connected:.*$/, '');
  return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
}

/** `describeError`, named for log lines. */
export const oneLine = describeError;

const NETWORK_CODES =
  /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|UND_ERR_SOCKET|UND_ERR_CLOSED)$/;

/**
 * A failure of something outside the product that reached the stage runner unexplained (a stage let it through
 * after its retries): an API server answering 5xx/429 or not at all, or a broken connection. Such a failure gets
 * its own code and what to do; it is never reported as a bug of ours. Undefined for anything else.
 */
export function outsideFault(e: unknown, stage: string): PipelineError | undefined {
  if (!(e instanceof Error)) return undefined;
  const k = e as Error & { status?: unknown; reason?: unknown };
  if (k.name === 'KubeApiError' && typeof k.status === 'number') {
    if (k.status === 0 || k.status === 429 || k.status >= 500) {
      return new PipelineError(
        'K8S_API_FAILED',
        `the Kubernetes API kept failing during the ${stage} stage: ${describeError(e)}`,
        'Check that the cluster’s API server is healthy and reachable from the runner (ACK console: control plane status), then run again: finished work is skipped and a running job is attached to.',
        { cause: e }
      );
    }
    return undefined;
  }
  let code: string | undefined;
  for (let cur: unknown = e, i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string' && NETWORK_CODES.test(c)) code = c;
    cur = (cur as { cause?: unknown }).cause;
  }
  if (code || /socket hang up|other side closed/i.test(e.message)) {
    return new PipelineError(
      'NETWORK_FAILED',
      `a connection failed during the ${stage} stage (${code ?? describeError(e)}): ${describeError(e)}`,
      'The network between the runner and a service (hub, OSS or the cluster) was interrupted; re-run the job: finished work is skipped.',
      { cause: e }
    );
  }
  return undefined;
}
