/**
 * Follows one container's log live and survives dropped streams without repeating lines: it asks for
 * timestamps and reconnects with `sinceTime` = the last line's time, skipping what it already printed (by
 * time, then by count at that same instant). A server that sends no timestamps gets the whole log again and the
 * already-seen count is skipped. The last `keep` lines stay available for a failure's diagnosis.
 */
import { Writable } from 'node:stream';
import { abortableSleep, backoffDelay } from '../util/retry.js';
import type { KubeApi } from './types.js';

export interface LogFollowerOptions {
  readonly onLine: (line: string) => void;
  /** Lines kept for diagnosis (default 50). */
  readonly keep?: number;
  /** True when the container will write no more (checked when a stream ends); default: never. */
  readonly finished?: () => Promise<boolean>;
  readonly onReconnect?: (why: string) => void;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface LogFollower {
  /** The last lines seen, oldest first. */
  tail(): string[];
  /** Stops following; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Settles when following ends on its own (the container finished) or after stop(). */
  readonly done: Promise<void>;
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (.*)$/s;

/** A sortable key of an RFC 3339 UTC timestamp with up to nanoseconds. */
export function timestampKey(ts: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ts);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : undefined;
}

/** Splits `2026-11-25T15:00:00.123Z text` into the timestamp and the text (undefined when there is none). */
export function splitTimestamp(line: string): { ts?: string; key?: string; text: string } {
  const m = TS.exec(line);
  if (!m || m[3] !== 'Z') return { text: line };
  const ts = `${m[1]}${m[2] ? `.${m[2]}` : ''}Z`;
  return { ts, key: timestampKey(ts), text: m[4] };
}

/** The dedupe state across reconnects; pure so it is tested on its own. */
export class LineDeduper {
  private lastKey?: string;
  private lastTs?: string;
  private seenAtLast = 0;
  private seenCount = 0;
  private timestamps?: boolean;
  // per connection
  private connIndex = 0;
  private connAtLast = 0;

  /** What to ask for on the next connection. */
  nextRequest(): { sinceTime?: string } {
    this.connIndex = 0;
    this.connAtLast = 0;
    return this.timestamps && this.lastTs ? { sinceTime: this.lastTs } : {};
  }

  /** The line's text to emit, or undefined when it was already emitted. */
  accept(raw: string): string | undefined {
    this.connIndex++;
    const { ts, key, text } = splitTimestamp(raw);
    if (this.timestamps === undefined) this.timestamps = key !== undefined;
    if (this.timestamps && key !== undefined && ts !== undefined) {
      if (this.lastKey !== undefined && key < this.lastKey) return undefined;
      if (key === this.lastKey) {
        this.connAtLast++;
        if (this.connAtLast <= this.seenAtLast) return undefined;
        this.seenAtLast++;
      } else {
        this.lastKey = key;
        this.lastTs = ts;
        this.seenAtLast = 1;
        this.connAtLast = 1;
      }
      return text;
    }
    if (this.connIndex <= this.seenCount) return undefined;
    this.seenCount++;
    return this.timestamps ? text : raw;
  }
}

/** A Writable that hands each complete line to `emit`; `rest()` is the unterminated last piece. */
function lineSink(emit: (line: string) => void): { sink: Writable; rest(): string } {
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) emit(p);
      cb();
    }
  });
  return { sink, rest: () => partial };
}

export function followLog(
  api: KubeApi,
  namespace: string,
  pod: string,
  container: string,
  opts: LogFollowerOptions
): LogFollower {
  const f = new Following(api, { namespace, pod, container }, opts);
  const done = f.loop();
  return {
    tail: () => [...f.lines],
    stop: async () => {
      f.stop();
      await done;
    },
    done
  };
}

/** One follower's state: the lines kept, the dedupe across reconnects, the stream being read. */
class Following {
  readonly lines: string[] = [];
  private readonly dedupe = new LineDeduper();
  private readonly stopper = new AbortController();
  private current?: { abort(): void };

  constructor(
    private readonly api: KubeApi,
    private readonly where: { readonly namespace: string; readonly pod: string; readonly container: string },
    private readonly opts: LogFollowerOptions
  ) {}

  stop(): void {
    this.stopper.abort();
    this.current?.abort();
  }

  /** Reads until stopped or the container is finished, reconnecting with backoff. */
  async loop(): Promise<void> {
    const sleep = this.opts.sleep ?? abortableSleep;
    const stopped = this.stopper.signal;
    let failures = 0;
    let lastTry = false;
    while (!stopped.aborted) {
      const ok = await this.readOnce();
      if (stopped.aborted) break;
      const finished = await (this.opts.finished?.() ?? Promise.resolve(false)).catch(() => false);
      if (finished) {
        if (!ok && !lastTry) {
          lastTry = true; // one more read to catch the last lines
          continue;
        }
        break;
      }
      failures = ok ? 1 : failures + 1;
      await sleep(backoffDelay(Math.min(failures, 6), 200, 5000, Math.random), stopped).catch(() => undefined);
    }
  }

  private emit(raw: string): void {
    const text = this.dedupe.accept(raw.replace(/\r$/, ''));
    if (text === undefined) return;
    this.lines.push(text);
    if (this.lines.length > (this.opts.keep ?? 50)) this.lines.shift();
    this.opts.onLine(text);
  }

  /** One log stream from where the last ended; true when it ended normally (false: dropped or refused). */
  private async readOnce(): Promise<boolean> {
    const { namespace, pod, container } = this.where;
    const { sink, rest } = lineSink((l) => this.emit(l));
    let got = false;
    try {
      const since = this.dedupe.nextRequest();
      const stream = await this.api.log(namespace, pod, container, { follow: true, timestamps: true, ...since }, sink);
      this.current = stream;
      if (this.stopper.signal.aborted) stream.abort();
      got = true;
      await stream.done;
    } catch (err) {
      if (!this.stopper.signal.aborted)
        this.opts.onReconnect?.(
          `log stream of ${pod} ${got ? 'dropped' : 'not available'} (${(err as Error).message})`
        );
      return false;
    }
    if (!this.stopper.signal.aborted && rest() !== '') this.emit(rest());
    return true;
  }
}

/** The last lines of a container's log (empty when there is none yet). */
export async function readTail(
  api: KubeApi,
  namespace: string,
  pod: string,
  lines: number,
  container: string
): Promise<string[]> {
  let text = '';
  try {
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        text += c.toString('utf8');
        cb();
      }
    });
    const s = await api.log(namespace, pod, container, { tailLines: lines }, sink);
    await s.done;
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '');
}
