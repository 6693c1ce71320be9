/**
 * One worker per pod doing what kube-scheduler and the kubelet would: schedule (GPUs, nodeSelector, unbound
 * claims) → mount (OSS CSI checks) → pull images (allowlist, ErrImagePull/ImagePullBackOff) → run containers
 * (logs, exit codes, restart policy with CrashLoopBackOff) with readiness probes, writing pod status and
 * events as the real components word them.
 */
import type { KubeObject } from '../kube/contract.js';
import { PODS, gpuLimit, now, objKey, patchObject } from './common.js';
import { Killed, runContainerProcess, type Exit } from './programs.js';
import { FaultPlan } from './fault-plan.js';
import { podFs } from './oss-fs.js';
import { runReadinessProbe } from './probe.js';
import type { OperatorContext } from './context.js';
import type { Scenario } from './scenarios.js';
import type { Degradation } from '../triton/index.js';
import { DURATIONS } from './types.js';
import { mountProblem, resolvePodPath, volumeSchedulingProblem } from './volumes.js';
import { containerEnv, EnvError } from './env.js';
import { findProcessImage, processArgv, runHostProcess } from './process.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

interface ContainerState {
  name: string;
  image: string;
  status: any;
  ready: boolean;
  done: boolean;
  exit?: Exit;
}

let podIpSeq = 10;

export class PodWorker {
  private abort = new AbortController();
  private pokeWaiters: (() => void)[] = [];
  private podStatus: any;
  private containers: ContainerState[] = [];
  private readonly key: string;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    private ctx: OperatorContext,
    private pod: KubeObject
  ) {
    this.key = objKey(pod);
    this.done = this.run().catch((err) => {
      if (!(err instanceof Killed) && !this.stopped) ctx.reportError(`pod ${this.key}`, err);
    });
  }

  get ns(): string {
    return this.pod.metadata.namespace ?? 'default';
  }
  get name(): string {
    return this.pod.metadata.name;
  }

  /** Something the worker may be waiting for changed (GPUs freed, a claim bound, a Secret created). */
  poke(): void {
    const w = this.pokeWaiters;
    this.pokeWaiters = [];
    for (const f of w) f();
  }

  /** The pod was deleted: kill its containers and free what it held. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.poke();
    await this.done;
    this.release();
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private factor(): number {
    return this.ctx.scenarios.factor(this.ctx.ownerName(this.pod));
  }

  private sleep(scenarioSeconds: number): Promise<void> {
    return this.ctx.clock.sleep(scenarioSeconds * this.factor(), this.signal).then(() => {
      if (this.signal.aborted) throw new Killed();
    });
  }

  private waitPoke(scenarioSeconds: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, this.ctx.clock.realMs(scenarioSeconds));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.pokeWaiters.push(done);
    }).then(() => {
      if (this.signal.aborted) throw new Killed();
    });
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.stopped) return;
    const cur = this.ctx.store.get(PODS, this.ns, this.name);
    if (cur) this.ctx.store.recordEvent(cur, type, reason, message);
  }

  private flush(): void {
    if (this.stopped) return;
    this.podStatus.containerStatuses = this.containers.map((c) => c.status);
    const ready = this.containers.length > 0 && this.containers.every((c) => c.ready);
    if (this.containers.length && (this.podStatus.phase === 'Running' || this.podStatus.phase === 'Pending')) {
      const notReady = this.containers.filter((c) => !c.ready).map((c) => c.name);
      const msg = `containers with unready status: [${notReady.join(' ')}]`;
      this.setCondition('ContainersReady', ready, ready ? undefined : 'ContainersNotReady', ready ? undefined : msg);
      this.setCondition('Ready', ready, ready ? undefined : 'ContainersNotReady', ready ? undefined : msg);
    }
    const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
    this.podStatus.conditions?.sort((a: any, b: any) => order.indexOf(a.type) - order.indexOf(b.type));
    try {
      this.ctx.store.updateStatus(PODS, this.ns, this.name, this.podStatus);
    } catch {
      // the pod is gone; its DELETED event stops this worker
    }
  }

  private setCondition(type: string, status: boolean, reason?: string, message?: string): void {
    const conds: any[] = (this.podStatus.conditions ??= []);
    const s = status ? 'True' : 'False';
    const cur = conds.find((c) => c.type === type);
    const next: any = {
      type,
      status: s,
      lastProbeTime: null,
      lastTransitionTime: cur?.status === s ? cur.lastTransitionTime : now()
    };
    if (reason) next.reason = reason;
    if (message) next.message = message;
    if (cur) Object.assign(cur, next, reason ? {} : { reason: undefined, message: undefined });
    else conds.push(next);
    for (const c of conds) {
      if (c.reason === undefined) delete c.reason;
      if (c.message === undefined) delete c.message;
    }
  }

  private release(): void {
    if (this.ctx.scheduler.release(this.key)) this.ctx.pokeAll();
    this.ctx.pods.unregisterPod(this.ns, this.name);
  }

  private async run(): Promise<void> {
    const spec = this.pod.spec ?? {};
    const containers: any[] = spec.containers ?? [];
    const gpus = containers.reduce((n, c) => n + gpuLimit(c), 0);
    const limited = containers.some((c) => c.resources?.limits || c.resources?.requests);
    this.podStatus = { phase: 'Pending', conditions: [], qosClass: limited ? 'Burstable' : 'BestEffort' };
    this.containers = [];

    // --- scheduling
    await this.sleep(DURATIONS.schedule);
    let node;
    for (;;) {
      const owner = this.ctx.ownerName(this.pod);
      const n = this.ctx.scheduler.nodes.length;
      let message: string | undefined;
      if (this.ctx.scenarios.find(owner, ['pending-forever'])) {
        message = this.ctx.scheduler.neverMessage();
      } else {
        const vp = volumeSchedulingProblem(this.ctx.store, this.pod);
        if (vp) {
          message = `0/${n} nodes are available: ${vp}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
        } else {
          const r = this.ctx.scheduler.schedule(this.key, gpus, spec.nodeSelector, spec.nodeName);
          if (r.ok) {
            node = r.node;
            break;
          }
          message = r.message;
        }
      }
      this.setCondition('PodScheduled', false, 'Unschedulable', message);
      this.flush();
      // the scheduler retries on cluster changes and now and then, recording the event each time (the API
      // server folds repeats into `count`)
      this.event('Warning', 'FailedScheduling', message);
      await this.waitPoke(DURATIONS.unschedulableRetry);
    }
    if (spec.nodeName !== node.name) {
      patchObject(this.ctx.store, PODS, this.ns, this.name, (o) => {
        o.spec.nodeName = node.name;
      });
    }
    this.event('Normal', 'Scheduled', `Successfully assigned ${this.ns}/${this.name} to ${node.name}`);
    const podIP = `172.20.${Math.floor(podIpSeq / 250)}.${(podIpSeq++ % 250) + 2}`;
    Object.assign(this.podStatus, {
      hostIP: node.ip,
      hostIPs: [{ ip: node.ip }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now()
    });
    this.podStatus.conditions = [];
    this.setCondition('PodReadyToStartContainers', false);
    this.setCondition('Initialized', true);
    this.setCondition('PodScheduled', true);
    this.containers = containers.map((c) => ({
      name: c.name,
      image: c.image,
      ready: false,
      done: false,
      status: {
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {}
      }
    }));
    this.flush();

    // --- volumes
    for (let retry = DURATIONS.mountRetry; ; retry = Math.min(retry * 2, 122)) {
      const problem = mountProblem(this.ctx.store, this.pod);
      if (!problem) break;
      this.event('Warning', 'FailedMount', problem);
      await this.waitPoke(retry);
    }
    this.setCondition('PodReadyToStartContainers', true);
    this.flush();

    // --- containers
    const nodeName = node.name;
    await Promise.all(containers.map((c, i) => this.runContainer(c, this.containers[i], nodeName, gpus, podIP)));
    const failed = this.containers.some((c) => c.exit && c.exit.exitCode !== 0);
    this.podStatus.phase = failed ? 'Failed' : 'Succeeded';
    this.setCondition('Ready', false, 'PodCompleted');
    this.setCondition('ContainersReady', false, 'PodCompleted');
    this.flush();
    this.release();
    this.ctx.podFinished(this.pod);
  }

  private async pull(c: any, cs: ContainerState, nodeName: string): Promise<void> {
    const image: string = c.image ?? '';
    const ref = image.includes('/') || image.includes('.') ? image : `docker.io/library/${image}`;
    if (!/^[a-z0-9]+([._/:@-][a-zA-Z0-9_]+|[._-]{2}[a-z0-9]+)*$/.test(image) || /[A-Z]/.test(image.split(/[:@]/)[0])) {
      const msg = `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format`;
      this.event('Warning', 'InspectFailed', msg);
      this.event('Warning', 'Failed', 'Error: InvalidImageName');
      cs.status.state = { waiting: { reason: 'InvalidImageName', message: msg } };
      this.flush();
      await new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new Killed();
    }
    let backoff = 10;
    for (;;) {
      if (this.ctx.imageAllowed(image)) break;
      this.event('Normal', 'Pulling', `Pulling image "${image}"`);
      await this.sleep(1);
      const msg = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
      this.event('Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      this.event('Warning', 'Failed', 'Error: ErrImagePull');
      cs.status.state = { waiting: { reason: 'ErrImagePull', message: msg } };
      this.flush();
      await this.sleep(1);
      this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.event('Warning', 'Failed', 'Error: ImagePullBackOff');
      cs.status.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
      this.flush();
      await this.waitPoke(backoff);
      backoff = Math.min(backoff * 2, 300);
    }
    const cached = this.ctx.imageCache.has(`${nodeName}|${image}`);
    if (cached && c.imagePullPolicy !== 'Always') {
      this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
    } else {
      this.event('Normal', 'Pulling', `Pulling image "${image}"`);
      const seconds = DURATIONS.pullImage * this.factor();
      await this.sleep(DURATIONS.pullImage);
      this.ctx.imageCache.add(`${nodeName}|${image}`);
      const size = 1_000_000_000 + (Buffer.from(image).reduce((a, b) => a * 31 + b, 7) % 4_000_000_000);
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${seconds.toFixed(3)}s (${seconds.toFixed(3)}s including waiting). Image size: ${size} bytes.`
      );
    }
    cs.status.imageID = `${ref.replace(/:[^/:]+$/, '')}@sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  }

  private async runContainer(c: any, cs: ContainerState, nodeName: string, gpus: number, podIP: string): Promise<void> {
    await this.pull(c, cs, nodeName);
    const policy: string = this.pod.spec?.restartPolicy ?? 'Always';
    let restarts = 0;
    for (;;) {
      await this.sleep(DURATIONS.createContainer);
      const env = await this.resolveEnv(c, cs);
      this.event('Normal', 'Created', `Created container: ${c.name}`);
      this.event('Normal', 'Started', `Started container ${c.name}`);
      const startedAt = now();
      const containerID = `containerd://${randomHex(64)}`;
      cs.ready = !c.readinessProbe;
      cs.status = {
        ...cs.status,
        containerID,
        ready: cs.ready,
        started: true,
        restartCount: restarts,
        state: { running: { startedAt } }
      };
      this.podStatus.phase = 'Running';
      this.flush();

      const exit = await this.runProcess(c, cs, gpus, podIP, env);
      cs.ready = false;
      const terminated = {
        exitCode: exit.exitCode,
        reason: exit.reason,
        ...(exit.message ? { message: exit.message } : {}),
        startedAt,
        finishedAt: now(),
        containerID
      };
      const restart = policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      this.ctx.pods.unregisterPod(this.ns, this.name);
      if (!restart) {
        cs.status = { ...cs.status, ready: false, started: false, state: { terminated } };
        cs.exit = exit;
        cs.done = true;
        this.flush();
        return;
      }
      restarts++;
      const backoff = Math.min(10 * 2 ** (restarts - 1), 300);
      const podRef = `${this.name}_${this.ns}(${this.pod.metadata.uid})`;
      cs.status = {
        ...cs.status,
        ready: false,
        started: false,
        restartCount: restarts,
        lastState: { terminated },
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${fmtDuration(backoff)} restarting failed container=${c.name} pod=${podRef}`
          }
        }
      };
      this.flush();
      this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef}`);
      await this.sleep(backoff);
      this.event('Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
    }
  }

  /**
   * The container's environment (envFrom, env, valueFrom of Secrets, ConfigMaps and pod fields); while a Secret,
   * ConfigMap or key is missing the container waits in CreateContainerConfigError, as the kubelet does.
   */
  private async resolveEnv(c: any, cs: ContainerState): Promise<Record<string, string>> {
    for (let backoff = 10; ; backoff = Math.min(backoff * 2, 300)) {
      const pod = this.ctx.store.get(PODS, this.ns, this.name) ?? this.pod;
      try {
        return containerEnv(this.ctx.store, { ...pod, status: { ...pod.status, ...this.podStatus } }, c);
      } catch (err) {
        if (!(err instanceof EnvError)) throw err;
        cs.status = {
          ...cs.status,
          state: { waiting: { reason: 'CreateContainerConfigError', message: err.message } }
        };
        this.flush();
        this.event('Warning', 'Failed', `Error: ${err.message}`);
        await this.waitPoke(backoff);
      }
    }
  }

  /** Runs one attempt of a container's process, with scenario faults and the readiness probe. */
  private async runProcess(
    c: any,
    cs: ContainerState,
    gpus: number,
    podIP: string,
    env: Record<string, string>
  ): Promise<Exit> {
    const proc = new AbortController();
    const onStop = () => proc.abort();
    this.signal.addEventListener('abort', onStop, { once: true });
    const appendLog = (line: string) => this.ctx.pods.appendLog(this.ns, this.name, c.name, line + '\n');
    const owner = this.ctx.ownerName(this.pod);
    const scenario = this.ctx.scenarios.find(owner, ['fail-at', 'oom', 'restart-then-succeed', 'crash-loop']);
    const plan = new FaultPlan(scenario, {
      firstRun: scenario?.outcome === 'restart-then-succeed' && this.ctx.scenarios.firstRun(scenario, owner),
      clock: this.ctx.clock,
      factor: this.factor(),
      appendLog,
      kill: () => proc.abort()
    });
    const log = (line: string) => {
      if (proc.signal.aborted) throw new Killed();
      appendLog(line);
      if (plan.afterLine()) throw new Killed();
    };
    const store = this.ctx.store;
    const resolve = (p: string) => resolvePodPath(store, store.get(PODS, this.ns, this.name) ?? this.pod, c, p);
    let ports: Record<number, number> = {};
    let probe: Promise<void> | undefined;
    let exit: Exit;
    const hostImage = findProcessImage(this.ctx.images, String(c.image ?? ''));
    try {
      plan.start();
      const running = plan.replacesProgram
        ? new Promise<Exit>((_, reject) =>
            proc.signal.addEventListener('abort', () => reject(new Killed()), { once: true })
          )
        : hostImage
          ? runHostProcess({
              argv: processArgv(hostImage, c, env),
              env: { ...hostImage.env, ...env },
              cwd: c.workingDir ?? hostImage.cwd,
              hostname: this.pod.spec?.hostname || this.name,
              // every line the process writes reaches the log, also while it is being stopped
              log: (line) => {
                appendLog(line);
                if (!proc.signal.aborted && plan.afterLine()) proc.abort();
              },
              signal: proc.signal,
              graceSeconds: () => {
                const cur = store.get(PODS, this.ns, this.name);
                return Number(
                  cur?.metadata.deletionGracePeriodSeconds ?? cur?.spec?.terminationGracePeriodSeconds ?? 30
                );
              },
              sleep: (s, signal) => this.ctx.clock.sleep(s, signal)
            })
          : runContainerProcess({
              namespace: this.ns,
              pod: this.name,
              container: c,
              env,
              gpus,
              log,
              signal: proc.signal,
              sleep: (s) => this.ctx.clock.sleep(s, proc.signal),
              fs: podFs(this.ctx.oss, resolve),
              resolvePodPath: resolve,
              startTriton: this.ctx.startTriton,
              ...degradationOf(this.ctx.scenarios.find(owner, ['degrade-under-load'])),
              exposePorts: (p) => {
                ports = p;
                for (const [cp, lp] of Object.entries(p))
                  this.ctx.pods.registerPort(this.ns, this.name, Number(cp), lp);
              }
            });
      if (c.readinessProbe) {
        probe = runReadinessProbe({
          container: c,
          ports: () => ports,
          podIP,
          clock: this.ctx.clock,
          factor: this.factor(),
          signal: proc.signal,
          setReady: (ready) => {
            cs.ready = ready;
            cs.status = { ...cs.status, ready };
            this.flush();
          },
          unhealthy: (message) => this.event('Warning', 'Unhealthy', message)
        });
      }
      exit = await running;
    } catch (err) {
      if (plan.injected) exit = plan.injected;
      else if (err instanceof Killed || this.signal.aborted) throw new Killed();
      else {
        // a bug or an I/O failure in the simulation: show it like an unhandled exception in the container
        appendLog(`Traceback (most recent call last):\nOSError: ${(err as Error)?.message ?? String(err)}`);
        exit = { exitCode: 1, reason: 'Error' };
      }
    } finally {
      plan.stop();
      this.signal.removeEventListener('abort', onStop);
      proc.abort();
      await probe;
    }
    if (this.signal.aborted) throw new Killed();
    return plan.injected ?? exit;
  }
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

function fmtDuration(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/** The Triton degradation a `degrade-under-load` scenario asks for (with its defaults). */
function degradationOf(s: Scenario | undefined): { degrade?: Degradation } {
  if (s?.outcome !== 'degrade-under-load') return {};
  return {
    degrade: { afterRequests: s.afterRequests ?? 20, failEvery: s.failEvery ?? 2, latencyFactor: s.latencyFactor ?? 10 }
  };
}
