/**
 * Every body chunk read from the hub is counted for the collector of dead socket-read buffers
 * (src/util/reclaim.ts): with four ranged GETs at once those buffers were 40–60 MiB of the shipped CLI's peak.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { httpRequest, readChunks } from '../../src/hf/http.js';
import { READS } from '../../src/util/reclaim.js';

const SIZE = 8 * 1024 * 1024;
let server: http.Server;
let url: string;

beforeAll(async () => {
  const body = Buffer.alloc(SIZE, 7);
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(SIZE) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('each chunk is reported to onRead with its size, all of the body', async () => {
  const res = await httpRequest(url, { stallMs: 10_000 });
  const reported: number[] = [];
  const seen: number[] = [];
  for await (const c of readChunks(res.body, 10_000, url, (n) => reported.push(n))) seen.push(c.length);
  expect(reported).toEqual(seen);
  expect(reported.reduce((a, b) => a + b, 0)).toBe(SIZE);
});

test('reading a body by default makes V8 scavenge while it arrives', async () => {
  let forcedMinor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind: number; flags: number } }).detail;
      if (
        detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR &&
        detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED
      )
        forcedMinor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const res = await httpRequest(url, { stallMs: 10_000 });
  let bytes = 0;
  for await (const c of readChunks(res.body, 10_000, url)) bytes += c.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  expect(bytes).toBe(SIZE);
  // 8 MiB read: at least one scavenge per `minorEvery` bytes (less one for what an earlier read left counted)
  expect(forcedMinor).toBeGreaterThanOrEqual(SIZE / READS.minorEvery - 1);
});
