/**
 * The HF commit the cluster stages work on (convert reads its files, smoke its tokenizer): the one the sync
 * stage resolved in this run, or a revision that is already a full commit sha. One rule for every stage.
 */
import { PipelineError } from '../errors.js';
import type { StageContext } from '../pipeline/types.js';

const FULL_SHA = /^[0-9a-f]{40}$/;

/** The commit when it is known (a plan can name it), undefined otherwise. */
export function knownCommit(ctx: Pick<StageContext, 'state' | 'config'>): string | undefined {
  if (typeof ctx.state.commit === 'string') return ctx.state.commit;
  return FULL_SHA.test(ctx.config.model.revision) ? ctx.config.model.revision : undefined;
}

/** The commit, or the stage's own error saying why it needs one (`code`, `what`) and how to give it. */
export function requireCommit(
  ctx: Pick<StageContext, 'state' | 'config'>,
  err: { readonly code: string; readonly message: string; readonly hint: string }
): string {
  const c = knownCommit(ctx);
  if (!c) throw new PipelineError(err.code, err.message, err.hint);
  return c;
}
