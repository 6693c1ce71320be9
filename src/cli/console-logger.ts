/** The CLI's Logger: plain terminal lines, group titles as headings, every known secret redacted. */
import type { Logger } from '../pipeline/types.js';

export class ConsoleLogger implements Logger {
  private readonly secrets = new Set<string>();
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}

  private out(prefix: string, message: string): void {
    let text = message;
    for (const s of this.secrets) text = text.split(s).join('***');
    for (const line of text.split('\n')) this.write(prefix + line);
  }
  info(message: string): void {
    this.out('', message);
  }
  warning(message: string): void {
    this.out('warning: ', message);
  }
  error(message: string): void {
    this.out('error: ', message);
  }
  debug(message: string): void {
    if (process.env.ARENA_FT_DEBUG) this.out('debug: ', message);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.out('', `── ${title}`);
    return fn();
  }
  secret(value: string): void {
    if (value.trim() === '') return;
    for (const form of [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)])
      this.secrets.add(form);
  }
}
