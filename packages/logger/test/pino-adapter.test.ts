/* eslint-disable no-restricted-syntax -- Fastify's pino view of the logger takes pino's call shape: this file tests it */
import { describe, expect, it } from 'vitest';
import { closeLogger, createLogger, toPinoLogger } from '../src/index.js';
import { captureLines } from '../src/testing.js';

function setup(level?: string) {
  const { stream, records } = captureLines();
  const logger = createLogger({ service: 'api', env: {}, stream, ...(level ? { level } : {}) });
  return { logger, log: toPinoLogger(logger), records };
}

describe('toPinoLogger', () => {
  it('accepts pino call shapes: message only, object and message, error', async () => {
    const { logger, log, records } = setup();

    log.info('server ready');
    log.info({ port: 3001 }, 'listening on %d', 3001);
    log.error(new Error('boom'));
    await closeLogger(logger);

    const [plain, withObject, withError] = records();
    expect(plain).toMatchObject({ level: 'info', service: 'api', message: 'server ready' });
    expect(withObject).toMatchObject({ message: 'listening on 3001', port: 3001 });
    expect(withError).toMatchObject({
      level: 'error',
      message: 'boom',
      err: { type: 'Error', message: 'boom' },
    });
  });

  it('puts child bindings on every line the child writes', async () => {
    const { logger, log, records } = setup();

    const request = log.child({ requestId: 'req-1' });
    request.info('incoming request');
    request.child({ userId: 7 }).warn({ attempt: 2 }, 'retrying');
    log.info('not a request line');
    await closeLogger(logger);

    expect(records()).toMatchObject([
      { message: 'incoming request', requestId: 'req-1' },
      { message: 'retrying', requestId: 'req-1', userId: 7, attempt: 2 },
      { message: 'not a request line' },
    ]);
    expect(records()[2]).not.toHaveProperty('requestId');
  });

  it('applies the serializers a child is given, as Fastify does for req and res', async () => {
    const { logger, log, records } = setup();

    const child = log.child(
      {},
      { serializers: { res: (res) => ({ statusCode: (res as { statusCode: number }).statusCode }) } },
    );
    child.info({ res: { statusCode: 201, socket: 'huge' }, responseTime: 3 }, 'request completed');
    await closeLogger(logger);

    expect(records()[0]).toMatchObject({ res: { statusCode: 201 }, responseTime: 3 });
    expect(records()[0]?.res).not.toHaveProperty('socket');
  });

  it('maps levels both ways and honours a child level', async () => {
    const { logger, log, records } = setup('debug');

    expect(log.level).toBe('debug');
    log.trace('below debug');
    log.fatal('fatal maps to error');
    const quiet = log.child({}, { level: 'warn' });
    expect(quiet.level).toBe('warn');
    quiet.info('filtered by the child');
    log.child({}, { level: 'silent' }).error('silenced');
    await closeLogger(logger);

    expect(records()).toMatchObject([{ level: 'error', message: 'fatal maps to error' }]);
    expect(records()).toHaveLength(1);
  });
});
