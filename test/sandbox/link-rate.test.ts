/** The benchmarks' network model: body bytes of a service cross a shared link of the configured bandwidth. */
import { jest } from '@jest/globals';
import { FaultRegistry } from '../../sandbox/faults.js';

describe('FaultRegistry link rates', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('paces bytes at the link rate, shared by every transfer of the service', async () => {
    const f = new FaultRegistry();
    f.setLinkRate('cdn', 1000); // bytes per second
    const done: string[] = [];
    void f.pace('cdn', 500).then(() => done.push('a'));
    void f.pace('cdn', 500).then(() => done.push('b'));
    await jest.advanceTimersByTimeAsync(499);
    expect(done).toEqual([]);
    await jest.advanceTimersByTimeAsync(2);
    expect(done).toEqual(['a']);
    await jest.advanceTimersByTimeAsync(500);
    expect(done).toEqual(['a', 'b']);
  });

  it('leaves services without a link, and a removed link, unpaced', async () => {
    const f = new FaultRegistry();
    f.setLinkRate('oss', 1);
    f.setLinkRate('oss', undefined);
    await expect(f.pace('oss', 1e9)).resolves.toBeUndefined();
    await expect(f.pace('hub', 1e9)).resolves.toBeUndefined();
  });
});
