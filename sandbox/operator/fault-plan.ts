/**
 * How a scenario breaks one run of a container: when (at once, after N log lines, after N scenario seconds),
 * what the log shows (a Python traceback, Triton's fatal line, nothing for an OOM kill) and the exit.
 */
import type { ScenarioClock } from '../clock.js';
import type { Exit } from './programs.js';
import type { Scenario } from './scenarios.js';
import { DURATIONS } from './types.js';

export class FaultPlan {
  /** Set once the fault has struck: the run's exit, whatever the program did. */
  injected?: Exit;
  private timer?: NodeJS.Timeout;
  private lines = 0;

  constructor(
    private readonly scenario: Scenario | undefined,
    private readonly o: {
      /** This is the first run of the scenario's job name (restart-then-succeed fails only that one). */
      firstRun: boolean;
      clock: ScenarioClock;
      factor: number;
      appendLog: (line: string) => void;
      kill: () => void;
    }
  ) {}

  /** crash-loop replaces the program: the container starts, logs Triton's first line, then dies. */
  get replacesProgram(): boolean {
    return this.scenario?.outcome === 'crash-loop';
  }

  /** Arm the timer, or strike at once. */
  start(): void {
    const s = this.scenario;
    if (!s) return;
    let after: number | undefined;
    if (s.outcome === 'fail-at' || s.outcome === 'oom')
      after = s.afterSeconds ?? (s.afterLines === undefined ? 0 : undefined);
    else if (s.outcome === 'restart-then-succeed') after = this.o.firstRun ? 0 : undefined;
    else if (s.outcome === 'crash-loop') {
      this.o.appendLog('I1125 00:00:00.000000 1 server.cc:108] Initializing Triton Inference Server');
      after = s.afterSeconds ?? DURATIONS.crashLoopDefault;
    }
    if (after === 0) this.strike();
    else if (after !== undefined)
      this.timer = setTimeout(() => this.strike(), this.o.clock.realMs(after * this.o.factor));
  }

  /** Count a line the program logged; true when the fault strikes now (the program must stop). */
  afterLine(): boolean {
    this.lines++;
    const s = this.scenario;
    if (
      s &&
      (s.outcome === 'fail-at' || s.outcome === 'oom') &&
      s.afterLines !== undefined &&
      this.lines >= s.afterLines
    ) {
      this.strike();
      return true;
    }
    return false;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private strike(): void {
    const s = this.scenario;
    if (!s || this.injected) return;
    if (s.outcome === 'oom') {
      this.injected = { exitCode: 137, reason: 'OOMKilled' };
    } else if (s.outcome === 'restart-then-succeed' && (s.exitCode ?? 0) >= 128) {
      this.injected = { exitCode: s.exitCode!, reason: 'Error' };
    } else {
      this.injected = { exitCode: 1, reason: 'Error' };
      for (const l of this.lastWords(s)) this.o.appendLog(l);
    }
    this.o.kill();
  }

  private lastWords(s: Scenario): string[] {
    if (s.outcome === 'crash-loop') return ['error: creating server: Internal - failed to load all models'];
    const msg = 'message' in s && s.message ? s.message : undefined;
    const last =
      msg && /^[\w.]+(Error|Exception|Interrupt): /.test(msg)
        ? msg
        : `RuntimeError: ${msg ?? `sandbox scenario ${s.outcome}: injected failure`}`;
    return ['Traceback (most recent call last):', '  File "<string>", line 1, in <module>', last];
  }
}
