// Flushes a logger before the process exits: the Logz.io buffer is sent now (otherwise it waits for a 10 s timer
// that also keeps the process alive) and the output stream is drained. Calling it again returns the same
// promise, and it always settles within `timeoutMs`, so an unreachable listener cannot hold up a shutdown.
import type { Writable } from 'node:stream';
import type winston from 'winston';
import type LogzioWinstonTransport from 'winston-logzio';
import { isBatchedStdout } from './batched-stdout.js';
import { outputs } from './create-logger.js';
import { WinstonLogger, type Logger } from './logger.js';

const closing = new WeakMap<winston.Logger, Promise<void>>();

/** Flushes the logger createLogger made; a child flushes the same one (they share their outputs). */
export function closeLogger(logger: Logger, timeoutMs = 5_000): Promise<void> {
  if (!(logger instanceof WinstonLogger)) {
    return Promise.reject(new Error('closeLogger: this logger was not made by createLogger'));
  }
  let closed = closing.get(logger.winston);
  if (!closed) {
    closed = withTimeout(flush(logger.winston), timeoutMs);
    closing.set(logger.winston, closed);
  }
  return closed;
}

async function flush(logger: winston.Logger): Promise<void> {
  // Until winston's internal pipe is flowing, lines logged in this same tick have not reached the transports yet.
  await new Promise(setImmediate);
  const output = outputs.get(logger);
  if (!output) throw new Error('closeLogger: this logger was not made by createLogger');
  if (output.logzio) await shipAndDetach(logger, output.logzio);
  await (isBatchedStdout(output.stream) ? output.stream.written() : drained(output.stream));
}

// Removing the transport makes winston-logzio send what it buffered (its sendAndClose) and emit 'close' once the
// listener has answered or failed. Later lines still go to stdout.
function shipAndDetach(logger: winston.Logger, transport: LogzioWinstonTransport): Promise<void> {
  return new Promise((resolve) => {
    transport.once('close', () => resolve());
    logger.remove(transport);
  });
}

function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`closeLogger: flushing took longer than ${ms} ms; some log lines may be lost\n`);
      resolve();
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
