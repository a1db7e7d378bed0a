// The database going away: requests get a 503 problem the client can retry, /ready fails, and once the database
// is back the same app serves again without a restart. The app reaches PostgreSQL through a TCP proxy that the
// test takes down (cutting every connection; new ones are refused, as with a stopped server) and brings back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '@backend-rebase/db/testing';
import { json, startTestService, type TestService } from './support/test-service.js';

let service: TestService;
let proxy: TcpProxy;
beforeAll(async () => {
  service = await startTestService('outage', {
    async poolUrl(database) {
      const server = new URL(database.url);
      proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
      return proxy.url(database.url);
    },
  });
});
afterAll(async () => {
  await proxy.down();
  await service.close();
});

const create = (email: string) =>
  service.app.inject({ method: 'POST', url: '/users', ...json({ email, full_name: 'Outage' }) });

describe('when the database goes away', () => {
  it('answers 503 problem+json and fails /ready, then recovers by itself', async () => {
    expect((await create('before@example.com')).statusCode).toBe(201);
    expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(200);

    await proxy.down();

    for (const request of [
      { url: '/users/before@example.com' },
      { url: '/users' },
      {
        method: 'POST' as const,
        url: '/users',
        ...json({ email: 'during@example.com', full_name: 'During' }),
      },
      { method: 'DELETE' as const, url: '/users/before@example.com' },
    ]) {
      const response = await service.app.inject(request);
      expect(response.statusCode, `${request.url}`).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 503,
        title: 'Service Unavailable',
        detail: expect.stringContaining('database cannot be reached') as unknown,
      });
    }
    const ready = await service.app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'fail', checks: { database: { status: 'fail' } } });
    // The cause is in the log, for whoever runs the service; no stack trace went to the client.
    expect(
      service
        .lines()
        .some((line) => line.message === 'request failed' && JSON.stringify(line).includes('503')),
    ).toBe(true);

    await proxy.up();

    expect((await service.app.inject({ url: '/users/before@example.com' })).statusCode).toBe(200);
    expect((await create('after@example.com')).statusCode).toBe(201);
    expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(200);
    // Nothing was written while the database was away.
    expect(await service.sql('SELECT email FROM users ORDER BY email')).toEqual([
      { email: 'after@example.com' },
      { email: 'before@example.com' },
    ]);
  });
});
