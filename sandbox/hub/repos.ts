/**
 * The repositories of the sandbox hub: immutable commits (a file map and a parent), branches and tags that point
 * at them, and the access rules (private, gated, renamed). Commit shas are sha1 over the sorted file identities and
 * the parent, so the same content always gives the same sha; moving a branch keeps old commits resolvable.
 */
import { createHash } from 'node:crypto';
import { Content, Hasher, type FileSpec } from './content.js';

export interface RepoSpec {
  /** `org/name`. */
  id: string;
  private?: boolean;
  /** Gated repos need accepted terms to download (metadata and the file list stay visible). */
  gated?: false | 'auto' | 'manual';
  /** Tokens whose holders accepted the gate's terms (the sandbox token has not, unless listed here). */
  acceptedTokens?: string[];
  /** Files of `main` (shorthand for `branches: { main: files }`). */
  files?: FileSpec[];
  /** Branch name → files; `refs/pr/1` style names are allowed. */
  branches?: Record<string, FileSpec[]>;
  /** Git tag → branch name or commit sha it points at. */
  tags?: Record<string, string>;
  /** This id is an old name: every request answers 307 to the same URL under `renamedTo`. */
  renamedTo?: string;
  /** Model card metadata. */
  pipelineTag?: string;
  libraryName?: string;
  cardTags?: string[];
}

export interface Commit {
  sha: string;
  parent?: string;
  title: string;
  date: Date;
  files: Map<string, Content>;
}

export interface Repo {
  id: string;
  spec: RepoSpec;
  createdAt: Date;
  commits: Map<string, Commit>;
  branches: Map<string, string>;
  tags: Map<string, string>;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;
const DEFAULT_BRANCH = 'main';

export class RepoStore {
  private repos = new Map<string, Repo>();
  /** Renamed id → new id. */
  private renames = new Map<string, string>();

  constructor(
    private readonly hasher: Hasher,
    private readonly now: () => number
  ) {}

  declare(spec: RepoSpec): void {
    if (!REPO_ID.test(spec.id)) throw new Error(`repo id must be org/name: ${spec.id}`);
    if (spec.renamedTo) {
      if (!REPO_ID.test(spec.renamedTo)) throw new Error(`renamedTo must be org/name: ${spec.renamedTo}`);
      this.renames.set(spec.id, spec.renamedTo);
      this.repos.delete(spec.id);
      return;
    }
    this.renames.delete(spec.id);
    const date = new Date(this.now());
    const repo: Repo = { id: spec.id, spec, createdAt: date, commits: new Map(), branches: new Map(), tags: new Map() };
    const branches = spec.branches ?? { [DEFAULT_BRANCH]: spec.files ?? [] };
    if (spec.files && spec.branches && !spec.branches[DEFAULT_BRANCH]) branches[DEFAULT_BRANCH] = spec.files;
    if (!branches[DEFAULT_BRANCH]) throw new Error(`repo ${spec.id} needs a ${DEFAULT_BRANCH} branch`);
    for (const [name, files] of Object.entries(branches)) {
      const map = new Map<string, Content>();
      for (const f of files) map.set(normalizePath(f.path), new Content(f, this.hasher));
      repo.branches.set(name, this.addCommit(repo, map, undefined, 'Initial commit', date));
    }
    for (const [tag, target] of Object.entries(spec.tags ?? {})) {
      const sha = repo.branches.get(target) ?? (repo.commits.has(target) ? target : undefined);
      if (!sha) throw new Error(`tag ${tag} of ${spec.id} points at unknown ${target}`);
      repo.tags.set(tag, sha);
    }
    this.repos.set(spec.id, repo);
  }

  moveBranch(id: string, branch: string, change: { files?: FileSpec[]; remove?: string[] }): string {
    const repo = this.mustGet(id);
    const parentSha = repo.branches.get(branch) ?? repo.branches.get(DEFAULT_BRANCH)!;
    const files = new Map(repo.commits.get(parentSha)!.files);
    for (const p of change.remove ?? []) files.delete(normalizePath(p));
    for (const f of change.files ?? []) files.set(normalizePath(f.path), new Content(f, this.hasher));
    const changed = [...(change.files ?? []).map((f) => f.path), ...(change.remove ?? [])].join(', ');
    const sha = this.addCommit(repo, files, parentSha, `Update ${changed || 'nothing'}`, new Date(this.now()));
    repo.branches.set(branch, sha);
    return sha;
  }

  get(id: string): Repo | undefined {
    return this.repos.get(id);
  }

  renamedTo(id: string): string | undefined {
    return this.renames.get(id);
  }

  /** Branch, tag, full commit sha, or HEAD (the default branch) → commit; undefined when unknown. */
  resolve(repo: Repo, rev: string): Commit | undefined {
    const sha =
      rev === 'HEAD'
        ? repo.branches.get(DEFAULT_BRANCH)
        : (repo.branches.get(rev) ?? repo.tags.get(rev) ?? (/^[0-9a-f]{40}$/.test(rev) ? rev : undefined));
    return sha ? repo.commits.get(sha) : undefined;
  }

  commitOf(id: string, rev: string): string {
    const c = this.resolve(this.mustGet(id), rev);
    if (!c) throw new Error(`no revision ${rev} in ${id}`);
    return c.sha;
  }

  /** The newest commit on the parent chain of `commit` whose parent no longer has `path` unchanged. */
  lastCommitOf(repo: Repo, commit: Commit, path: string): Commit {
    const matches = (c: Commit): boolean => [...c.files.keys()].some((p) => p === path || p.startsWith(path + '/'));
    const sig = (c: Commit): string =>
      [...c.files.entries()]
        .filter(([p]) => p === path || p.startsWith(path + '/'))
        .map(([p, f]) => `${p}=${f.identity}`)
        .sort()
        .join('\n');
    let cur = commit;
    const want = sig(commit);
    while (cur.parent) {
      const parent = repo.commits.get(cur.parent)!;
      if (!matches(parent) || sig(parent) !== want) break;
      cur = parent;
    }
    return cur;
  }

  private addCommit(repo: Repo, files: Map<string, Content>, parent: string | undefined, title: string, date: Date) {
    const h = createHash('sha1').update(`parent ${parent ?? ''}\n`);
    for (const p of [...files.keys()].sort()) h.update(`${p}\0${files.get(p)!.identity}\n`);
    const sha = h.digest('hex');
    if (!repo.commits.has(sha)) repo.commits.set(sha, { sha, parent, title, date, files });
    return sha;
  }

  private mustGet(id: string): Repo {
    const repo = this.repos.get(id);
    if (!repo) throw new Error(`no repo ${id} declared`);
    return repo;
  }
}

function normalizePath(p: string): string {
  const n = p.replace(/^\/+/, '');
  if (!n || n.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`bad file path ${p}`);
  return n;
}
