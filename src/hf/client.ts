/**
 * The HF Hub adapter: resolve a revision to its commit, list a commit's files with sizes and hashes (following
 * `Link: rel="next"`), and open a file (or the rest of it from an offset) as a stream of chunks. Every request is
 * retried with the one retry helper on 429 (honouring Retry-After), 5xx, resets and stalls; what cannot be
 * retried becomes a PipelineError that says what to do.
 */
import { retry } from '../util/retry.js';
import { httpRequest, readAll, readChunks, type HttpResponse } from './http.js';
import {
  finalHubError,
  hubError,
  hubOperation,
  hubRetryDelayMs,
  isRetryableHubError,
  type HubTarget
} from './errors.js';
import { assertSafeRepoPath, encodeRepoPath, encodeRevision } from './paths.js';
import { PipelineError } from '../errors.js';

export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** Git blob sha1 (what non-LFS files are checked against). */
  readonly gitOid: string;
  /** sha256 of the content, for LFS files. */
  readonly sha256?: string;
}

export interface RepoInfo {
  readonly commit: string;
  readonly gated: false | string;
  readonly private: boolean;
}

export interface HubClientOptions {
  readonly endpoint: string;
  readonly token?: string;
  /** Attempts per request, the first included. */
  readonly attempts: number;
  readonly stallMs?: number;
  readonly signal?: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly onRetry?: (what: string, err: unknown, attempt: number, delayMs: number) => void;
}

export interface OpenedFile {
  /** Total size of the file (from Content-Range or Content-Length). */
  readonly size: number | undefined;
  /** The first byte the chunks start at. */
  readonly start: number;
  readonly chunks: AsyncIterable<Buffer>;
  /** Drop the connection (when the chunks will not be read to the end). */
  close(): void;
}

interface TreeEntry {
  type: string;
  path: string;
  oid: string;
  size: number;
  lfs?: { oid: string; size: number };
}

const header = (r: HttpResponse, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The `rel="next"` target of a Link header, on the configured endpoint. A mirror (hf-mirror.com) passes the
 * Hub's own Link through, naming https://huggingface.co (padeoe/hf-mirror-site#65); following it would leave
 * the mirror (unreachable where mirrors are used) and send the token to another origin. So a link to another
 * origin keeps only its `/api/...` path and query (the cursor) and goes to the endpoint, as huggingface_hub's
 * `fix_hf_endpoint_in_url` does for pagination.
 */
export function nextLink(link: string | undefined, requestUrl: string, endpoint: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (!m || !/\brel\s*=\s*"?next"?/.test(m[2])) continue;
    const target = new URL(m[1], requestUrl);
    if (target.origin === new URL(endpoint).origin) return target.toString();
    const api = target.pathname.indexOf('/api/');
    if (api < 0) {
      throw new PipelineError(
        'HF_BAD_RESPONSE',
        `${endpoint} paginated its file list with a link to ${target.origin}${target.pathname}, which is not a hub API path.`,
        'Check the hf-endpoint input: it must be the Hub (https://huggingface.co) or a mirror that speaks its API.'
      );
    }
    return endpoint.replace(/\/+$/, '') + target.pathname.slice(api) + target.search;
  }
  return undefined;
}

export class HubClient {
  readonly endpoint: string;
  private readonly stallMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: HubClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.stallMs = opts.stallMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  private get auth(): string | undefined {
    return this.opts.token ? `Bearer ${this.opts.token}` : undefined;
  }

  private target(repo: string, revision?: string, path?: string): HubTarget {
    return { endpoint: this.endpoint, repo, revision, path, hasToken: !!this.opts.token };
  }

  /** One request, retried; resolves with a 2xx/206 (or 3xx when redirects are off) response. */
  private async send(
    url: string,
    t: HubTarget,
    init: { method?: 'GET' | 'HEAD'; headers?: Record<string, string>; maxRedirects?: number } = {}
  ): Promise<HttpResponse> {
    let attempts = 0;
    try {
      return await retry(
        async (attempt) => {
          attempts = attempt;
          const res = await httpRequest(url, {
            ...init,
            authorization: this.auth,
            stallMs: this.stallMs,
            signal: this.opts.signal
          });
          if (res.status < 400) return res;
          res.body.resume();
          throw hubError(res.status, res.headers, res.url, t, this.now());
        },
        {
          attempts: this.opts.attempts,
          retryable: isRetryableHubError,
          delayHintMs: hubRetryDelayMs,
          signal: this.opts.signal,
          sleep: this.opts.sleep,
          random: this.opts.random,
          onRetry: (err, attempt, delay) => this.opts.onRetry?.(t.path ?? t.repo, err, attempt, delay)
        }
      );
    } catch (err) {
      throw finalHubError(err, t, attempts, hubOperation(url, init.method));
    }
  }

  private async json<T>(url: string, t: HubTarget): Promise<{ data: T; res: HttpResponse }> {
    const res = await this.send(url, t, { headers: { accept: 'application/json' } });
    const raw = await readAll(res.body, this.stallMs, url);
    try {
      return { data: JSON.parse(raw.toString('utf8')) as T, res };
    } catch {
      throw new PipelineError(
        'HF_BAD_RESPONSE',
        `${this.endpoint} answered ${url.slice(this.endpoint.length)} with something that is not JSON.`,
        'Check the hf-endpoint input: it must be the Hub (https://huggingface.co) or a mirror that speaks its API.'
      );
    }
  }

  async resolveRevision(repo: string, revision: string): Promise<RepoInfo> {
    const t = this.target(repo, revision);
    const url = `${this.endpoint}/api/models/${repo}/revision/${encodeRevision(revision)}`;
    const { data } = await this.json<{ sha?: string; gated?: false | string; private?: boolean }>(url, t);
    if (!data.sha || !/^[0-9a-f]{40}$/.test(data.sha)) {
      throw new PipelineError(
        'HF_BAD_RESPONSE',
        `${this.endpoint} did not give a commit sha for ${repo} at "${revision}".`,
        'Check the hf-endpoint input: it must be the Hub or a mirror that speaks its API.'
      );
    }
    return { commit: data.sha, gated: data.gated ?? false, private: data.private ?? false };
  }

  /** Every file of the commit (recursive), paths checked before anyone forms a key from them. */
  async listFiles(repo: string, commit: string): Promise<HubFile[]> {
    const t = this.target(repo, commit);
    const files: HubFile[] = [];
    let url: string | undefined = `${this.endpoint}/api/models/${repo}/tree/${encodeRevision(commit)}?recursive=true`;
    for (let page = 0; url; page++) {
      if (page > 10_000) throw new Error('tree listing does not end');
      const { data, res }: { data: TreeEntry[]; res: HttpResponse } = await this.json<TreeEntry[]>(url, t);
      if (!Array.isArray(data))
        throw new PipelineError(
          'HF_BAD_RESPONSE',
          `The tree listing of ${repo} is not a list.`,
          'Check the hf-endpoint input.'
        );
      for (const e of data) {
        assertSafeRepoPath(repo, String(e.path));
        if (e.type !== 'file') continue;
        files.push({ path: e.path, size: e.lfs?.size ?? e.size, gitOid: e.oid, sha256: e.lfs?.oid });
      }
      url = nextLink(header(res, 'link'), url, this.endpoint);
    }
    return files;
  }

  /**
   * Checks that the token may download from this repo (gated terms accepted), before the first byte is sent
   * anywhere: a HEAD on one file's resolve URL, without following the CDN redirect.
   */
  async checkDownloadAccess(repo: string, commit: string, path: string): Promise<void> {
    const url = `${this.endpoint}/${repo}/resolve/${commit}/${encodeRepoPath(path)}`;
    const res = await this.send(url, this.target(repo, commit, path), { method: 'HEAD', maxRedirects: 0 });
    res.body.resume();
  }

  /** A small file's text (config.json), read whole; refuses more than `maxBytes`. */
  async readText(repo: string, commit: string, path: string, maxBytes = 1024 * 1024): Promise<string> {
    const f = await this.open(repo, commit, path);
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of f.chunks) {
        size += c.length;
        if (size > maxBytes) throw new Error(`${path} of ${repo} is larger than ${maxBytes} bytes`);
        parts.push(c);
      }
    } finally {
      f.close();
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /**
   * The file's bytes from `start` up to `end` (exclusive; the end of the file when absent), a ranged GET when
   * either is given, following the CDN redirect without the token. A server that ignores Range sends the whole
   * file: the bytes before `start` are dropped here, the reader stops at `end`.
   */
  async open(repo: string, commit: string, path: string, start = 0, end?: number): Promise<OpenedFile> {
    const url = `${this.endpoint}/${repo}/resolve/${commit}/${encodeRepoPath(path)}`;
    const range = end !== undefined ? `bytes=${start}-${end - 1}` : start > 0 ? `bytes=${start}-` : undefined;
    const res = await this.send(url, this.target(repo, commit, path), {
      headers: range ? { range } : {}
    });
    let skip = 0;
    let size: number | undefined;
    const cr = /^bytes (\d+)-\d+\/(\d+)$/.exec(header(res, 'content-range') ?? '');
    if (res.status === 206 && cr) {
      size = Number(cr[2]);
      if (Number(cr[1]) !== start) throw new Error(`asked for bytes from ${start}, got from ${cr[1]}`);
    } else {
      // The server ignored Range: read from 0 and drop what we already have.
      const len = header(res, 'content-length');
      size = len === undefined ? undefined : Number(len);
      skip = start;
    }
    const stallMs = this.stallMs;
    async function* chunks(): AsyncGenerator<Buffer> {
      for await (const c of readChunks(res.body, stallMs, res.url)) {
        if (skip >= c.length) {
          skip -= c.length;
          continue;
        }
        yield skip > 0 ? c.subarray(skip) : c;
        skip = 0;
      }
    }
    return { size, start, chunks: chunks(), close: () => res.body.destroy() };
  }
}
