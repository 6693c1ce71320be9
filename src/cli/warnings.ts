/**
 * ali-oss 6.23.0 parses the endpoint with the legacy `url.parse()` (lib/common/client/initOptions.js line 9), which
 * Node 24 reports as DEP0169 on every run (Node skips the warning for code under node_modules, but in the bundle
 * ali-oss is no longer there). The call is inside the library, the behaviour it warns about (lenient parsing of odd hosts) does not
 * apply to the endpoint URLs the config check has already validated, and the warning tells a CLI user nothing they
 * can act on: drop that one warning code, keep every other warning.
 */
const QUIET = new Set(['DEP0169']);

type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;

/** The warning code in any of emitWarning's call forms: (w, type, code), (w, { code }), or an Error with .code. */
export function warningCode(warning: string | Error, rest: readonly unknown[]): string | undefined {
  if (warning instanceof Error && typeof (warning as NodeJS.ErrnoException).code === 'string')
    return (warning as NodeJS.ErrnoException).code;
  const [a, b] = rest;
  if (a && typeof a === 'object' && typeof (a as { code?: unknown }).code === 'string')
    return (a as { code: string }).code;
  return typeof b === 'string' ? b : undefined;
}

export function quietKnownWarnings(proc: { emitWarning: EmitWarning } = process as never): void {
  const emit = proc.emitWarning.bind(proc);
  proc.emitWarning = (warning, ...rest) => {
    const code = warningCode(warning, rest);
    if (code && QUIET.has(code)) return;
    emit(warning, ...rest);
  };
}
