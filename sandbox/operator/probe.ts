/**
 * The kubelet's HTTP readiness probe: GET the container's port (through the local port its simulated server
 * listens on) every periodSeconds after initialDelaySeconds; failureThreshold/successThreshold decide the
 * transitions, and every failure is an `Unhealthy` event worded like the kubelet's.
 */
import http from 'node:http';
import type { ScenarioClock } from '../clock.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface ProbeRun {
  container: any;
  /** containerPort → local port, as registered so far. */
  ports: () => Record<number, number>;
  podIP: string;
  clock: ScenarioClock;
  /** Scenario slow-down factor. */
  factor: number;
  signal: AbortSignal;
  /** Called on each transition of the probe's verdict (it starts not ready). */
  setReady: (ready: boolean) => void;
  unhealthy: (message: string) => void;
}

export async function runReadinessProbe(r: ProbeRun): Promise<void> {
  const p = r.container.readinessProbe;
  const period = p.periodSeconds ?? 10;
  const failureThreshold = p.failureThreshold ?? 3;
  const successThreshold = p.successThreshold ?? 1;
  let ready = false;
  let fails = 0;
  let oks = 0;
  await r.clock.sleep((p.initialDelaySeconds ?? 0) * r.factor, r.signal);
  while (!r.signal.aborted) {
    const failure = p.httpGet ? await httpFailure(r, p.httpGet) : undefined;
    if (r.signal.aborted) break;
    if (failure) {
      oks = 0;
      fails++;
      r.unhealthy(`Readiness probe failed: ${failure}`);
      if (ready && fails >= failureThreshold) r.setReady((ready = false));
    } else {
      fails = 0;
      oks++;
      if (!ready && oks >= successThreshold) r.setReady((ready = true));
    }
    await r.clock.sleep(period * r.factor, r.signal);
  }
}

async function httpFailure(r: ProbeRun, get: { port: number | string; path?: string }): Promise<string | undefined> {
  const containerPort =
    typeof get.port === 'number'
      ? get.port
      : ((r.container.ports ?? []).find((x: any) => x.name === get.port)?.containerPort ?? Number(get.port));
  const path = get.path ?? '/';
  const refused = `Get "http://${r.podIP}:${containerPort}${path}": dial tcp ${r.podIP}:${containerPort}: connect: connection refused`;
  const local = r.ports()[containerPort];
  if (!local) return refused;
  const status = await httpStatus(local, path);
  if (status === undefined) return refused;
  return status < 200 || status >= 400 ? `HTTP probe failed with statuscode: ${status}` : undefined;
}

function httpStatus(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, timeout: 2000, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      }
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
