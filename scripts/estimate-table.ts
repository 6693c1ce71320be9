/**
 * `npm run estimate-table`: writes the README's sync estimate table (between `<!-- estimate-table:begin -->` and
 * `<!-- estimate-table:end -->`) from the estimator, src/stages/sync-mode.ts. `--check` only compares.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimateTable } from '../src/stages/sync-mode.js';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../README.md');
const BLOCK = /(<!-- estimate-table:begin -->\n)[\s\S]*?(<!-- estimate-table:end -->)/;

/** The README text with the block replaced by `table`. */
export function withTable(readme: string, table: string): string {
  if (!BLOCK.test(readme)) throw new Error('README.md has no <!-- estimate-table:begin/end --> block');
  return readme.replace(BLOCK, (_, begin: string, end: string) => `${begin}${table}\n${end}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README, 'utf8');
  const next = withTable(readme, estimateTable());
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md estimate table is stale: run `npm run estimate-table`');
      process.exit(1);
    }
  } else {
    writeFileSync(README, next);
    console.log(estimateTable());
  }
}
