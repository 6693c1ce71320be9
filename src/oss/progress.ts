/**
 * Progress lines a person can follow: sizes and rates in human units, and a per-file reporter that prints at
 * most every `intervalMs` (time injectable) with bytes, %, MB/s and ETA.
 */
import { formatDuration } from '../util/format.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** MB/s (10^6 bytes), what network people read. */
export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '- MB/s';
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

export class FileProgress {
  private last: number;
  private readonly started: number;

  constructor(
    private readonly label: string,
    private readonly size: number,
    private readonly print: (line: string) => void,
    private readonly now: () => number,
    private readonly intervalMs: number
  ) {
    this.started = now();
    this.last = this.started;
  }

  /** Called as bytes pass; prints when the interval has passed and the file is not finished. */
  update(position: number): void {
    const t = this.now();
    if (t - this.last < this.intervalMs || position >= this.size) return;
    this.last = t;
    const elapsed = t - this.started;
    const pct = this.size > 0 ? Math.floor((position / this.size) * 100) : 100;
    const rate = elapsed > 0 ? position / elapsed : 0;
    const eta = rate > 0 ? formatDuration((this.size - position) / rate) : '?';
    this.print(
      `  ${this.label}: ${formatBytes(position)} / ${formatBytes(this.size)} (${pct}%), ${formatRate(position, elapsed)}, ETA ${eta}`
    );
  }
}
