/** Triton's glog-style log lines: `I1125 15:07:14.123456 1 server.cc:619] message`. */

export type Severity = 'I' | 'W' | 'E';

export function tritonLogLine(sev: Severity, source: string, msg: string, now = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp =
    `${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())} ` +
    `${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds() * 1000, 6)}`;
  return `${sev}${stamp} 1 ${source}] ${msg}`;
}

/** The ASCII tables Triton prints at startup. */
export function asciiTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const sep = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ') + ' |';
  return [sep, line(header), sep, ...rows.map(line), sep].join('\n');
}
