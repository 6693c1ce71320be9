/** The collector of finished socket reads: when it collects, and that the real one reaches V8's gc. */
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

test('the default collector reaches V8 without --expose-gc on the command line', () => {
  expect(process.execArgv.join(' ')).not.toContain('expose-gc');
  // a 32 MiB buffer that nothing holds once the function returns: a full collection frees it
  const allocate = () => Buffer.alloc(32 * 1024 * 1024, 1).length;
  expect(allocate()).toBeGreaterThan(0);
  const before = process.memoryUsage().arrayBuffers;
  reclaimer(1)(1);
  expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 16 * 1024 * 1024);
});
