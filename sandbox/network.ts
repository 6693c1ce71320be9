/**
 * The sandbox's network model: what a link between a client and a service looks like, so a bench measures what a
 * real network would show rather than the CPU of the machine running everything on loopback.
 *
 * Per service (the hub with its CDN, OSS) and per client side (the runner, or the cluster's pods), a profile sets
 * a per-connection bandwidth cap, an aggregate cap shared by every connection of that side, and a round-trip
 * delay. A side is told apart by the port a request arrives on: each service listens once per side (the cluster
 * side is the cluster-internal endpoint, as OSS's `-internal` endpoint is). Caps hold separately for each
 * direction (response bodies down, request bodies up), as a full-duplex link does. No profile: no shaping.
 */
import type { Socket } from 'node:net';

export type Side = 'runner' | 'cluster';
export const SIDES: readonly Side[] = ['runner', 'cluster'];
/** The services a profile can name: `hub` covers the hub and its CDN (one link to the HF world). */
export type NetworkService = 'hub' | 'oss';
export const NETWORK_SERVICES: readonly NetworkService[] = ['hub', 'oss'];

export interface LinkProfile {
  /** Bytes per second one TCP connection can move in each direction (a long fat pipe's per-stream rate). */
  perConnectionBytesPerSec?: number;
  /** Bytes per second all connections of this side share in each direction (the link's capacity). */
  aggregateBytesPerSec?: number;
  /** Round-trip time: each request waits this long before its response starts (a new connection once more). */
  rttMs?: number;
}

export type NetworkConfig = Partial<Record<NetworkService, Partial<Record<Side, LinkProfile>>>>;

/** Time as the shaper sees it: real time in the sandbox, a fake clock in unit tests. */
export interface NetClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: NetClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
};

/**
 * A token bucket that may go into debt: `take` always grants the bytes at once and answers how many milliseconds
 * the caller must wait before sending them, so bytes leave at `rate` on average with at most `burst` early.
 * Pure given the clock: the unit tests drive it with a fake one.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(bytes: number): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

/** A small burst (10 ms of the rate, at least 16 KiB) keeps short bodies unshaped but long ones at the rate. */
export function burstFor(rate: number): number {
  return Math.max(16 * 1024, rate / 100);
}

/** What a request's handler calls: wait out the RTT before answering, and pace body bytes in each direction. */
export interface Shaper {
  /** Before the response head: one RTT, two on a connection's first request (the TCP handshake). */
  rtt(): Promise<void>;
  /** Before `bytes` more of the response body are written. */
  down(bytes: number): Promise<void>;
  /** Before `bytes` more of the request body are taken in. */
  up(bytes: number): Promise<void>;
}

export const NO_SHAPING: Shaper = {
  rtt: () => Promise.resolve(),
  down: () => Promise.resolve(),
  up: () => Promise.resolve()
};

type Direction = 'down' | 'up';

/** Rejects a configuration the model cannot apply, naming the field; returns it otherwise. */
export function checkNetworkConfig(config: unknown): NetworkConfig {
  const where = (p: string) => `network.${p}`;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error('the network configuration must be an object of services (hub, oss)');
  }
  for (const [service, sides] of Object.entries(config)) {
    if (!NETWORK_SERVICES.includes(service as NetworkService)) {
      throw new Error(`${where(service)}: unknown service; use one of ${NETWORK_SERVICES.join(', ')}`);
    }
    if (sides === null || typeof sides !== 'object' || Array.isArray(sides)) {
      throw new Error(`${where(service)} must be an object of sides (runner, cluster)`);
    }
    for (const [side, profile] of Object.entries(sides as object)) {
      if (!SIDES.includes(side as Side)) {
        throw new Error(`${where(`${service}.${side}`)}: unknown side; use one of ${SIDES.join(', ')}`);
      }
      if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) {
        throw new Error(`${where(`${service}.${side}`)} must be an object`);
      }
      for (const [key, value] of Object.entries(profile as object)) {
        const field = where(`${service}.${side}.${key}`);
        if (!['perConnectionBytesPerSec', 'aggregateBytesPerSec', 'rttMs'].includes(key)) {
          throw new Error(`${field}: unknown field; use perConnectionBytesPerSec, aggregateBytesPerSec or rttMs`);
        }
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (key !== 'rttMs' && value === 0)) {
          throw new Error(
            `${field} must be a ${key === 'rttMs' ? 'non-negative' : 'positive'} number, not ${JSON.stringify(value)}`
          );
        }
      }
    }
  }
  return config as NetworkConfig;
}

/** The live model: the current profiles, the aggregate buckets per (service, side), one pair per connection. */
export class NetworkModel {
  private config: NetworkConfig = {};
  private generation = 0;
  private aggregates = new Map<string, TokenBucket>();
  private readonly perConnection = new WeakMap<Socket, { generation: number; buckets: Map<string, TokenBucket> }>();
  private readonly seen = new WeakSet<Socket>();

  constructor(private readonly clock: NetClock = realClock) {}

  /** Replaces every profile (an empty object turns shaping off); flows in flight follow the new caps. */
  configure(config: NetworkConfig): void {
    this.config = structuredClone(checkNetworkConfig(config));
    this.generation++;
    this.aggregates = new Map();
  }

  current(): NetworkConfig {
    return structuredClone(this.config);
  }

  /** The shaper for one request of `service` arriving from `side` on `socket`. */
  shaper(service: NetworkService, side: Side, socket: Socket | null | undefined): Shaper {
    return {
      rtt: () => {
        const rtt = this.config[service]?.[side]?.rttMs ?? 0;
        const first = socket ? !this.seen.has(socket) : false;
        if (socket) this.seen.add(socket);
        const ms = first ? 2 * rtt : rtt;
        return ms > 0 ? this.clock.sleep(ms) : Promise.resolve();
      },
      down: (bytes) => this.pace(service, side, socket, 'down', bytes),
      up: (bytes) => this.pace(service, side, socket, 'up', bytes)
    };
  }

  private async pace(
    service: NetworkService,
    side: Side,
    socket: Socket | null | undefined,
    dir: Direction,
    bytes: number
  ): Promise<void> {
    const profile = this.config[service]?.[side];
    if (!profile || bytes <= 0) return;
    let wait = 0;
    if (profile.aggregateBytesPerSec) {
      const key = `${service}/${side}/${dir}`;
      let agg = this.aggregates.get(key);
      if (!agg) {
        agg = new TokenBucket(profile.aggregateBytesPerSec, burstFor(profile.aggregateBytesPerSec), this.clock.now);
        this.aggregates.set(key, agg);
      }
      wait = Math.max(wait, agg.take(bytes));
    }
    if (profile.perConnectionBytesPerSec && socket) {
      let conn = this.perConnection.get(socket);
      if (!conn || conn.generation !== this.generation) {
        conn = { generation: this.generation, buckets: new Map() };
        this.perConnection.set(socket, conn);
      }
      let bucket = conn.buckets.get(dir);
      if (!bucket) {
        const rate = profile.perConnectionBytesPerSec;
        bucket = new TokenBucket(rate, burstFor(rate), this.clock.now);
        conn.buckets.set(dir, bucket);
      }
      wait = Math.max(wait, bucket.take(bytes));
    }
    if (wait >= 1) await this.clock.sleep(wait);
  }
}

/** Both pacers in turn: the benchmarks' older link rate (FaultRegistry.setLinkRate) and the network model. */
export function both(a: (n: number) => Promise<void>, b: (n: number) => Promise<void>): (n: number) => Promise<void> {
  return async (n) => {
    await a(n);
    await b(n);
  };
}
