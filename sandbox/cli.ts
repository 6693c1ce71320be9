/**
 * `npm run sandbox`: start every sandbox piece on 127.0.0.1, print ONE line of JSON (endpoints and
 * credentials) on stdout, log to stderr, and serve until SIGINT/SIGTERM, then remove temporary files.
 */
import { startSandbox } from './index.js';
import type { NetworkConfig } from './network.js';

async function main(): Promise<void> {
  const started = Date.now();
  // SANDBOX_NETWORK: the network model as JSON (sandbox/README.md "Network model"); default no shaping
  const network = process.env.SANDBOX_NETWORK ? (JSON.parse(process.env.SANDBOX_NETWORK) as NetworkConfig) : undefined;
  const sb = await startSandbox({ speed: Number(process.env.SANDBOX_SPEED ?? 50), network });
  process.stdout.write(JSON.stringify(sb.info) + '\n');
  process.stderr.write(`sandbox: ready in ${Date.now() - started} ms (data in ${sb.dir}); SIGTERM stops it\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`sandbox: ${signal}, stopping\n`);
    await sb.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`sandbox: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
