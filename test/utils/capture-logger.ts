import type { LoggerService } from '@nestjs/common';

export interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context?: string;
}

/** A Nest logger that keeps every entry in memory, so a test can assert what was logged (and await it). */
export class CaptureLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  private readonly waiters = new Set<() => void>();

  log(message: unknown, ...rest: unknown[]) {
    this.add('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.add('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.add('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.add('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.add('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.add('fatal', message, rest);
  }

  /** The messages logged at `level`, optionally only those containing `text`. */
  messages(level: LogEntry['level'], text = ''): string[] {
    return this.entries.filter((e) => e.level === level && e.message.includes(text)).map((e) => e.message);
  }

  /** Resolves with the first entry at `level` whose message contains `text` (logged before or after the call). */
  waitFor(level: LogEntry['level'], text: string): Promise<LogEntry> {
    return new Promise((resolve) => {
      const check = () => {
        const entry = this.entries.find((e) => e.level === level && e.message.includes(text));
        if (entry) {
          this.waiters.delete(check);
          resolve(entry);
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  clear(): void {
    this.entries.length = 0;
  }

  private add(level: LogEntry['level'], message: unknown, rest: unknown[]) {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    this.entries.push({ level, message: String(message), context });
    for (const check of [...this.waiters]) check();
  }
}
