/**
 * The fault registry every sandbox server consults for each request, and the request recorder.
 * Each server applies a matched fault in its own protocol's terms (error body format, reset, delay).
 */
import type { FaultAction, FaultSpec, RecordedRequest, ServiceName } from './types.js';

interface ArmedFault {
  id: number;
  spec: FaultSpec;
  re?: RegExp;
  remaining: number;
}

export class FaultRegistry {
  private faults: ArmedFault[] = [];
  private nextId = 1;
  readonly requests: RecordedRequest[] = [];
  /** Stop recording after this many requests (bench runs send many). */
  recordLimit = 50_000;

  add(spec: FaultSpec): number {
    const id = this.nextId++;
    this.faults.push({ id, spec, re: spec.path ? new RegExp(spec.path) : undefined, remaining: spec.times ?? 1 });
    return id;
  }

  /** The action of the first armed fault matching this request (consuming one of its uses), if any. */
  take(service: ServiceName, method: string, url: string): FaultAction | undefined {
    const f = this.faults.find(
      (x) =>
        x.remaining > 0 &&
        x.spec.service === service &&
        (!x.spec.method || x.spec.method.toUpperCase() === method.toUpperCase()) &&
        (!x.re || x.re.test(url))
    );
    if (!f) return undefined;
    f.remaining--;
    if (f.remaining === 0) this.faults = this.faults.filter((x) => x !== f);
    return f.spec.action;
  }

  pending(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec, times: f.remaining }));
  }

  record(r: RecordedRequest): RecordedRequest {
    if (this.requests.length < this.recordLimit) this.requests.push(r);
    return r;
  }

  recorded(service?: ServiceName): RecordedRequest[] {
    return service ? this.requests.filter((r) => r.service === service) : [...this.requests];
  }

  reset(): void {
    this.faults = [];
    this.requests.length = 0;
    this.links.clear();
  }

  private readonly links = new Map<ServiceName, { bytesPerSecond: number; freeAt: number }>();

  /**
   * Models a network link of this bandwidth in front of a service (body bytes, all connections sharing it), for
   * benchmarks that must look like a runner's network rather than loopback. Undefined removes it.
   */
  setLinkRate(service: ServiceName, bytesPerSecond: number | undefined): void {
    if (bytesPerSecond === undefined) this.links.delete(service);
    else this.links.set(service, { bytesPerSecond, freeAt: 0 });
  }

  /** Waits until `bytes` more could have crossed the service's link (no wait when it has none). */
  async pace(service: ServiceName, bytes: number): Promise<void> {
    const link = this.links.get(service);
    if (!link) return;
    const now = performance.now();
    link.freeAt = Math.max(now, link.freeAt) + (bytes * 1000) / link.bytesPerSecond;
    const wait = link.freeAt - now;
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
  }
}
