/**
 * The oldest Node the CLI runs on, checked before anything else is loaded. @kubernetes/client-node 2.x brings
 * undici 8, which requires Node >= 22.19.0 (its package.json `engines`) and binds `zlib.createZstdDecompress` at
 * load (added in Node 22.15.0 / 23.8.0): on an older Node the first cluster call dies with "Cannot read properties
 * of undefined (reading 'bind')". Node 22 is the maintenance LTS line and 24 the active one: both are supported.
 */
export const MIN_NODE = '22.19.0';

function parse(v: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = v
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10) || 0);
  return [a, b, c];
}

export function olderThan(version: string, min: string): boolean {
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** What to tell the user when this Node cannot run the CLI, or undefined when it can. */
export function nodeVersionProblem(version: string, hasZstd: boolean): string | undefined {
  if (!olderThan(version, MIN_NODE) && hasZstd) return undefined;
  return (
    `arena-ft-pipeline needs Node ${MIN_NODE} or newer (this is Node ${version.replace(/^v/, '')}` +
    `${hasZstd ? '' : ', without zlib zstd support'}): the Kubernetes client it uses requires it. ` +
    'Install Node 24 (the active LTS) or 22.19+ (https://nodejs.org/en/download), then run it again.'
  );
}
