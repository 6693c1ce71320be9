/** The `arena` executable's entry (bundled by pack.ts into bin/arena). */
import { runArena } from './cli.js';

// A Go binary writing into a closed pipe (`arena serve list | head -1`) dies of SIGPIPE without a word; Node would
// raise an unhandled EPIPE error instead. Exit quietly with the status a shell reports for SIGPIPE (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}

runArena(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`FATA[0000] ${e.stack ?? e.message}\n`);
    process.exitCode = 2;
  }
);
