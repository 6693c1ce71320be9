/** The `arena` executable's entry (bundled by pack.ts into bin/arena). */
import { runArena } from './cli.js';

runArena(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`FATA[0000] ${e.stack ?? e.message}\n`);
    process.exitCode = 2;
  }
);
