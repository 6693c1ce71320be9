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

/** A short, secret-free description of any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
