// For tests of anything that logs: a stream that collects what a logger writes, parsed back into one object per
// line, and a logger that writes to it. Import from '@backend-rebase/logger/testing'.
import { Writable } from 'node:stream';
import { createLogger } from './create-logger.js';
import type { Logger } from './logger.js';

export function captureLines(): { stream: Writable; records: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const records = () =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, records };
}

export interface CapturedLogger {
  logger: Logger;
  lines: () => Record<string, unknown>[];
}

/** A logger (no Logz.io, level info unless given) whose lines the test reads back with `lines()`. */
export function captureLogger(service = 'fixture', level = 'info'): CapturedLogger {
  const { stream, records } = captureLines();
  return { logger: createLogger({ service, level, env: {}, stream }), lines: records };
}
