/**
 * The hub's HTTP API: model info at a revision, paginated tree listings, resolve (bytes for git blobs, a signed
 * 302 to the CDN for LFS files) and raw, with HF's auth rules (RepoNotFound hides existence, GatedRepo, renamed
 * repos answer 307) and HF's error shape: JSON `{error}` plus X-Error-Code / X-Error-Message headers.
 */
import { createHash } from 'node:crypto';
import type { FaultRegistry } from '../faults.js';
import type { Content } from './content.js';
import type { UrlSigner } from './cdn.js';
import { sendBuffer, sendBytes, startService, type Exchange, type ServiceServer } from './http.js';
import type { Commit, Repo, RepoStore } from './repos.js';
import type { NetworkModel, Side } from '../network.js';

export interface HubServerOptions {
  faults: FaultRegistry;
  token: string;
  pageSize?: number;
  now: () => number;
  store: RepoStore;
  signer: UrlSigner;
  /** Objects the CDN may serve, by sha256 (filled when a resolve redirects there). */
  cdnObjects: Map<string, Content>;
  /** The CDN endpoint for a side: the cluster's pods are redirected to the CDN's cluster endpoint. */
  cdnEndpoint: (side: Side) => string;
  network?: NetworkModel;
  /** Mirror mode: the upstream origin the Link header names (see HubOptions.mirrorOf). */
  mirrorOf?: string;
}

/** Known `expand` keys of /api/models (others are a 400, as on the Hub). */
const EXPAND_KEYS = new Set([
  'author',
  'baseModels',
  'cardData',
  'childrenModelCount',
  'config',
  'createdAt',
  'disabled',
  'downloads',
  'downloadsAllTime',
  'gated',
  'gguf',
  'gitalyUid',
  'inference',
  'inferenceProviderMapping',
  'lastModified',
  'library_name',
  'likes',
  'mask_token',
  'model-index',
  'pipeline_tag',
  'private',
  'resourceGroup',
  'safetensors',
  'sha',
  'siblings',
  'spaces',
  'tags',
  'transformersInfo',
  'trendingScore',
  'widgetData',
  'usedStorage'
]);

class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }
}

export function errorBody(status: number, code: string | undefined, message: string | undefined) {
  const msg = message ?? DEFAULT_MESSAGES[status] ?? `Sandbox fault ${status}`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'X-Error-Message': msg.replace(/[^\x20-\x7e]/g, '?')
  };
  if (code) headers['X-Error-Code'] = code;
  return { headers, body: JSON.stringify({ error: msg }) };
}

const DEFAULT_MESSAGES: Record<number, string> = {
  429: 'You have exceeded our hourly quotas for action: api. We invite you to retry later.',
  500: "Internal Error - We're working hard to fix this as soon as possible!",
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Timeout'
};

export function startHubServer(o: HubServerOptions): Promise<ServiceServer> {
  return startService(
    'hub',
    o.faults,
    o.now,
    errorBody,
    async (ex) => {
      try {
        await route(o, ex);
      } catch (err) {
        if (!(err instanceof HubError)) throw err;
        if (err.status === 307) {
          const headers = { ...err.headers, 'Content-Type': 'text/plain; charset=utf-8' };
          return sendBuffer(ex, 307, headers, err.message);
        }
        const { headers, body } = errorBody(err.status, err.code, err.message);
        await sendBuffer(ex, err.status, { ...headers, ...err.headers }, body);
      }
    },
    o.network
  );
}

async function route(o: HubServerOptions, ex: Exchange): Promise<void> {
  const { req, url } = ex;
  const method = req.method ?? 'GET';
  const seg = url.pathname.split('/').slice(1);
  const token = authenticate(o, req.headers.authorization);
  if (method !== 'GET' && method !== 'HEAD') throw new HubError(405, undefined, `Method ${method} not allowed`);

  if (seg[0] === 'api' && seg[1] === 'whoami-v2' && seg.length === 2) {
    if (!token) throw new HubError(401, undefined, 'Invalid username or password.');
    return json(ex, { type: 'user', name: 'sandbox', auth: { type: 'access_token', accessToken: { role: 'read' } } });
  }
  if (seg[0] === 'api' && seg[1] === 'models' && seg.length >= 4) {
    const repoId = `${dec(seg[2])}/${dec(seg[3])}`;
    const repo = access(o, ex, repoId, token, 'metadata');
    const action = seg[4];
    if (action === undefined || action === '') return modelInfo(o, ex, repo, revisionOf(o, repo, 'HEAD'));
    if (action === 'revision' && seg.length > 5) {
      return modelInfo(o, ex, repo, revisionOf(o, repo, seg.slice(5).map(dec).join('/')));
    }
    if (action === 'tree' && seg.length > 5) {
      const { rev, rest } = splitRevision(seg.slice(5));
      return tree(o, ex, repo, revisionOf(o, repo, rev), rest.map(dec).join('/'));
    }
  } else if ((seg[2] === 'resolve' || seg[2] === 'raw') && seg.length >= 5) {
    const repoId = `${dec(seg[0])}/${dec(seg[1])}`;
    const repo = access(o, ex, repoId, token, 'download');
    const { rev, rest } = splitRevision(seg.slice(3));
    const commit = revisionOf(o, repo, rev);
    return download(o, ex, repo, commit, rest.map(dec).join('/'), seg[2] === 'raw');
  }
  throw new HubError(404, undefined, 'Sorry, we can\u2019t find the page you are looking for.');
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HubError(400, undefined, `Invalid path segment ${s}`);
  }
}

/** `refs%2Fpr%2F1/...` or unencoded `refs/pr/1/...` → revision and the remaining segments. */
function splitRevision(seg: string[]): { rev: string; rest: string[] } {
  if (seg[0] === 'refs' && (seg[1] === 'pr' || seg[1] === 'convert') && seg.length >= 3) {
    return { rev: seg.slice(0, 3).join('/'), rest: seg.slice(3) };
  }
  return { rev: dec(seg[0]), rest: seg.slice(1) };
}

/** The valid token of the request, undefined when anonymous; a wrong token is a 401 on every route. */
function authenticate(o: HubServerOptions, header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer (\S+)$/i.exec(header.trim());
  if (!m || m[1] !== o.token) throw new HubError(401, undefined, 'Invalid credentials in Authorization header');
  return m[1];
}

/** The repo if this caller may see it (or download from it); otherwise throws the error (or the 307 of a rename). */
function access(
  o: HubServerOptions,
  ex: Exchange,
  id: string,
  token: string | undefined,
  need: 'metadata' | 'download'
): Repo {
  const renamed = o.store.renamedTo(id);
  if (renamed) {
    const [org, name] = id.split('/');
    const [nOrg, nName] = renamed.split('/');
    const location = ex.url.pathname.replace(
      new RegExp(`/${escapeRe(encodeURIComponent(org))}/${escapeRe(encodeURIComponent(name))}(?=/|$)`),
      `/${encodeURIComponent(nOrg)}/${encodeURIComponent(nName)}`
    );
    throw new HubError(307, undefined, `Temporary Redirect. Redirecting to ${location + ex.url.search}`, {
      Location: location + ex.url.search
    });
  }
  const repo = o.store.get(id);
  if (!repo || (repo.spec.private && !token)) {
    if (!token) throw new HubError(401, 'RepoNotFound', 'Invalid username or password.');
    throw new HubError(404, 'RepoNotFound', 'Repository not found');
  }
  if (need === 'download' && repo.spec.gated) {
    if (!token) {
      throw new HubError(
        401,
        'GatedRepo',
        `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`
      );
    }
    if (!(repo.spec.acceptedTokens ?? []).includes(token)) {
      throw new HubError(
        403,
        'GatedRepo',
        `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`
      );
    }
  }
  return repo;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function revisionOf(o: HubServerOptions, repo: Repo, rev: string): Commit {
  const c = o.store.resolve(repo, rev);
  if (!c) throw new HubError(404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
  return c;
}

function json(ex: Exchange, value: unknown, headers: Record<string, string> = {}) {
  return sendBuffer(ex, 200, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

function modelInfo(o: HubServerOptions, ex: Exchange, repo: Repo, commit: Commit) {
  const s = repo.spec;
  const full: Record<string, unknown> = {
    _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
    id: repo.id,
    author: repo.id.split('/')[0],
    sha: commit.sha,
    lastModified: commit.date.toISOString(),
    private: !!s.private,
    disabled: false,
    gated: s.gated ?? false,
    downloads: 0,
    likes: 0,
    library_name: s.libraryName,
    tags: s.cardTags ?? [],
    pipeline_tag: s.pipelineTag,
    createdAt: repo.createdAt.toISOString(),
    siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
    spaces: [],
    usedStorage: [...commit.files.values()].reduce((n, f) => n + f.size, 0)
  };
  const expand = ex.url.searchParams.getAll('expand');
  if (expand.length === 0) return json(ex, { ...full, modelId: repo.id });
  const bad = expand.findIndex((k) => !EXPAND_KEYS.has(k));
  if (bad >= 0) {
    throw new HubError(400, undefined, `"expand[${bad}]" must be one of [${[...EXPAND_KEYS].join(', ')}]`);
  }
  const out: Record<string, unknown> = { _id: full._id, id: full.id };
  for (const k of expand) if (k in full) out[k] = full[k];
  return json(ex, out);
}

interface TreeNode {
  path: string;
  type: 'file' | 'directory';
  content?: Content;
}

async function tree(o: HubServerOptions, ex: Exchange, repo: Repo, commit: Commit, base: string) {
  const q = ex.url.searchParams;
  const recursive = q.get('recursive') === 'true' || q.get('recursive') === '1';
  const expand = q.get('expand') === 'true' || q.get('expand') === '1';
  const nodes = listNodes(commit, base, recursive);
  if (!nodes) throw new HubError(404, 'EntryNotFound', `${base} does not exist on "${commit.sha}"`);
  const pageSize = o.pageSize ?? (expand ? 50 : 1000);
  const cursor = q.get('cursor');
  let startAt = 0;
  if (cursor) {
    let after: unknown;
    try {
      after = JSON.parse(Buffer.from(cursor, 'base64url').toString()).after;
    } catch {
      throw new HubError(400, undefined, 'Invalid cursor');
    }
    if (typeof after !== 'string') throw new HubError(400, undefined, 'Invalid cursor');
    startAt = nodes.findIndex((n) => n.path > after);
    if (startAt < 0) startAt = nodes.length;
  }
  const page = nodes.slice(startAt, startAt + pageSize);
  const items = await Promise.all(page.map((n) => treeEntry(o, repo, commit, n, expand)));
  const headers: Record<string, string> = {};
  if (startAt + pageSize < nodes.length) {
    const next = new URLSearchParams(q);
    next.set('cursor', Buffer.from(JSON.stringify({ after: page[page.length - 1].path })).toString('base64url'));
    // A mirror (hf-mirror.com) passes the upstream's Link through unchanged, so it names huggingface.co.
    const origin = o.mirrorOf?.replace(/\/+$/, '') ?? `http://${ex.req.headers.host}`;
    headers.Link = `<${origin}${ex.url.pathname}?${next.toString()}>; rel="next"`;
  }
  return json(ex, items, headers);
}

/** Entries under `base` (files and implied directories) in path order; undefined when `base` is not a directory. */
function listNodes(commit: Commit, base: string, recursive: boolean): TreeNode[] | undefined {
  const prefix = base ? base + '/' : '';
  const out = new Map<string, TreeNode>();
  for (const [path, content] of commit.files) {
    if (!path.startsWith(prefix)) continue;
    const parts = path.slice(prefix.length).split('/');
    const depth = recursive ? parts.length : 1;
    for (let i = 1; i <= depth; i++) {
      const p = prefix + parts.slice(0, i).join('/');
      if (i === parts.length) out.set(p, { path: p, type: 'file', content });
      else if (!out.has(p)) out.set(p, { path: p, type: 'directory' });
    }
  }
  if (base && out.size === 0) return undefined;
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function treeEntry(o: HubServerOptions, repo: Repo, commit: Commit, n: TreeNode, expand: boolean) {
  let entry: Record<string, unknown>;
  if (n.type === 'file') {
    const c = n.content!;
    entry = { type: 'file', oid: await c.gitOid(), size: c.size, path: n.path };
    const lfs = await c.lfsInfo();
    if (lfs) entry.lfs = lfs;
  } else {
    const h = createHash('sha1');
    for (const [p, c] of [...commit.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (p.startsWith(n.path + '/')) h.update(`${p}\0${c.identity}\n`);
    }
    entry = { type: 'directory', oid: h.digest('hex'), size: 0, path: n.path };
  }
  if (expand) {
    const last = o.store.lastCommitOf(repo, commit, n.path);
    entry.lastCommit = { id: last.sha, title: last.title, date: last.date.toISOString() };
    if (n.type === 'file') entry.securityFileStatus = { status: 'unscanned' };
  }
  return entry;
}

async function download(o: HubServerOptions, ex: Exchange, repo: Repo, commit: Commit, path: string, raw: boolean) {
  const content = commit.files.get(path);
  if (!content) throw new HubError(404, 'EntryNotFound', 'Entry not found');
  const common: Record<string, string> = { 'X-Repo-Commit': commit.sha, Vary: 'Origin, Accept, Range' };
  const filename = path.split('/').pop()!;
  if (content.lfs && raw) {
    const pointer = Buffer.from(await content.pointer());
    const etag = `"${await content.gitOid()}"`;
    return sendBytes(
      ex,
      { ...common, ETag: etag, 'Content-Type': 'text/plain; charset=utf-8' },
      pointer.length,
      (s, e) => [pointer.subarray(s, e)]
    );
  }
  if (content.lfs) {
    const sha256 = await content.sha256();
    o.cdnObjects.set(sha256, content);
    const location = o.signer.sign(o.cdnEndpoint(ex.side), sha256, filename);
    return sendBuffer(
      ex,
      302,
      {
        ...common,
        Location: location,
        ETag: `"${sha256}"`,
        'X-Linked-Etag': `"${sha256}"`,
        'X-Linked-Size': String(content.size),
        'Content-Type': 'text/plain; charset=utf-8'
      },
      `Found. Redirecting to ${location}`
    );
  }
  const headers: Record<string, string> = {
    ...common,
    ETag: `"${await content.gitOid()}"`,
    'Content-Type': contentType(filename),
    'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(filename)}; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}";`
  };
  return sendBytes(ex, headers, content.size, (s, e) => content.chunks(s, e));
}

function contentType(filename: string): string {
  if (/\.json$/.test(filename)) return 'application/json; charset=utf-8';
  if (/\.(md|txt|py|yaml|yml|gitattributes)$|^\.gitattributes$/.test(filename)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}
