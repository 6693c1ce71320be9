/**
 * Wait detection: how long after a PyTorchJob's status flips to Succeeded does the convert stage notice
 * (list + watch through the API), against the usual alternative — polling `arena get` every 10 s — measured on
 * the same job in the same run. The flip is timed at the sandbox's object store, where the operator writes it.
 */
import { makeConvertStage } from '../src/stages/convert.js';
import { makeStorageStage } from '../src/stages/storage.js';
import { runArena } from '../src/arena/exec.js';
import { abortableSleep } from '../src/util/retry.js';
import type { BenchRow } from './types.js';
import { startCluster } from '../test/integration/cluster-stages-harness.js';

const POLL_MS = 10_000;

export async function benchWait(): Promise<
  { name: string; value: number; unit: string; goal: string; met: boolean }[]
> {
  const cl = await startCluster({ speed: 50 });
  const rows: BenchRow[] = [];
  try {
    const cfg = cl.cfg({ convert: { jobName: 'ft-bench-wait' } });
    await makeStorageStage(cl.deps).run(cl.context(cfg).ctx);
    await cl.seedModel(cfg);
    let flippedAt: number | undefined;
    const unsubscribe = cl.sb.kube!.store.subscribe((ev) => {
      if (
        flippedAt !== undefined ||
        ev.resource.plural !== 'pytorchjobs' ||
        ev.object.metadata.name !== cfg.convert.jobName
      )
        return;
      const conds = (ev.object.status?.conditions as { type: string; status: string }[] | undefined) ?? [];
      if (conds.some((c) => c.type === 'Succeeded' && c.status === 'True'))
        flippedAt = performance.now() + performance.timeOrigin;
    });
    let noticedAt: number | undefined;
    const deps = { ...cl.deps, onNoticed: (_w: 'job' | 'rollout', _o: unknown, at: number) => void (noticedAt ??= at) };

    // The baseline: a 10 s `arena get -o json` loop started with the job, as a script would.
    const stopPoll = new AbortController();
    let polledAt: number | undefined;
    const poll = (async () => {
      while (!stopPoll.signal.aborted) {
        const res = await runArena(['get', cfg.convert.jobName, `--namespace=${cfg.cluster.namespace}`, '-o', 'json'], {
          env: cl.env
        });
        if (res.exitCode === 0 && /"status":\s*"SUCCEEDED"/i.test(res.stdout)) {
          polledAt = Date.now();
          return;
        }
        await abortableSleep(POLL_MS, stopPoll.signal).catch(() => undefined);
      }
    })();
    const t = cl.context(cfg);
    await makeConvertStage(deps).run(t.ctx);
    await poll;
    unsubscribe();
    if (flippedAt === undefined || noticedAt === undefined || polledAt === undefined)
      throw new Error('bench wait: a moment was not recorded');
    const watchMs = Math.max(0, noticedAt - flippedAt);
    const pollMs = Math.max(0, polledAt - flippedAt);
    rows.push({
      name: 'convert: job Succeeded → stage notices (API watch)',
      value: Math.round(watchMs),
      unit: 'ms',
      goal: '≤ 1000 ms',
      met: watchMs <= 1000
    });
    rows.push({
      name: 'convert: job Succeeded → `arena get` every 10 s notices (same job)',
      value: Math.round(pollMs),
      unit: 'ms',
      goal: 'baseline',
      met: true
    });
    rows.push({
      name: 'wait detection: polling delay / watch delay',
      value: Number((pollMs / Math.max(watchMs, 1)).toFixed(1)),
      unit: '×',
      goal: '≥ 1 (watch no slower)',
      met: pollMs >= watchMs
    });
    return rows;
  } finally {
    await cl.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchWait().then((r) => console.table(r));
}
