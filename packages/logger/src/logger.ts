// The one logger interface of the project: winston's call shape, a message first and then the fields of the line,
// `logger.info('blob stored', { blobId, bytes })`. It is narrower than winston's own type on purpose: pino's order
// (`logger.info({ blobId }, 'blob stored')`), a bare error (`logger.error('failed', error)`) or a string as the
// fields do not compile. An error goes under `err` — `logger.error('write failed', { err })` — and is written with
// its type, message, stack and causes (json-line.ts).
import type winston from 'winston';

/** The fields of one line; an Error among them (by convention under `err`) is written with its stack. */
export type LogFields = Record<string, unknown>;

/** winston's npm levels, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes (a request id, a job's name). */
  child(fields: LogFields): Logger;
  /** Whether a line at `level` would be written: to skip building fields that cost something. */
  isLevelEnabled(level: LogLevel): boolean;
  /** The least severe level written. */
  readonly level: LogLevel;
}

/** createLogger's Logger: a winston logger underneath, and the fields every line of this logger carries. */
export class WinstonLogger implements Logger {
  constructor(
    /** The winston logger createLogger made; children share it, and closeLogger flushes it. */
    readonly winston: winston.Logger,
    private readonly fields: LogFields = {},
  ) {}

  get level(): LogLevel {
    return this.winston.level as LogLevel;
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  child(fields: LogFields): Logger {
    return new WinstonLogger(this.winston, { ...this.fields, ...fields });
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.winston.isLevelEnabled(level);
  }

  /** One line at any of winston's levels (the pino adapter's way in; project code uses the named methods). */
  write(level: LogLevel, message: string, fields?: LogFields): void {
    // Before any work: winston would build, format and only then drop a line below its level.
    if (!this.winston.isLevelEnabled(level)) return;
    // The line's own fields win over the logger's; level and message are the call's.
    this.winston.log({ ...this.fields, ...fields, level, message });
  }
}
