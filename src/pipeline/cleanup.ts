/**
 * The cleanup registry (what this run created and has not finished) and running the handlers for what is left.
 * The handlers, one per record kind, are built by the composition root (src/composition/cleanup.ts) and passed
 * in: nothing registers itself globally.
 */
import type { CleanupRecord, CleanupRegistry, Logger } from './types.js';

export type CleanupKind = CleanupRecord['kind'];

/**
 * How long the post step may spend undoing an unfinished run. GitHub force-terminates a cancelled job about
 * 5 minutes after the cancel, whatever runs (main gets SIGINT, SIGTERM 7.5 s later, a kill 2.5 s after that, then
 * the post step starts): the main step's ≤ 10 s, this budget and the runner's start of the post step must fit in
 * those 5 minutes (test/workflows/github-rules.test.ts checks the sum).
 */
export const POST_CLEANUP_BUDGET_MS = 4 * 60_000;
export type CleanupHandler<K extends CleanupKind = CleanupKind> = (
  record: Extract<CleanupRecord, { kind: K }>,
  ctx: { log: Logger; env: NodeJS.ProcessEnv; signal: AbortSignal }
) => Promise<void | 'deleted' | 'already-gone'>;

/** A handler per record kind (a kind without one is reported as "remove it by hand"). */
export type CleanupHandlers = { readonly [K in CleanupKind]?: CleanupHandler<K> };

const same = (a: CleanupRecord, b: CleanupRecord): boolean => JSON.stringify(a) === JSON.stringify(b);

/** An in-memory registry that reports every change (the action saves it as step state at once). */
export class MemoryCleanupRegistry implements CleanupRegistry {
  private records: CleanupRecord[] = [];
  constructor(
    initial: readonly CleanupRecord[] = [],
    private readonly onChange?: (records: readonly CleanupRecord[]) => void
  ) {
    this.records = [...initial];
  }
  add(record: CleanupRecord): void {
    if (this.records.some((r) => same(r, record))) return;
    this.records.push(record);
    this.onChange?.(this.list());
  }
  remove(record: CleanupRecord): void {
    const before = this.records.length;
    this.records = this.records.filter((r) => !same(r, record));
    if (this.records.length !== before) this.onChange?.(this.list());
  }
  list(): readonly CleanupRecord[] {
    return [...this.records];
  }
}

export interface CleanupOutcome {
  readonly record: CleanupRecord;
  /** `already-gone`: the handler found nothing to undo (never said of a handler that could not run). */
  readonly status: 'done' | 'already-gone' | 'failed' | 'no-handler';
  readonly message?: string;
}

/** Undoes each record with its kind's handler, newest first; one failure does not stop the others. */
export async function runCleanup(
  records: readonly CleanupRecord[],
  handlers: CleanupHandlers,
  ctx: { log: Logger; env: NodeJS.ProcessEnv; signal: AbortSignal }
): Promise<CleanupOutcome[]> {
  const out: CleanupOutcome[] = [];
  for (const record of [...records].reverse()) {
    const handler = handlers[record.kind] as CleanupHandler | undefined;
    if (!handler) {
      ctx.log.warning(`No cleanup handler for ${describeRecord(record)}; remove it by hand.`);
      out.push({ record, status: 'no-handler' });
      continue;
    }
    try {
      if ((await handler(record, ctx)) === 'already-gone') {
        ctx.log.info(`Nothing to clean up: ${describeRecord(record)} was already gone`);
        out.push({ record, status: 'already-gone' });
      } else {
        ctx.log.info(`Cleaned up ${describeRecord(record)}`);
        out.push({ record, status: 'done' });
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      ctx.log.warning(`Could not clean up ${describeRecord(record)}: ${message}`);
      out.push({ record, status: 'failed', message });
    }
  }
  return out;
}

export function describeRecord(r: CleanupRecord): string {
  switch (r.kind) {
    case 'multipart-upload':
      return `multipart upload oss://${r.bucket}/${r.key} (${r.uploadId})`;
    case 'pytorchjob':
      return `PyTorchJob ${r.namespace}/${r.name}`;
    case 'serving':
      return `serving ${r.namespace}/${r.name} version ${r.version}`;
    case 'file':
      return `file ${r.path}`;
    case 'sync-job':
      return `sync Job ${r.namespace}/${r.name} (and unfinished uploads under oss://${r.bucket}/${r.prefix})`;
  }
}
