#!/usr/bin/env node
/**
 * The same pipeline outside GitHub Actions.
 *   arena-ft-pipeline run --config model.yaml [--stages sync,convert] [--plan] [--set name=value ...]
 *   arena-ft-pipeline sandbox
 * This entry only checks the Node version and quiets one library warning, then loads the commands
 * (src/cli/program.ts): on a Node that is too old the commands' dependencies must not even load.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { nodeVersionProblem } from './cli/node-version.js';
import { quietKnownWarnings } from './cli/warnings.js';

/** Exit code when the Node version is too old (see the `--help` exit code list). */
const EXIT_OLD_NODE = 3;

const invokedDirectly =
  !!process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(path.resolve(process.argv[1]));
if (invokedDirectly || process.env.ARENA_FT_CLI === '1') {
  // ARENA_FT_NODE_VERSION stands in for process.version in tests (the check itself is what is tested).
  const version = process.env.ARENA_FT_NODE_VERSION || process.version;
  const problem = nodeVersionProblem(version, typeof zlib.createZstdDecompress === 'function');
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exitCode = EXIT_OLD_NODE;
  } else {
    quietKnownWarnings();
    const { main } = await import('./cli/program.js');
    await main(process.argv);
  }
}
