// The one logger interface of the project: winston's call shape, a message first and then the fields of the line,
// `logger.info('blob stored', { blobId, bytes })`. It is narrower than winston's own type on purpose: pino's order
// (`logger.info({ blobId }, 'blob stored')`), a bare error (`logger.error('failed', error)`) or a string as the
// fields do not compile. An error goes under `err` — `logger.error('write failed', { err })` — and is written with
// its type, message, stack and causes (json-line.ts).
import winston from 'winston';
import { isoTimestamp, jsonLineText } from './json-line-text.js';

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

/** Where the lines of a logger and its children go (create-logger.ts makes one per createLogger). */
export interface LineOutput {
  /** the logger's `service`, masked and as JSON: the same on every line */
  readonly service: string;
  /** writes the text of one line, newline included */
  readonly writeLine: (text: string) => void;
  /** whether winston sees each entry too: Logz.io ships what winston formats */
  readonly shipping: boolean;
}

/** Marks an entry whose stdout line is already written, so winston's stdout transport skips it. */
export const WRITTEN = Symbol('written to stdout');

const NO_FIELDS: LogFields = Object.freeze({});

// winston's npm levels by severity (error 0 … silly 6); a name that is not a level is never enabled.
const SEVERITY: Record<string, number> = Object.assign(
  Object.create(null) as object,
  winston.config.npm.levels,
);

/**
 * createLogger's Logger: winston underneath, and the fields every line of this logger carries. A line is written
 * straight to its output (json-line-text.ts); winston formats an entry only for Logz.io, or when the line has
 * something only its format chain writes right.
 */
export class WinstonLogger implements Logger {
  constructor(
    /** The winston logger createLogger made; children share it, and closeLogger flushes it. */
    readonly winston: winston.Logger,
    private readonly output: LineOutput,
    private readonly fields: LogFields = NO_FIELDS,
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
    return new WinstonLogger(this.winston, this.output, { ...this.fields, ...fields });
  }

  // winston's own answer, given that its stdout transport has no level of its own and Logz.io's is the logger's.
  isLevelEnabled(level: LogLevel): boolean {
    return SEVERITY[level]! <= SEVERITY[this.winston.level]!;
  }

  /** One line at any of winston's levels (the pino adapter's way in; project code uses the named methods). */
  write(level: LogLevel, message: string, fields?: LogFields): void {
    // Before any work: winston would build, format and only then drop a line below its level.
    if (!this.isLevelEnabled(level)) return;
    // The line's own fields win over the logger's; level and message are the call's.
    const entry = this.fields === NO_FIELDS ? (fields ?? NO_FIELDS) : { ...this.fields, ...fields };
    const text =
      typeof message === 'string'
        ? jsonLineText(isoTimestamp(), level, this.output.service, message, entry)
        : undefined;
    if (text !== undefined) this.output.writeLine(`${text}\n`);
    if (text === undefined || this.output.shipping) {
      this.winston.log({ ...entry, level, message, ...(text === undefined ? {} : { [WRITTEN]: true }) });
    }
  }
}
