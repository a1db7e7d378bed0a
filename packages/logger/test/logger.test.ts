import { describe, expect, it } from 'vitest';
import { closeLogger, createLogger, type Logger } from '../src/index.js';
import { serializeError } from '../src/json-line.js';
import { captureLines } from '../src/testing.js';

describe('Logger', () => {
  it('puts the fixed fields of createLogger and a child on every line; the line’s own fields win', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 'blob-server', fields: { node: 'n1' }, env: {}, stream });

    logger.info('started');
    const request = logger.child({ requestId: 'r1' });
    request.warn('slow', { ms: 900 });
    request.child({ attempt: 2 }).error('retrying', { requestId: 'r1-retry' });
    await closeLogger(request); // a child flushes the logger it came from

    expect(records()).toMatchObject([
      { level: 'info', service: 'blob-server', message: 'started', node: 'n1' },
      { level: 'warn', message: 'slow', node: 'n1', requestId: 'r1', ms: 900 },
      { level: 'error', message: 'retrying', node: 'n1', requestId: 'r1-retry', attempt: 2 },
    ]);
    expect(records()[0]).not.toHaveProperty('requestId');
  });

  it('tells its level, and whether a level is written', () => {
    const logger = createLogger({ service: 's', level: 'info', env: {}, stream: captureLines().stream });

    expect(logger.level).toBe('info');
    expect(logger.isLevelEnabled('warn')).toBe(true);
    expect(logger.child({ a: 1 }).isLevelEnabled('debug')).toBe(false);
  });

  it('has the winston call shape only: pino’s order or a bare error does not compile', () => {
    const logger: Logger = createLogger({
      service: 's',
      level: 'error',
      env: {},
      stream: captureLines().stream,
    });
    const error = new Error('boom');

    logger.info('message', { key: 'value' });
    logger.error('failed', { err: error });
    /* eslint-disable no-restricted-syntax -- the swapped calls this test shows do not compile */
    // @ts-expect-error fields first, message second (pino's order)
    logger.info({ key: 'value' }, 'message');
    // @ts-expect-error an error goes under `err`
    logger.error('failed', error);
    // @ts-expect-error the fields are an object, not more text
    logger.warn('failed', 'because');
    // @ts-expect-error a message is required
    logger.debug();
    /* eslint-enable no-restricted-syntax */
  });
});

describe('errors under err', () => {
  it('are written with type, message, stack, code and the whole cause chain', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });
    const root = Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
    const middle = new TypeError('sync failed', { cause: root });

    logger.error('write failed', { err: new Error('write failed', { cause: middle }) });
    await closeLogger(logger);

    expect(records()[0]?.err).toMatchObject({
      type: 'Error',
      message: 'write failed',
      stack: expect.stringContaining('write failed') as unknown,
      cause: {
        type: 'TypeError',
        message: 'sync failed',
        cause: { type: 'Error', message: 'ENOSPC: no space left', code: 'ENOSPC' },
      },
    });
  });

  it('are written when what was thrown is not an Error (an object as it is)', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });

    logger.error('callback failed', { err: 'socket hang up' });
    logger.error('callback failed', { err: { status: 503 } });
    logger.error('wrapped', { err: new Error('outer', { cause: 42 }) });
    await closeLogger(logger);

    expect(records().map((line) => line.err)).toMatchObject([
      { type: 'string', message: 'socket hang up' },
      { status: 503 },
      { message: 'outer', cause: { type: 'number', message: '42' } },
    ]);
  });

  it('cut a cycle of causes, and list the errors of an AggregateError', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    first.cause = second;

    expect(serializeError(first)).toMatchObject({
      message: 'first',
      cause: { message: 'second', cause: { type: 'Circular', message: '[Circular]' } },
    });
    expect(serializeError(new AggregateError([new Error('a'), 'b'], 'both failed'))).toMatchObject({
      type: 'AggregateError',
      message: 'both failed',
      errors: [{ message: 'a' }, { type: 'string', message: 'b' }],
    });
  });

  it('cut a chain of causes after ten', () => {
    let error = new Error('0');
    for (let depth = 1; depth <= 20; depth += 1) error = new Error(String(depth), { cause: error });

    let serialized = serializeError(error);
    let depth = 0;
    while (serialized.cause) {
      serialized = serialized.cause;
      depth += 1;
    }
    expect(depth).toBe(11);
    expect(serialized.type).toBe('Truncated');
  });
});
