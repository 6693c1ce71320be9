/**
 * `npm run demo`: the whole pipeline in the sandbox, run the way a GitHub runner runs the action.
 * Starts the sandbox, runs the bundled action (dist/) through all six stages for the seeded demo model, prints
 * the stage table and the sample completion, writes the job summary to a file it names, stops the sandbox.
 * Exits 0 only when every stage succeeded. Everything it writes (sandbox, tool cache, runner folders, HOME) is
 * under one temp root removed at exit: the only file it leaves is the summary under reports/.
 *   --rerun   run the pipeline a second time against the same sandbox: every stage is skipped
 *   --keep    leave the sandbox running afterwards (prints its endpoints; Ctrl-C stops it)
 *   --canary  (or DEMO_CANARY=1) the sandbox has Istio and simulated users calling the serving; run-1 serves
 *             version demo-a, then a canary run deploys demo-b and shifts the users' traffic to it step by step
 *             (the summary written is that run's, with the canary's step picture)
 */
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enterHermeticRoot } from './lib/hermetic.js';
import { startSandbox, DEMO_MODEL, type Sandbox } from '../sandbox/index.js';
import { runMainAndPost, REPO_ROOT, type StepRun } from './lib/run-action.js';
import { sandboxInputs } from './lib/sandbox-inputs.js';

interface StageRow {
  stage: string;
  status: string;
  summary: string;
  durationMs: number;
}

function printTable(rows: StageRow[]): void {
  const cells = rows.map((r) => [r.stage, r.status, `${(r.durationMs / 1000).toFixed(1)} s`, r.summary]);
  const head = ['stage', 'result', 'time', 'what happened'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => '  ' + c.map((x, i) => (i === 3 ? x : x.padEnd(widths[i]))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

/** The canary demo's inputs: a short real soak per step (the product's soak runs on real time). */
const CANARY_INPUTS = {
  'serving-name': 'demo-bloom',
  canary: 'true',
  'canary-steps': '20,50,100',
  'canary-soak': '4s',
  'canary-min-requests': '5'
};

async function runOnce(
  sb: Sandbox,
  work: string,
  label: string,
  overrides: Record<string, string> = {}
): Promise<{ ok: boolean; main: StepRun; rows: StageRow[] }> {
  const started = Date.now();
  // a price per GPU-hour makes the summary add the cost line (the sandbox's GPU time is scenario-compressed)
  const inputs = await sandboxInputs(sb, {
    stages: 'all',
    'gpu-price-per-hour': '20',
    'gpu-currency': 'CNY',
    ...overrides
  });
  const stageCount = inputs.canary === 'true' ? 7 : 6;
  const { main, post } = await runMainAndPost({
    inputs,
    dirs: { jobDir: path.join(work, label), toolCache: path.join(work, 'tool-cache') },
    step: label,
    onLine: (line) => {
      if (process.env.DEMO_VERBOSE) process.stdout.write(`    ${line}\n`);
    }
  });
  const rows: StageRow[] = JSON.parse(main.outputs['stage-results'] || '[]');
  console.log(
    `\n${label}: exit ${main.exitCode}, post ${post.exitCode}, ${((Date.now() - started) / 1000).toFixed(1)} s`
  );
  printTable(rows);
  if (main.outputs['gpu-hours'])
    console.log(`GPU-hours ${main.outputs['gpu-hours']}, GPU cost ${main.outputs['gpu-cost'] ?? '-'} CNY`);
  const ok =
    main.exitCode === 0 &&
    post.exitCode === 0 &&
    rows.length === stageCount &&
    rows.every((r) => r.status === 'done' || r.status === 'skipped');
  if (!ok) {
    const errors = main.stdout.split('\n').filter((l) => l.startsWith('::error'));
    console.log(errors.length ? errors.join('\n') : main.stdout.split('\n').slice(-40).join('\n'));
    if (main.stderr.trim()) console.log(main.stderr.split('\n').slice(-20).join('\n'));
  }
  return { ok, main, rows };
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const started = Date.now();
  await readFile(path.join(REPO_ROOT, 'dist/main/index.js')).catch(() => {
    throw new Error('dist/main/index.js is missing: run `npm run build` first');
  });
  const hermetic = enterHermeticRoot('arena-ft-demo');
  console.log(`demo: starting the sandbox (hub, OSS, releases, Kubernetes API, operator, Triton simulator)...`);
  const canary = args.has('--canary') || process.env.DEMO_CANARY === '1';
  const sb = await startSandbox({ speed: Number(process.env.SANDBOX_SPEED ?? 200), istio: canary });
  const work = await mkdtemp(path.join(tmpdir(), 'arena-ft-demo-'));
  let ok: boolean;
  // simulated users call the serving name's Service through the sandbox mesh (503 until the canary makes it)
  const users = canary
    ? sb.traffic!({ namespace: sb.info.kube!.namespace, host: 'demo-bloom', model: 'fastertransformer', rate: 0.1 })
    : undefined;
  try {
    console.log(`demo: model ${DEMO_MODEL.repo}, prompt ${JSON.stringify(DEMO_MODEL.prompt)}`);
    let first = await runOnce(sb, work, 'run-1', canary ? { ...CANARY_INPUTS, version: 'demo-a' } : {});
    if (canary && first.ok) {
      console.log('\ndemo: demo-a serves; now the canary run deploys demo-b and shifts the traffic to it');
      first = await runOnce(sb, work, 'canary', { ...CANARY_INPUTS, version: 'demo-b' });
      console.log(`users' requests per version: ${JSON.stringify(users!.counts())}`);
    }
    ok = first.ok;
    const completion = first.main.outputs.completion;
    if (completion !== undefined)
      console.log(`\nsample completion: ${JSON.stringify(DEMO_MODEL.prompt)} → ${JSON.stringify(completion)}`);
    const summaryFile = path.join(REPO_ROOT, 'reports', 'demo-summary.md');
    await mkdir(path.dirname(summaryFile), { recursive: true });
    await writeFile(summaryFile, first.main.summary);
    console.log(`job summary written to ${path.relative(process.cwd(), summaryFile)}`);
    if (ok && args.has('--rerun')) {
      const second = await runOnce(sb, work, 'run-2', canary ? { ...CANARY_INPUTS, version: 'demo-b' } : {});
      const allSkipped = second.rows.every((r) => r.status === 'skipped');
      ok = second.ok && allSkipped;
      console.log(allSkipped ? 'run-2: every stage found its work done' : 'run-2: some stage did its work again');
    }
    console.log(
      `\ndemo: ${ok ? 'every stage succeeded' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`
    );
    if (args.has('--keep')) {
      console.log(JSON.stringify(sb.info));
      console.log('demo: the sandbox keeps running; Ctrl-C stops it');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await users?.stop();
    await sb.stop();
    hermetic.remove();
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
