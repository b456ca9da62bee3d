import { LoggerService } from '@nestjs/common';

declare global {
  // The current test's log lines; the test environment prints them when the test fails.
  var testLogLines: string[] | undefined;
}

function buffer(): string[] {
  return (globalThis.testLogLines ??= []);
}

/**
 * The logger of test apps: keeps every line instead of printing it, so a passing run shows no
 * expected ERROR lines, and a failing test shows what its app logged (see
 * `print-logs-on-failure.environment.ts`). Tests may read the lines to assert a log line.
 */
export class BufferedLogger implements LoggerService {
  /** The lines logged since the current test started (or since the previous test ended). */
  static lines(): readonly string[] {
    return buffer();
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('LOG', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.keep('ERROR', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('WARN', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('DEBUG', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('VERBOSE', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('FATAL', message, rest);
  }

  private keep(level: string, message: unknown, rest: unknown[]): void {
    // Nest passes the context last (after the stack, for errors).
    const context = typeof rest.at(-1) === 'string' ? `[${String(rest.pop())}] ` : '';
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    const extra = rest.map((part) => `\n  ${String(part)}`).join('');
    buffer().push(`${new Date().toISOString()} ${level} ${context}${text}${extra}`);
  }
}
