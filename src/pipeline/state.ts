/**
 * What the main step leaves for the post step (GitHub step state, `STATE_<name>`): the kubeconfig file it
 * wrote, the cleanup records still open, and whether the run finished.
 */
import type { CleanupRecord } from './types.js';

export interface PostState {
  /** The kubeconfig file this run wrote (the post step removes it). */
  kubeconfigPath?: string;
  cleanup: CleanupRecord[];
  /** True once every selected stage ended (done, skipped or failed without leaving work running). */
  finished: boolean;
}

/** Where state is kept: @actions/core's saveState/getState in the action, a map in tests. */
export interface StateStore {
  save(name: string, value: string): void;
  get(name: string): string;
}

const KEY = 'arena-ft-pipeline';

export function savePostState(store: StateStore, state: PostState): void {
  store.save(KEY, JSON.stringify(state));
}

export function loadPostState(store: StateStore): PostState {
  const raw = store.get(KEY);
  if (!raw) return { cleanup: [], finished: true };
  try {
    const s = JSON.parse(raw) as Partial<PostState>;
    return {
      ...(typeof s.kubeconfigPath === 'string' ? { kubeconfigPath: s.kubeconfigPath } : {}),
      cleanup: Array.isArray(s.cleanup) ? s.cleanup : [],
      finished: s.finished === true
    };
  } catch {
    return { cleanup: [], finished: false };
  }
}
