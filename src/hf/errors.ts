/**
 * Hub answers → PipelineErrors that say what to do, and the retry rules for hub requests
 * (429 with Retry-After, 5xx, resets and stalls are retried; everything else is final).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { PipelineError } from '../errors.js';

/** A hub answer we may retry (429, 5xx). */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly retryAfterMs: number | undefined,
    readonly requestId: string | undefined
  ) {
    super(`${new URL(url).host} answered ${status}${requestId ? ` (request id ${requestId})` : ''}`);
    this.name = 'HubHttpError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ESTALL',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE'
]);

export function isRetryableHubError(err: unknown): boolean {
  if (err instanceof PipelineError) return false;
  if (err instanceof HubHttpError) return err.status === 429 || err.status >= 500;
  const e = err as { code?: string; message?: string } | undefined;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  return e?.message === 'aborted' || /socket hang up|premature close/i.test(e?.message ?? '');
}

export function hubRetryDelayMs(err: unknown): number | undefined {
  return err instanceof HubHttpError ? err.retryAfterMs : undefined;
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export interface HubTarget {
  readonly endpoint: string;
  readonly repo: string;
  readonly revision?: string;
  readonly path?: string;
  readonly hasToken: boolean;
}

/** Which of the hub's requests failed: messages name it (a failed listing is not a failed download). */
export type HubOperation = 'revision' | 'listing' | 'access' | 'download';

/** The operation a hub request URL is for (the Hub API's paths: /api/models/<repo>/revision|tree/…, /resolve/). */
export function hubOperation(url: string, method: string = 'GET'): HubOperation {
  const p = new URL(url).pathname;
  if (/^\/api\/models\/.+\/revision\//.test(p)) return 'revision';
  if (/^\/api\/models\/.+\/tree\//.test(p)) return 'listing';
  return method.toUpperCase() === 'HEAD' ? 'access' : 'download';
}

function describeOperation(op: HubOperation, t: HubTarget): string {
  switch (op) {
    case 'revision':
      return `Resolving revision "${t.revision ?? 'main'}" of ${t.repo}`;
    case 'listing':
      return `Listing the files of ${t.repo}${t.revision ? ` at ${t.revision.slice(0, 12)}` : ''}`;
    case 'access':
      return `Checking download access to file ${t.path ?? '(unknown)'} of ${t.repo}`;
    case 'download':
      return `Downloading file ${t.path ?? '(unknown)'} of ${t.repo}`;
  }
}

/** "the hub (host) answered HTTP 500 (request id …)" or "the CDN (host) …", by the host of the failing URL. */
function describeAnswer(err: unknown, endpoint: string): string {
  if (!(err instanceof HubHttpError)) return err instanceof Error ? err.message : String(err);
  const host = new URL(err.url).host;
  const who = host === new URL(endpoint).host ? `the hub (${host})` : `the CDN (${host})`;
  return `${who} answered HTTP ${err.status}${err.requestId ? ` (request id ${err.requestId})` : ''}`;
}

/**
 * A final (non-retryable) error for a 4xx answer, or a HubHttpError for 429/5xx, which the retry helper retries
 * and `finalHubError` turns into a PipelineError after the last attempt.
 */
export function hubError(status: number, headers: IncomingHttpHeaders, url: string, t: HubTarget, now: number): Error {
  const code = header(headers, 'x-error-code');
  const serverMsg = header(headers, 'x-error-message');
  const requestId = header(headers, 'x-request-id');
  const said = serverMsg ? ` The hub said: "${serverMsg}".` : '';
  const page = `${t.endpoint.replace(/\/+$/, '')}/${t.repo}`;
  if (status === 429 || status >= 500)
    return new HubHttpError(status, url, parseRetryAfter(header(headers, 'retry-after'), now), requestId);
  if (code === 'GatedRepo') {
    return new PipelineError(
      'HF_GATED_REPO',
      `${t.repo} is a gated repository and ${t.hasToken ? 'the token given has not been granted access' : 'no token was given'}.${said}`,
      `Accept the licence at ${page} with the account that owns the token, then pass a token with read access (for fine-grained tokens: "read access to contents of public gated repos") in the hf-token input.`
    );
  }
  if (code === 'RepoNotFound' || (status === 404 && !code && !t.path)) {
    return new PipelineError(
      'HF_REPO_NOT_FOUND',
      `Repository ${t.repo} was not found on ${t.endpoint}, or it is private and ${t.hasToken ? 'the token cannot read it' : 'no token was given'}.${said}`,
      `Check the repo id (org/name) at ${page}; for a private repo pass a token with read access in the hf-token input.`
    );
  }
  if (code === 'RevisionNotFound') {
    return new PipelineError(
      'HF_REVISION_NOT_FOUND',
      `Revision "${t.revision}" does not exist in ${t.repo}.${said}`,
      `Use a branch, tag or full commit sha listed at ${page}/tree/main (branches menu) in the revision input.`
    );
  }
  if (code === 'EntryNotFound') {
    return new PipelineError(
      'HF_ENTRY_NOT_FOUND',
      `File ${t.path ?? '(unknown)'} does not exist in ${t.repo} at ${t.revision}.${said}`,
      'The file list changed while syncing or the mirror is incomplete; re-run the job, or exclude the file.'
    );
  }
  if (status === 401 || status === 403) {
    return new PipelineError(
      'HF_UNAUTHORIZED',
      `${t.endpoint} refused access to ${t.repo} (HTTP ${status}).${said}`,
      'Check that the hf-token secret holds a valid token with read access to the repository.'
    );
  }
  return new PipelineError(
    'HF_REQUEST_FAILED',
    `${t.endpoint} answered HTTP ${status} for ${t.repo}${t.path ? ` file ${t.path}` : ''}.${said}${requestId ? ` Request id ${requestId}.` : ''}`,
    'Check the hf-endpoint input (a mirror must speak the Hub API) and re-run.'
  );
}

/** After the last retry: name the request (revision, listing, access check, download), who answered, the status. */
export function finalHubError(
  err: unknown,
  t: HubTarget,
  attempts: number,
  op: HubOperation = t.path ? 'download' : 'listing'
): unknown {
  if (err instanceof PipelineError) return err;
  const what = t.path ? `file ${t.path} of ${t.repo}` : t.repo;
  if (err instanceof HubHttpError && err.status === 429) {
    return new PipelineError(
      'HF_RATE_LIMITED',
      `The hub kept answering 429 (too many requests) for ${what} after ${attempts} attempts.`,
      'The hub limits requests per IP address: pass an hf-token, lower sync-files-in-parallel, or re-run later.',
      { cause: err }
    );
  }
  if (isRetryableHubError(err)) {
    return new PipelineError(
      'HF_UNAVAILABLE',
      `${describeOperation(op, t)} failed after ${attempts} attempts: ${describeAnswer(err, t.endpoint)}.`,
      'The hub or its CDN is unreachable or unstable; re-run the job (finished files are kept and skipped), or set hf-endpoint to a mirror.',
      { cause: err }
    );
  }
  return err;
}
