// answerUnavailableWhen: a dependency's failure is a 503, but a JSON body that broke off because its client was
// cut off (the idle bound) fails with ECONNRESET "aborted" too, and that is not the database being down.
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { answerUnavailableWhen, createService, Type, type Service } from '../src/index.js';
import { eventually, stopsHalfway } from '../src/testing/index.js';

let app: Service | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const socketFailure = (error: unknown) => (error as { code?: unknown }).code === 'ECONNRESET';

describe('answerUnavailableWhen', () => {
  it('does not take a body cut off with its client for the dependency being down', async () => {
    const { logger, lines } = captureLogger('unavailable');
    app = await createService({ name: 'unavailable', logger, slowClients: { idleTimeoutMs: 300 } });
    await app.register((scope, _options, done) => {
      answerUnavailableWhen(scope, socketFailure, 'The database cannot be reached right now');
      scope.post('/things', { schema: { body: Type.Object({ name: Type.String() }) } }, () => ({ ok: true }));
      done();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const client = await stopsHalfway(
      port,
      '/things',
      100_000,
      1_000,
      { 'content-type': 'application/json' },
      'POST',
    );
    await client.closed;
    const logged = await eventually('the request is logged', lines, (all) =>
      all.some((line) => line.message === 'request rejected' || line.message === 'request failed'),
    );
    expect(JSON.stringify(logged)).not.toContain('The database cannot be reached');
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
  });
});
