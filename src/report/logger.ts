/** Logger implementations: the action's (through @actions/core) and a recording one for tests. */
import * as core from '@actions/core';
import type { Logger } from '../pipeline/types.js';
import { secretForms } from './secrets.js';

/**
 * The message without stack frames (`    at f (file.js:1:2)` lines): a library's error text can carry its stack,
 * which is for ACTIONS_STEP_DEBUG, never for a log line at default verbosity.
 */
export function withoutStack(message: string): string {
  if (!message.includes('\n')) return message;
  return message
    .split('\n')
    .filter((l) => !/^\s+at \S.*(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/.test(l))
    .join('\n');
}

/** Writes through @actions/core: log groups, `::warning`, `::error`, `::add-mask::`. */
export class ActionsLogger implements Logger {
  info(message: string): void {
    core.info(withoutStack(message));
  }
  warning(message: string): void {
    core.warning(withoutStack(message));
  }
  error(message: string): void {
    core.error(withoutStack(message));
  }
  debug(message: string): void {
    core.debug(message);
  }
  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return core.group(title, fn);
  }
  secret(value: string): void {
    maskSecret(value, core.setSecret);
  }
}

/** Masks a credential and its re-encoded forms (./secrets.ts). */
export function maskSecret(value: string, setSecret: (v: string) => void): void {
  for (const f of secretForms(value)) setSecret(f);
}

/** Keeps every line (tests, and the CLI's quiet mode). */
export class RecordingLogger implements Logger {
  readonly lines: { level: 'info' | 'warning' | 'error' | 'debug' | 'group'; message: string }[] = [];
  readonly secrets: string[] = [];
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'group', message: title });
    return fn();
  }
  secret(value: string): void {
    maskSecret(value, (v) => this.secrets.push(v));
  }
  text(level?: RecordingLogger['lines'][number]['level']): string {
    return this.lines
      .filter((l) => !level || l.level === level)
      .map((l) => l.message)
      .join('\n');
  }
}
