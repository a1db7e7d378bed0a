// One winston logger per process: JSON lines on stdout (never stderr, so a process's log is one stream) and,
// when LOGZIO_TOKEN is set, the same lines shipped to Logz.io. Without a token nothing is attempted.
import type { Writable } from 'node:stream';
import winston from 'winston';
import type LogzioWinstonTransport from 'winston-logzio';
import { batchedStdout, isBatchedStdout } from './batched-stdout.js';
import { jsonLine } from './json-line.js';
import { serviceJson } from './json-line-text.js';
import { WinstonLogger, WRITTEN, type LineOutput, type LogFields, type Logger } from './logger.js';
import { createLogzioTransport, logzioSettingsProblems, type Env } from './logzio.js';

export interface LoggerOptions {
  /** the service name, on every line and as the Logz.io log type */
  service: string;
  /** more fields on every line, e.g. `{ node: NODE_NAME }` where several processes share one log pipeline */
  fields?: LogFields;
  /** error, warn, info, http, verbose, debug or silly; default LOG_LEVEL from env, else info */
  level?: string;
  /** where LOG_LEVEL and LOGZIO_* are read; default process.env */
  env?: Env;
  /** where the JSON lines go; default process.stdout, in batches (tests pass a capturing stream) */
  stream?: Writable;
}

const LOG_LEVELS = Object.keys(winston.config.npm.levels);

const logLevelProblem = (level: string) =>
  `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`;

/**
 * What is wrong with the variables createLogger reads from `env` (LOG_LEVEL, LOGZIO_*), one line each. A service's
 * config loader reports these with its own, so a typo stops the process with a message, not createLogger's throw.
 */
export function loggerSettingsProblems(env: Env): string[] {
  const level = env.LOG_LEVEL?.trim();
  return [
    ...(level && !LOG_LEVELS.includes(level) ? [logLevelProblem(level)] : []),
    ...logzioSettingsProblems(env),
  ];
}

const notYetWritten = winston.format((info) => (WRITTEN in info ? false : info));

/** What closeLogger has to flush for each logger, so it never digs into winston's internals. */
export const outputs = new WeakMap<
  winston.Logger,
  { stream: Writable; logzio: LogzioWinstonTransport | undefined }
>();

export function createLogger({
  service,
  fields,
  level,
  env = process.env,
  stream = batchedStdout(),
}: LoggerOptions): Logger {
  const threshold = level ?? (env.LOG_LEVEL?.trim() || 'info');
  if (!LOG_LEVELS.includes(threshold)) throw new Error(logLevelProblem(threshold));

  const logzio = createLogzioTransport(service, threshold, env);
  const logger = winston.createLogger({
    level: threshold,
    defaultMeta: { service },
    format: jsonLine,
    transports: [
      // Lines the logger has written itself (nearly all) reach winston only for Logz.io.
      new winston.transports.Stream({ stream, format: notYetWritten() }),
      ...(logzio ? [logzio] : []),
    ],
  });
  outputs.set(logger, { stream, logzio });
  const output: LineOutput = {
    service: serviceJson(service),
    writeLine: isBatchedStdout(stream) ? (text) => stream.writeLine(text) : (text) => void stream.write(text),
    shipping: logzio !== undefined,
  };
  // No fields (the usual case) lets each line go out without a merged copy of its fields.
  const hasFields = fields !== undefined && Object.keys(fields).length > 0;
  return new WinstonLogger(logger, output, hasFields ? fields : undefined);
}
