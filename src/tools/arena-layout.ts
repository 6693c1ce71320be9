/**
 * Arena installed as its install.sh would, without root (facts: kubeflow/arena v0.15.2, see sandbox/arena/README.md):
 *  - Arena runs every apply/delete through an `arena-kubectl` on PATH (pkg/util/kubectl/kubectl.go); install.sh
 *    copies the tarball's kubectl v1.28 there. We point it at the PINNED kubectl instead.
 *  - The tarball's bin/ also holds kubectl and helm: putting it on PATH would shadow the pinned kubectl, so PATH
 *    gets a directory of our own holding only `arena` and `arena-kubectl` (links into the tool cache).
 *  - Charts are read from `$HOME/charts`, else `/charts` (pkg/util/charts.go); nothing else (CHARTS_FOLDER) is read.
 *
 * Why the product's own arena runs get a HOME of their own: the charts Arena uses must be the ones of the pinned
 * version, whatever `~/charts` holds on this machine (a user's folder, another version's copy). Setup makes
 * `<run dir>/home/charts` → the cached charts and exports its path as ARENA_FT_ARENA_HOME; every arena the
 * product starts gets HOME set to it (src/arena/env.ts) and KUBECONFIG set explicitly (kubectl, started by arena, would otherwise
 * look for `$HOME/.kube/config`). `~/charts` is still linked, for the user's own later `arena` steps, but only when
 * that never clobbers anything of the user's.
 */
import { lstat, mkdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';

/** Replaces `link` with a symlink to `target` atomically (a new link renamed over the old one). */
export async function replaceLink(target: string, link: string): Promise<void> {
  const tmp = `${link}.${process.pid}.${Date.now()}.tmp`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, link);
}

export interface ArenaLayout {
  /** On PATH: only `arena` and `arena-kubectl`. */
  readonly binDir: string;
  /** HOME for the product's arena processes; `charts` in it links to the cached charts. */
  readonly home: string;
}

/**
 * Creates (or refreshes) `<runDir>/bin/{arena,arena-kubectl}` and `<runDir>/home/charts`. Everything in runDir
 * is ours: existing links are replaced, so a run after the tool cache was deleted repairs them.
 */
export async function prepareArenaLayout(
  runDir: string,
  files: { arena: string; kubectl: string; charts: string }
): Promise<ArenaLayout> {
  const binDir = path.join(runDir, 'bin');
  const home = path.join(runDir, 'home');
  await mkdir(binDir, { recursive: true });
  await mkdir(home, { recursive: true });
  await replaceLink(files.arena, path.join(binDir, 'arena'));
  await replaceLink(files.kubectl, path.join(binDir, 'arena-kubectl'));
  await replaceLink(files.charts, path.join(home, 'charts'));
  return { binDir, home };
}

/** What `~/charts` is now. */
export type ChartsState = { kind: 'absent' } | { kind: 'link'; target: string; dangling: boolean } | { kind: 'other' };

export async function chartsState(p: string): Promise<ChartsState> {
  const st = await lstat(p).catch(() => undefined);
  if (!st) return { kind: 'absent' };
  if (!st.isSymbolicLink()) return { kind: 'other' };
  const target = path.resolve(path.dirname(p), await readlink(p));
  const dangling = !(await stat(p).then(
    () => true,
    () => false
  ));
  return { kind: 'link', target, dangling };
}

/** A link into a copy of Arena's charts in a tool cache (`<cache>/arena/<version>/<arch>/charts`): one of ours. */
export function isToolCacheCharts(target: string): boolean {
  return /[/\\]arena[/\\][^/\\]+[/\\](amd64|arm64|x64)[/\\]charts$/.test(target);
}

export type ChartsAction =
  { do: 'create' } | { do: 'keep' } | { do: 'replace'; why: string } | { do: 'leave'; why: string };

/** What to do with `~/charts`: never clobber what the user made (a folder, a link elsewhere). */
export function chartsAction(state: ChartsState, charts: string): ChartsAction {
  if (state.kind === 'absent') return { do: 'create' };
  if (state.kind === 'other') return { do: 'leave', why: 'it is a folder or file this action did not create' };
  if (path.resolve(state.target) === path.resolve(charts)) return { do: 'keep' };
  if (state.dangling) return { do: 'replace', why: `it was a dangling link to ${state.target}` };
  if (isToolCacheCharts(state.target)) {
    return { do: 'replace', why: `it linked to another tool-cache copy of Arena's charts (${state.target})` };
  }
  return { do: 'leave', why: `it is a link to ${state.target}, which this action did not create` };
}

/** The result of {@link linkUserCharts}, for the log. */
export interface ChartsOutcome {
  readonly action: ChartsAction['do'];
  readonly message: string;
  readonly warning: boolean;
}

/** Makes `<home>/charts` point at the cached charts, as install.sh installs them for a non-root user. */
export async function linkUserCharts(home: string, charts: string): Promise<ChartsOutcome> {
  const link = path.join(home, 'charts');
  const action = chartsAction(await chartsState(link), charts);
  switch (action.do) {
    case 'create':
      await replaceLink(charts, link);
      return { action: 'create', message: `Linked ${link} → ${charts} (Arena's chart folder)`, warning: false };
    case 'keep':
      return { action: 'keep', message: `${link} already links to ${charts}`, warning: false };
    case 'replace':
      await replaceLink(charts, link);
      return {
        action: 'replace',
        message: `Replaced ${link} (${action.why}) with a link to ${charts}`,
        warning: false
      };
    case 'leave':
      return {
        action: 'leave',
        message: `Left ${link} as it is (${action.why}). This action's own arena commands use ${charts}; arena commands you run yourself read ${link}. To have them use this version's charts, remove or rename ${link} and re-run setup.`,
        warning: true
      };
  }
}
