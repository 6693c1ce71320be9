/**
 * The scenario clock: sandbox controllers express durations in scenario seconds; `speed` compresses them
 * (speed 100 → a 30 s image pull takes 0.3 s of real time). Tests set speed high; the demo uses the default.
 */
export class ScenarioClock {
  constructor(public speed = 50) {}

  /** Real milliseconds for a scenario duration. */
  realMs(scenarioSeconds: number): number {
    return Math.max(0, Math.round((scenarioSeconds * 1000) / this.speed));
  }

  sleep(scenarioSeconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, this.realMs(scenarioSeconds));
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
