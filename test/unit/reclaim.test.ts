/** The collector of finished socket reads: when it collects, which kind, and that the real one reaches V8's gc. */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { bytesRead, reclaimer, READS, type Collector } from '../../src/util/reclaim.js';

function counting(): Collector & { log: string[] } {
  const log: string[] = [];
  return { log, minor: () => log.push('minor'), full: () => log.push('full') };
}

test('a minor collection once per `minorEvery` moved, carrying nothing over', () => {
  const c = counting();
  const moved = reclaimer({ minorEvery: 100, fullEvery: 1000 }, c);
  for (const n of [40, 40, 19]) moved(n);
  expect(c.log).toEqual([]);
  moved(1); // 100
  expect(c.log).toEqual(['minor']);
  moved(250); // one collection for a big step, the count starts again
  expect(c.log).toEqual(['minor', 'minor']);
  moved(99);
  expect(c.log).toEqual(['minor', 'minor']);
});

test('a full collection instead of the minor one each time `fullEvery` more have passed', () => {
  const c = counting();
  const moved = reclaimer({ minorEvery: 10, fullEvery: 30 }, c);
  for (let i = 0; i < 6; i++) moved(10);
  expect(c.log).toEqual(['minor', 'minor', 'full', 'minor', 'minor', 'full']);
});

test('without a collector it only counts', () => {
  const moved = reclaimer({ minorEvery: 1, fullEvery: 2 }, undefined);
  expect(() => moved(10)).not.toThrow();
});

test('the process-wide reads collect more often than a part of the smallest size is read', () => {
  const MiB = 1024 * 1024;
  // a part is 8 MiB at least (sync-part-size): several collections while one part arrives
  expect(READS.minorEvery).toBeLessThanOrEqual(2 * MiB);
  expect(READS.fullEvery).toBeGreaterThan(READS.minorEvery);
});

/** The kinds of the forced collections V8 reports while `act` runs (and shortly after). */
async function forcedKinds(act: () => void): Promise<Set<number>> {
  const kinds = new Set<number>();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind: number; flags: number } }).detail;
      if (detail && detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) kinds.add(detail.kind);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  act();
  // gc entries are delivered asynchronously
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  return kinds;
}

test('the default collector makes V8 scavenge and collect fully, without --expose-gc on the command line', async () => {
  expect(process.execArgv.join(' ')).not.toContain('expose-gc');
  const minorOnly = await forcedKinds(() => reclaimer({ minorEvery: 1, fullEvery: 1e9 })(1));
  expect([...minorOnly]).toEqual([constants.NODE_PERFORMANCE_GC_MINOR]);
  const full = await forcedKinds(() => reclaimer({ minorEvery: 1, fullEvery: 1 })(1));
  expect([...full]).toEqual([constants.NODE_PERFORMANCE_GC_MAJOR]);
});

test('bytesRead scavenges once the process has read `minorEvery` bytes', async () => {
  const kinds = await forcedKinds(() => bytesRead(READS.minorEvery));
  expect(kinds.has(constants.NODE_PERFORMANCE_GC_MINOR)).toBe(true);
});
