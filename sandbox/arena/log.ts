/**
 * Arena logs through logrus' default TextFormatter on stderr: colored `INFO[0000] message` on a terminal,
 * `time="…" level=info msg="…"` otherwise (what a CI runner sees).
 */

export type Level = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

const started = Date.now();

/** Go's time.RFC3339 in local time (`2026-11-25T15:07:14Z`, or with a `+08:00` offset). */
export function rfc3339(d = new Date()): string {
  const p = (n: number): string => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(off / 60)}:${p(off % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

function quote(s: string): string {
  return /^[A-Za-z0-9\-._/@^+]*$/.test(s) ? s : JSON.stringify(s);
}

const COLORS: Record<Level, number> = { debug: 37, info: 36, warning: 33, error: 31, fatal: 31 };

export function logrusLine(level: Level, msg: string, tty: boolean, now = new Date()): string {
  if (tty) {
    const secs = String(Math.floor((now.getTime() - started) / 1000)).padStart(4, '0');
    return `\x1b[${COLORS[level]}m${level.slice(0, 4).toUpperCase()}\x1b[0m[${secs}] ${msg.padEnd(44)} \n`;
  }
  return `time="${rfc3339(now)}" level=${level} msg=${quote(msg)}\n`;
}
