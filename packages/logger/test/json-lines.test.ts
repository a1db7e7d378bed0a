import { describe, expect, it } from 'vitest';
import { closeLogger, createLogger } from '../src/index.js';
import { captureLines } from '../src/testing.js';

describe('createLogger', () => {
  it('writes one JSON object per line: timestamp, level, service and message first, then the metadata', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 'blob-server', env: {}, stream });

    logger.info('blob stored', { blobId: 'abc', bytes: 12 });
    await closeLogger(logger);

    const [line] = records();
    expect(Object.keys(line ?? {})).toEqual(['timestamp', 'level', 'service', 'message', 'blobId', 'bytes']);
    expect(line).toMatchObject({
      level: 'info',
      service: 'blob-server',
      message: 'blob stored',
      blobId: 'abc',
    });
    expect(new Date(String(line?.timestamp)).toISOString()).toBe(line?.timestamp);
  });

  it('filters by level, from the option or LOG_LEVEL', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: { LOG_LEVEL: 'warn' }, stream });

    logger.info('hidden');
    logger.warn('shown');
    await closeLogger(logger);

    expect(records().map((line) => line.message)).toEqual(['shown']);
  });

  it('rejects an unknown level, naming LOG_LEVEL', () => {
    expect(() => createLogger({ service: 's', env: { LOG_LEVEL: 'loud' } })).toThrow(
      /LOG_LEVEL must be one of error, warn, info.*got "loud"/,
    );
  });

  it('logs errors in metadata with their message and stack', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });

    logger.error('write failed', { err: new Error('disk full', { cause: new Error('ENOSPC') }) });
    await closeLogger(logger);

    const err = records()[0]?.err;
    expect(err).toMatchObject({ type: 'Error', message: 'disk full', cause: { message: 'ENOSPC' } });
    expect(err).toHaveProperty('stack', expect.stringContaining('disk full'));
  });

  it('survives circular metadata', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });
    const node: Record<string, unknown> = { id: 1 };
    node.self = node;

    logger.info('cycle', { node });
    await closeLogger(logger);

    expect(records()[0]).toMatchObject({ message: 'cycle', node: { id: 1, self: '[Circular]' } });
  });
});

describe('closeLogger', () => {
  it('can be called twice', async () => {
    const logger = createLogger({ service: 's', env: {}, stream: captureLines().stream });

    const first = closeLogger(logger);
    expect(closeLogger(logger)).toBe(first);
    await expect(first).resolves.toBeUndefined();
  });
});

describe('email masking', () => {
  it('masks every email address in a line, however deep, even URL-encoded', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });

    logger.info('user jane@example.com signed up', {
      req: { url: '/users/jane.doe%40example.com', nested: [{ to: 'Bob <bob@mail.example.org>' }] },
      err: new Error('duplicate key: jane@example.com'),
    });
    await closeLogger(logger);

    const text = JSON.stringify(records());
    expect(text).not.toMatch(/jane|doe|bob@/);
    expect(records()[0]).toMatchObject({
      message: 'user j***@example.com signed up',
      req: { url: '/users/j***%40example.com', nested: [{ to: 'Bob <***@mail.example.org>' }] },
      err: { message: 'duplicate key: j***@example.com' },
    });
  });

  it('masks keys, and objects by what JSON writes of them: toJSON, or their own properties', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });
    class Failure {
      constructor(readonly detail: string) {}
    }

    logger.info('odd shapes', {
      'jane@example.com': 'as a key',
      link: new URL('http://example.org/users/jane.doe%40example.com'),
      failure: new Failure('Key (email)=(jane.doe@example.com) already exists.'),
    });
    await closeLogger(logger);

    expect(JSON.stringify(records())).not.toMatch(/jane/);
    expect(records()[0]).toMatchObject({
      'j***@example.com': 'as a key',
      link: 'http://example.org/users/j***%40example.com',
      failure: { detail: 'Key (email)=(j***@example.com) already exists.' },
    });
  });

  it('leaves things that only look a little like addresses alone', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 's', env: {}, stream });

    logger.info('installed @backend-rebase/logger at 100%', { at: new Date(0), ratio: '3 @ 5%' });
    await closeLogger(logger);

    expect(records()[0]).toMatchObject({
      message: 'installed @backend-rebase/logger at 100%',
      at: '1970-01-01T00:00:00.000Z',
      ratio: '3 @ 5%',
    });
  });
});
