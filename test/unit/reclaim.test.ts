/** The collector of finished socket reads: when it collects, and that the real one reaches V8's gc. */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { reclaimer } from '../../src/util/reclaim.js';

test('collects once per `everyBytes` moved, carrying nothing over', () => {
  let collected = 0;
  const moved = reclaimer(100, () => collected++);
  for (const n of [40, 40, 19]) moved(n);
  expect(collected).toBe(0);
  moved(1); // 100
  expect(collected).toBe(1);
  moved(250); // one collection for a big step, the count starts again
  expect(collected).toBe(2);
  moved(99);
  expect(collected).toBe(2);
});

test('without a collector it only counts', () => {
  const moved = reclaimer(1, undefined);
  expect(() => moved(10)).not.toThrow();
});

test('the default collector makes V8 collect (a forced full GC) without --expose-gc on the command line', async () => {
  expect(process.execArgv.join(' ')).not.toContain('expose-gc');
  const forced = new Promise<boolean>((resolve) => {
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as unknown as { detail?: { kind: number; flags: number } }).detail;
        if (detail && detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) {
          obs.disconnect();
          resolve(true);
        }
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    setTimeout(() => {
      obs.disconnect();
      resolve(false);
    }, 5000).unref();
  });
  reclaimer(1)(1);
  expect(await forced).toBe(true);
});
