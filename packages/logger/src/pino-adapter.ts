// Lets the winston logger serve as Fastify's `loggerInstance`, which expects pino's interface. Calls keep pino's
// shapes — `log.info('text')`, `log.info({ key: value }, 'text')`, `log.error(err)` — and become one winston line
// each. A child's bindings (Fastify binds the request id) become metadata on every line it writes, and the
// serializers Fastify hands its children (req, res, err) turn its objects into small, loggable ones.
import { format } from 'node:util';
import { WinstonLogger, type LogFields, type Logger, type LogLevel } from './logger.js';

export type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type Serializer = (value: unknown) => unknown;

export interface ChildOptions {
  level?: string;
  serializers?: Record<string, Serializer>;
}

const severity: Record<PinoLevel | 'silent', number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

// winston's npm levels have no fatal or trace: they map to the nearest level that exists.
const winstonLevel: Record<PinoLevel, LogLevel> = {
  fatal: 'error',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'silly',
};

const pinoLevel: Record<string, PinoLevel> = {
  error: 'error',
  warn: 'warn',
  info: 'info',
  http: 'info',
  verbose: 'debug',
  debug: 'debug',
  silly: 'trace',
};

const NO_BINDINGS: LogFields = Object.freeze({});

// Fastify makes a child for every request (its bindings are the request id): the log methods live on the
// prototype and a child with no options shares its parent's serializers, so a child is one small object.
export class PinoAdapter {
  // Unset means "whatever the winston logger lets through"; Fastify sets it on children for a route's logLevel.
  private ownLevel: PinoLevel | 'silent' | undefined;

  constructor(
    private readonly logger: WinstonLogger,
    private readonly bindings: LogFields = NO_BINDINGS,
    private readonly serializers: Record<string, Serializer> = {},
    level?: string,
  ) {
    if (level !== undefined) this.level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  get level(): string {
    return this.ownLevel ?? pinoLevel[this.logger.level] ?? 'info';
  }

  set level(level: string) {
    if (!Object.hasOwn(severity, level)) throw new Error(`unknown log level "${level}"`);
    this.ownLevel = level as PinoLevel | 'silent';
  }

  child(bindings: Record<string, unknown>, options: ChildOptions = {}): PinoAdapter {
    return new PinoAdapter(
      this.logger,
      this.bindings === NO_BINDINGS ? { ...bindings } : { ...this.bindings, ...bindings },
      options.serializers ? { ...this.serializers, ...options.serializers } : this.serializers,
      options.level ?? this.ownLevel,
    );
  }

  private write(level: PinoLevel, [first, ...rest]: unknown[]): void {
    if (this.ownLevel && severity[level] < severity[this.ownLevel]) return;
    // Before any work: winston would build, format and only then drop a line below its level.
    if (!this.logger.isLevelEnabled(winstonLevel[level])) return;

    let metadata: LogFields = {};
    let message: string;
    if (first instanceof Error) {
      metadata = this.serialize({ err: first });
      message = rest.length > 0 ? messageOf(rest) : first.message;
    } else if (typeof first === 'object' && first !== null) {
      metadata = this.serialize(first as Record<string, unknown>);
      message = rest.length > 0 ? messageOf(rest) : '';
    } else {
      message = messageOf([first, ...rest]);
    }
    this.logger.write(winstonLevel[level], message, { ...this.bindings, ...metadata });
  }

  private serialize(object: Record<string, unknown>): Record<string, unknown> {
    const serialized: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(object)) {
      const serializer = this.serializers[key];
      serialized[key] = serializer && value !== undefined ? serializer(value) : value;
    }
    return serialized;
  }
}

// util.format is the slow way to say nothing when the message is one plain string, as it almost always is.
function messageOf(parts: unknown[]): string {
  const [only] = parts;
  return parts.length === 1 && typeof only === 'string' && !only.includes('%') ? only : format(...parts);
}

/** A pino-compatible view of createLogger's logger, for `Fastify({ loggerInstance: toPinoLogger(logger) })`. */
export function toPinoLogger(logger: Logger): PinoAdapter {
  if (!(logger instanceof WinstonLogger))
    throw new TypeError('toPinoLogger: this logger was not made by createLogger');
  return new PinoAdapter(logger);
}
