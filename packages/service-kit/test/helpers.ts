// Test helpers: a logger whose lines the test can read back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@backend-rebase/logger';

export interface CapturedLogger {
  logger: Logger;
  lines: () => Record<string, unknown>[];
}

export function captureLogger(): CapturedLogger {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ service: 'fixture', env: {}, stream });
  const lines = () =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}
