/**
 * What the pipeline runner and the stages agree on. A stage is a file in src/stages/ exporting a factory of a
 * `Stage`; src/composition/stages.ts builds each with its dependencies.
 */
import type { Config, StageName } from '../config/types.js';

/** Where stages write what a person reads. The action writes through @actions/core; the CLI to the terminal. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** Fold the lines `fn` logs under a title (a log group on GitHub). */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Mask a secret in every later log line. */
  secret(value: string): void;
}

/**
 * Things this run created that must be undone if the run is cancelled or fails before they are finished
 * (the post step reads them back). Stages add a record when they create the thing and remove it once it is
 * finished (e.g. the upload completed, the job succeeded).
 */
export type CleanupRecord =
  | { readonly kind: 'multipart-upload'; readonly bucket: string; readonly key: string; readonly uploadId: string }
  | { readonly kind: 'pytorchjob'; readonly namespace: string; readonly name: string }
  | { readonly kind: 'serving'; readonly namespace: string; readonly name: string; readonly version: string }
  | { readonly kind: 'file'; readonly path: string }
  /** A cluster-mode sync Job: delete it and its pods, abort the uploads under `prefix`, delete its Secret/ConfigMap. */
  | {
      readonly kind: 'sync-job';
      readonly namespace: string;
      readonly name: string;
      readonly bucket: string;
      readonly prefix: string;
    };

export interface CleanupRegistry {
  add(record: CleanupRecord): void;
  remove(record: CleanupRecord): void;
  list(): readonly CleanupRecord[];
}

/** Facts one stage learns that later stages (of this run) use. */
export interface RunState {
  /** The commit the HF revision resolved to. */
  commit?: string;
  [key: string]: unknown;
}

export interface StageContext {
  readonly config: Config;
  readonly log: Logger;
  /** Aborted on SIGINT/SIGTERM (cancellation): stop, undo what is unfinished, then throw. */
  readonly signal: AbortSignal;
  readonly state: RunState;
  readonly cleanup: CleanupRegistry;
  /** Environment the action runs in (KUBECONFIG, RUNNER_TEMP, ...). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Plan mode only: what the plan may look at. Without OSS credentials or a cluster (a fork's pull request) a
   * stage plans from the hub and the config alone and says that whether the work is already done is unknown.
   */
  readonly planAccess?: PlanAccess;
}

export interface PlanAccess {
  /** OSS credentials are present. */
  readonly oss: boolean;
  /** A kubeconfig is present. */
  readonly cluster: boolean;
  /** Why something is not reachable, for the reader ("no OSS credentials in this run"). */
  readonly missing?: string;
}

/** A row of the job summary's stage table and the stage's step outputs. */
export interface StageOutcome {
  readonly status: 'done' | 'skipped';
  /** One line: what happened, or why it was skipped. */
  readonly summary: string;
  /** Facts for the summary (files synced, bytes, job name, latencies, ...). */
  readonly details?: Readonly<Record<string, string | number>>;
  /** Step outputs this stage sets (kebab-case names, as in action.yml). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Extra Markdown for the job summary (e.g. the smoke table). */
  readonly markdown?: string;
}

/** What plan mode says a stage would do. */
export interface PlanLine {
  readonly action: 'run' | 'skip';
  readonly reason: string;
  /**
   * Set when the plan could not check whether the work is already done (no OSS credentials or no cluster):
   * the stage may turn out to skip. Says what was not reachable.
   */
  readonly doneUnknown?: string;
  /** What the stage would do, in full: files, commands, generated files (shown in the log and the summary). */
  readonly detail?: readonly string[];
}

export interface Stage {
  readonly name: StageName;
  run(ctx: StageContext): Promise<StageOutcome>;
  /** Plan mode: what `run` would do, touching nothing (reads are allowed). */
  plan(ctx: StageContext): Promise<PlanLine>;
}

export interface StageResult {
  readonly stage: StageName;
  /** `planned`: plan mode, the stage would run (nothing was done). */
  readonly status: 'done' | 'skipped' | 'failed' | 'not-run' | 'planned';
  readonly summary: string;
  readonly durationMs: number;
  readonly startedAt?: string;
  readonly details?: Readonly<Record<string, string | number>>;
  readonly error?: { readonly code: string; readonly message: string; readonly hint: string };
}
