/**
 * GitHub's rules the workflow simulator applies (test/helpers/github-rules.ts), each against the documentation
 * it follows, and the product's figures that must fit them.
 */
import { describe, expect, it } from '@jest/globals';
import {
  CANCELLATION,
  ConcurrencyGroup,
  REPOSITORY_DEFAULT,
  StartupFailure,
  checkNarrowing,
  checkSecretName,
  checkUsesLiteral,
  environmentAllows,
  forkToken,
  oidcSubject,
  parsePermissions
} from '../helpers/github-rules.js';
import { POST_CLEANUP_BUDGET_MS } from '../../src/pipeline/cleanup.js';

describe('permission narrowing (docs: "Reusing workflows" → access and permissions)', () => {
  it("refuses a nested job that asks for more than the caller grants, with GitHub's message", () => {
    const caller = parsePermissions({ contents: 'read' }, REPOSITORY_DEFAULT);
    const nested = parsePermissions({ contents: 'read', 'id-token': 'write' }, REPOSITORY_DEFAULT);
    expect(() => checkNarrowing('models.yml/pipeline', nested, caller)).toThrow(
      new StartupFailure(
        "The nested job 'models.yml/pipeline' is requesting 'id-token: write', but is only allowed 'id-token: none'."
      )
    );
  });
  it('accepts the same or less', () => {
    const caller = parsePermissions({ contents: 'read', 'id-token': 'write' }, REPOSITORY_DEFAULT);
    expect(() => checkNarrowing('x', parsePermissions({ contents: 'read' }, caller), caller)).not.toThrow();
    expect(() => checkNarrowing('x', caller, caller)).not.toThrow();
  });
  it('unset permissions are the repository default, which never includes id-token: write', () => {
    expect(parsePermissions(undefined, REPOSITORY_DEFAULT)['id-token']).toBe('none');
    // a map sets every scope it does not name to none ("Controlling permissions for GITHUB_TOKEN")
    expect(parsePermissions({ 'id-token': 'write' }, REPOSITORY_DEFAULT).contents).toBe('none');
  });
  it('a fork gets a read-only token and no OIDC token (docs: "Automatic token authentication")', () => {
    expect(forkToken({ contents: 'write', 'id-token': 'write', issues: 'read' })).toEqual({
      contents: 'read',
      'id-token': 'none',
      issues: 'read'
    });
  });
});

describe('uses: takes no expressions (docs: "Workflow syntax" → jobs.<job_id>.uses)', () => {
  it('refuses an expression in the ref', () => {
    expect(() => checkUsesLiteral('x', 'arena-ft/arena-ft-pipeline@${{ inputs.action-ref }}')).toThrow(StartupFailure);
    expect(() => checkUsesLiteral('x', 'arena-ft/arena-ft-pipeline@v1')).not.toThrow();
  });
});

describe('secret names (docs: "Using secrets in GitHub Actions" → naming your secrets)', () => {
  it('only letters, digits and _; a hyphenated name can never be an environment secret', () => {
    expect(() => checkSecretName('oss-access-key-id')).toThrow(/only contain alphanumeric characters or underscores/);
    expect(() => checkSecretName('GITHUB_TOKEN_X')).toThrow();
    expect(() => checkSecretName('OSS_ACCESS_KEY_ID')).not.toThrow();
  });
});

describe('OIDC sub (docs: "OpenID Connect reference" → example subject claims)', () => {
  const base = { repository: 'acme/models', ref: 'refs/heads/main' };
  it('names the environment only for a job that declares one', () => {
    expect(oidcSubject({ ...base, environment: 'production', eventName: 'release' })).toBe(
      'repo:acme/models:environment:production'
    );
    expect(oidcSubject({ ...base, eventName: 'pull_request' })).toBe('repo:acme/models:pull_request');
    expect(oidcSubject({ ...base, ref: 'refs/tags/v1.4.0', eventName: 'release' })).toBe(
      'repo:acme/models:ref:refs/tags/v1.4.0'
    );
  });
});

describe('environment deployment refs (docs: "Managing environments for deployment")', () => {
  it('an environment limited to main rejects a release run (refs/tags/…) unless a tag pattern allows it', () => {
    expect(environmentAllows(['main'], 'refs/tags/v1.4.0')).toBe(false);
    expect(environmentAllows(['main', 'tag:v*'], 'refs/tags/v1.4.0')).toBe(true);
    expect(environmentAllows(['main'], 'refs/heads/main')).toBe(true);
    expect(environmentAllows(undefined, 'refs/pull/4/merge')).toBe(true);
  });
});

describe('cancellation (docs: "Workflow cancellation reference")', () => {
  it('the post step cleanup budget fits in the ~5 minutes GitHub gives a cancelled job', () => {
    // main: SIGINT, SIGTERM 7.5 s later, killed 2.5 s after that; then the post step runs its cleanup; the runner
    // needs a little time to start the post step (a margin of 30 s is kept for it).
    const mainAtMost = CANCELLATION.sigtermAfterMs + CANCELLATION.killAfterSigtermMs;
    const margin = 30_000;
    expect(mainAtMost + POST_CLEANUP_BUDGET_MS + margin).toBeLessThanOrEqual(CANCELLATION.forceTerminateAfterMs);
  });
});

describe('concurrency (docs: "Control the concurrency of workflows and jobs")', () => {
  it('one run runs and one waits; a third replaces (cancels) the pending second', () => {
    const g = new ConcurrencyGroup();
    g.arrive('run1');
    g.arrive('run2');
    g.arrive('run3');
    expect([g.running, g.pending, g.cancelled]).toEqual(['run1', 'run3', ['run2']]);
    g.finish();
    expect([g.running, g.pending]).toEqual(['run3', undefined]);
  });
});
