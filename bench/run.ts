/**
 * `npm run bench [-- --json <file>] [-- --only <name,...>]`: every speed and memory target of the product,
 * each measured against a baseline in the same run, printed as one table and optionally written as JSON
 * `[{"name","value","unit","goal","met"}]`.
 */
import { writeFile } from 'node:fs/promises';
import { enterHermeticRoot } from '../scripts/lib/hermetic.js';
import type { BenchRow } from './types.js';

interface Suite {
  name: string;
  run: () => Promise<BenchRow[]>;
}

const suites: Suite[] = [
  { name: 'sync', run: async () => (await import('./sync.js')).benchSync() },
  { name: 'wait', run: async () => (await import('./wait.js')).benchWait() },
  { name: 'action', run: async () => (await import('./action.js')).benchAction() },
  { name: 'shipped', run: async () => (await import('./shipped.js')).benchShipped() },
  { name: 'ranged', run: async () => (await import('./ranged.js')).benchRanged() },
  { name: 'cluster', run: async () => (await import('./cluster.js')).benchCluster() }
];

function parseArgs(argv: string[]): { json?: string; only?: Set<string> } {
  const out: { json?: string; only?: Set<string> } = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') out.json = argv[++i];
    else if (argv[i] === '--only') out.only = new Set(argv[++i].split(','));
  }
  return out;
}

function table(rows: BenchRow[]): string {
  const head = ['measure', 'value', 'unit', 'goal', 'met'];
  const cells = rows.map((r) => [r.name, String(r.value), r.unit, r.goal, r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows: BenchRow[] = [];
  // HOME, TMPDIR, RUNNER_TEMP and the tool cache of its own, removed at exit.
  enterHermeticRoot('arena-ft-bench');
  for (const suite of suites) {
    if (args.only && !args.only.has(suite.name)) continue;
    process.stderr.write(`bench: ${suite.name}...\n`);
    try {
      rows.push(...(await suite.run()));
    } catch (err) {
      process.stderr.write(`bench: ${suite.name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      rows.push({ name: `${suite.name} (failed)`, value: 0, unit: '', goal: 'runs', met: false });
    }
  }
  process.stdout.write(table(rows) + '\n');
  if (args.json) await writeFile(args.json, JSON.stringify(rows, null, 2) + '\n');
  process.exitCode = rows.every((r) => r.met) ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exit(2);
});
