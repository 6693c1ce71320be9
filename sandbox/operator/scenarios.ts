/**
 * Scenarios: scripted outcomes for jobs and Deployments, matched by object name. Tests and the admin API
 * (`POST /kube/scenarios`, which revives `match` from a string) set them; the first matching one wins.
 */

export type Scenario = {
  /** Matched against the PyTorchJob or Deployment name (a string is a regular expression source). */
  match: RegExp | string;
} & (
  | {
      /** The container fails: after `afterLines` log lines or `afterSeconds` scenario seconds (default: at once). */
      outcome: 'fail-at';
      afterLines?: number;
      afterSeconds?: number;
      /** The exception line of the traceback (default `RuntimeError: ...`). */
      message?: string;
    }
  | { outcome: 'oom'; afterLines?: number; afterSeconds?: number }
  /**
   * The first run of a matching job's container fails, later runs (restarted in place, recreated by the
   * operator, or of the job submitted again under the same name) succeed. It fails with a traceback and exit 1,
   * or, with `exitCode` ≥ 128, is killed by that signal with no last words (a node going away, a SIGKILL).
   * Whether the job then restarts is the operator's rule (restartPolicy), not the scenario's.
   */
  | { outcome: 'restart-then-succeed'; message?: string; exitCode?: number }
  /** The pods are never scheduled (FailedScheduling: no node matches). */
  | { outcome: 'pending-forever' }
  /** Serving pods: the container exits with code 1 after `afterSeconds` (default 2) each time it starts. */
  | { outcome: 'crash-loop'; afterSeconds?: number }
  /** Every operator duration (scheduling, image pull, container start, probes) for matches multiplied by `factor`. */
  | { outcome: 'slow'; factor: number }
  /**
   * Serving pods: Triton answers normally for `afterRequests` requests (default 20), then every `failEvery`-th
   * (default 2) fails with FT's out-of-memory error and the rest take `latencyFactor` (default 10) times as long.
   */
  | { outcome: 'degrade-under-load'; afterRequests?: number; failEvery?: number; latencyFactor?: number }
);

export class ScenarioBook {
  private list: Scenario[] = [];
  /** Names a restart-then-succeed scenario has already failed once. */
  private struck = new WeakMap<Scenario, Set<string>>();

  set(s: Scenario): void {
    this.list.unshift(s);
  }

  clear(): void {
    this.list = [];
  }

  find(name: string | undefined, outcomes?: Scenario['outcome'][]): Scenario | undefined {
    if (!name) return undefined;
    return this.list.find((s) => {
      if (outcomes && !outcomes.includes(s.outcome)) return false;
      const re = typeof s.match === 'string' ? new RegExp(s.match) : s.match;
      re.lastIndex = 0;
      return re.test(name);
    });
  }

  /** True the first time it is asked for this scenario and name (the run that fails), false afterwards. */
  firstRun(s: Scenario, name: string): boolean {
    const seen = this.struck.get(s) ?? new Set<string>();
    this.struck.set(s, seen);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  }

  /** The slowdown factor for an object (1 when none). */
  factor(name: string | undefined): number {
    const s = this.find(name, ['slow']);
    return s && s.outcome === 'slow' && s.factor > 0 ? s.factor : 1;
  }
}
