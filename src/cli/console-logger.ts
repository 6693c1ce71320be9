/**
 * The CLI's Logger: plain terminal lines, group titles as headings, every known secret redacted. Progress goes to
 * stdout; warnings and errors to stderr, so that `2>` or a pipe keeps the problems apart from the progress.
 */
import type { Logger } from '../pipeline/types.js';
import { secretForms } from '../report/secrets.js';

export class ConsoleLogger implements Logger {
  private readonly secrets = new Set<string>();
  constructor(
    private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
    private readonly writeError: (line: string) => void = (l) => process.stderr.write(l + '\n')
  ) {}

  private out(prefix: string, message: string, to: (line: string) => void = this.write): void {
    let text = message;
    for (const s of this.secrets) text = text.split(s).join('***');
    for (const line of text.split('\n')) to(prefix + line);
  }
  info(message: string): void {
    this.out('', message);
  }
  warning(message: string): void {
    this.out('warning: ', message, this.writeError);
  }
  error(message: string): void {
    this.out('error: ', message, this.writeError);
  }
  /** The "what to do" line under an error, beside it on stderr. */
  hint(message: string): void {
    this.out('what to do: ', message, this.writeError);
  }
  debug(message: string): void {
    if (process.env.ARENA_FT_DEBUG) this.out('debug: ', message);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.out('', `── ${title}`);
    return fn();
  }
  secret(value: string): void {
    for (const form of secretForms(value)) this.secrets.add(form);
  }
}
