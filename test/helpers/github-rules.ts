/**
 * Rules GitHub enforces on a workflow run that no linter sees, as pure functions the workflow simulator
 * (./workflow-sim.ts) applies. Each names the GitHub documentation it follows; test/workflows/github-rules.test.ts
 * has a test per rule.
 */

/** Access levels of a GITHUB_TOKEN scope, weakest first. */
const LEVELS = ['none', 'read', 'write'] as const;
export type Level = (typeof LEVELS)[number];
export type Permissions = Record<string, Level>;

/** The scopes `permissions:` can name (docs: "Controlling permissions for GITHUB_TOKEN"). */
export const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses'
] as const;

/**
 * The repository default when a workflow sets no `permissions:` (the "restricted" default: contents and packages
 * read). Whichever default a repository has, it never includes `id-token: write` (docs: "Automatic token
 * authentication" → "Permissions for the GITHUB_TOKEN"; OpenID Connect: "you must set id-token: write").
 */
export const REPOSITORY_DEFAULT: Permissions = Object.fromEntries(
  SCOPES.map((s) => [s, s === 'contents' || s === 'packages' ? 'read' : 'none'])
) as Permissions;

/**
 * A `permissions:` value as GitHub reads it: `read-all`, `write-all`, `{}` or a map; unspecified scopes of a map
 * are `none` ("If you specify the access for any of these scopes, all of those that are not specified are set to
 * none"). `undefined` (not set) is `inherited`.
 */
export function parsePermissions(value: unknown, inherited: Permissions): Permissions {
  if (value === undefined || value === null) return { ...inherited };
  if (value === 'read-all' || value === 'write-all') {
    const level: Level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(SCOPES.map((s) => [s, s === 'id-token' && level === 'read' ? 'none' : level]));
  }
  const out = Object.fromEntries(SCOPES.map((s) => [s, 'none'])) as Permissions;
  for (const [k, v] of Object.entries(value as Record<string, Level>)) out[k] = v;
  return out;
}

export class StartupFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupFailure';
  }
}

/**
 * "Reusing workflows" → "Access and permissions": a called workflow's jobs can keep or lower the caller's
 * GITHUB_TOKEN permissions, never raise them. GitHub checks this when the run starts, for every nested job,
 * before any `if:` is evaluated, and refuses the whole run with this message.
 */
export function checkNarrowing(nestedJob: string, requested: Permissions, allowed: Permissions): void {
  for (const scope of Object.keys(requested)) {
    const want = requested[scope] ?? 'none';
    const may = allowed[scope] ?? 'none';
    if (LEVELS.indexOf(want) > LEVELS.indexOf(may)) {
      throw new StartupFailure(
        `The nested job '${nestedJob}' is requesting '${scope}: ${want}', but is only allowed '${scope}: ${may}'.`
      );
    }
  }
}

/**
 * "Automatic token authentication": a run for a pull request from a fork gets a read-only token (write becomes
 * read) and, per "OpenID Connect", no OIDC token, whatever the workflow asks.
 */
export function forkToken(p: Permissions): Permissions {
  return Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, k === 'id-token' ? 'none' : v === 'write' ? 'read' : v])
  ) as Permissions;
}

/**
 * "OpenID Connect reference" → example subject claims: `repo:<owner>/<repo>:environment:<name>` for a job that
 * declares an environment; otherwise `…:pull_request` for pull_request events, `…:ref:<github.ref>` for the rest.
 */
export function oidcSubject(o: { repository: string; environment?: string; eventName: string; ref: string }): string {
  if (o.environment) return `repo:${o.repository}:environment:${o.environment}`;
  if (o.eventName === 'pull_request' || o.eventName === 'pull_request_target')
    return `repo:${o.repository}:pull_request`;
  return `repo:${o.repository}:ref:${o.ref}`;
}

/**
 * "Using secrets in GitHub Actions" → naming your secrets: only alphanumerics and `_`, no leading digit, no
 * `GITHUB_` prefix. A secret of any other name cannot be created in a repository or an environment.
 */
export function checkSecretName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) {
    throw new Error(
      `secret name "${name}" is not allowed: secret names can only contain alphanumeric characters or underscores`
    );
  }
}

/** "Workflow syntax" → jobs.<job_id>.uses: a literal `{owner}/{repo}/{path}@{ref}` or `./{path}`; no expressions. */
export function checkUsesLiteral(where: string, uses: string): void {
  if (uses.includes('${{')) {
    throw new StartupFailure(`${where}: uses: "${uses}" contains an expression; \`uses:\` takes no expressions`);
  }
}

/**
 * "Workflow cancellation reference": the runner sends SIGINT to the step's process, SIGTERM if it has not exited
 * after 7500 ms, kills the process tree 2500 ms later; after the 5 minute cancellation timeout the server
 * forcibly terminates every job and step still running (post steps included).
 */
export const CANCELLATION = {
  sigtermAfterMs: 7_500,
  killAfterSigtermMs: 2_500,
  forceTerminateAfterMs: 5 * 60_000
} as const;

/**
 * "Control the concurrency of workflows and jobs": in a group at most one run is running and one pending; with
 * cancel-in-progress false a new run waits, and a run that arrives while one is pending replaces (cancels) the
 * pending one.
 */
export class ConcurrencyGroup {
  running?: string;
  pending?: string;
  readonly cancelled: string[] = [];
  arrive(run: string): void {
    if (this.running === undefined) this.running = run;
    else {
      if (this.pending !== undefined) this.cancelled.push(this.pending);
      this.pending = run;
    }
  }
  finish(): void {
    this.running = this.pending;
    this.pending = undefined;
  }
}

/**
 * "Managing environments for deployment" → deployment branches and tags: an environment limited to some refs
 * rejects a job from any other ref (a release run has the ref refs/tags/<tag>).
 */
export function environmentAllows(patterns: readonly string[] | undefined, ref: string): boolean {
  if (!patterns) return true;
  const name = ref.replace(/^refs\/(heads|tags)\//, '');
  const kind = ref.startsWith('refs/tags/') ? 'tag' : 'branch';
  return patterns.some((p) => {
    const [k, glob] = p.includes(':') ? (p.split(':', 2) as [string, string]) : ['branch', p];
    if (k !== kind) return false;
    const re = new RegExp(`^${glob.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return re.test(name);
  });
}
