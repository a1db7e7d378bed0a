// What a 503 tells the client about its views: `not-counted` when they surely were not applied (refused
// before anything was sent, a statement the server failed, no connection), so retrying is safe, and `unknown`
// when the connection failed while the flush's statement was in flight, when the server may have committed it.
// Each case is made to happen exactly: a row lock the test holds, a proxy that holds back the server's answer to
// the flush's statement.
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { TcpProxy } from '@backend-rebase/db/testing';
import { startTestService, type TestService } from './support/test-service.js';

const HOUR = '2025-01-01T10:00:00Z';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function service(label: string, config: Parameters<typeof startTestService>[1]): Promise<TestService> {
  const started = await startTestService(label, config);
  cleanups.push(() => started.close());
  return started;
}

/** A connection of the test's own, outside the service's pool. */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  cleanups.push(() => client.end());
  return client;
}

/** A proxy in front of the test database, for the service's pool. */
/** The flush's statement goes by this name (in its Parse and its Bind), and no other message carries it. */
const FLUSH_STATEMENT = Buffer.from('add-hourly-views\0');

function throughProxy(setProxy: (proxy: TcpProxy) => void) {
  return async ({ url }: { url: string }) => {
    const server = new URL(url);
    const proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    cleanups.push(() => proxy.down());
    setProxy(proxy);
    return proxy.url(url);
  };
}

describe('a 503 from the increments service', () => {
  it('says not-counted when the views are refused before anything is sent (backpressure)', async () => {
    const increments = await service('refused', { MAX_PENDING_KEYS: 1 });
    const answer = await increments.post('/page-views/multi', {
      a: { '2025-01-01_10:00': 1 },
      b: { '2025-01-01_10:00': 1 },
    });
    expect(answer.status).toBe(503);
    expect(answer.body.outcome).toBe('not-counted');
    expect(answer.body.detail).toMatch(/not counted.*retry/);
    expect(await increments.counts()).toEqual({});
  });

  it('says not-counted when the server fails the flush (a row lock held past lock_timeout: 55P03)', async () => {
    const increments = await service('lock timeout', { DB_LOCK_TIMEOUT_MS: 200, FLUSH_TIMEOUT_MS: 10_000 });
    await increments.sql("INSERT INTO page_views_hourly (page, hour, views) VALUES ('held', $1, 5)", [HOUR]);
    const holder = await connect(increments.database.url);
    await holder.query('BEGIN');
    await holder.query("SELECT views FROM page_views_hourly WHERE page = 'held' FOR UPDATE");

    const answer = await increments.post('/page-views/single', { page: 'held', timestamp: HOUR });
    await holder.query('COMMIT');

    expect(answer.status).toBe(503);
    expect(answer.body.outcome).toBe('not-counted');
    expect(answer.body.detail).toMatch(/retrying is safe/);
    expect(await increments.counts()).toEqual({ [`held ${new Date(HOUR).toISOString()}`]: 5 });
    const [failure] = increments
      .lines()
      .filter((line) => line.message === 'flush failed; its requests are answered 503');
    expect(failure).toMatchObject({ outcome: 'not-counted' });
  });

  it('says unknown when the connection is lost after the flush was sent, and the views may be counted', async () => {
    let proxy!: TcpProxy;
    const increments = await service('answer lost', { poolUrl: throughProxy((made) => (proxy = made)) });
    const held = proxy.interceptAnswerTo(FLUSH_STATEMENT);

    const answer = increments.post('/page-views/single', { page: 'committed', timestamp: HOUR });
    // The server has answered the statement, so it is committed; the service never hears of it.
    (await held).cut();

    expect((await answer).status).toBe(503);
    expect((await answer).body.outcome).toBe('unknown');
    expect((await answer).body.detail).toMatch(
      /may or may not have been counted.*retrying may count them twice/,
    );
    // Here, retrying would count the view twice.
    expect(await increments.counts()).toEqual({ [`committed ${new Date(HOUR).toISOString()}`]: 1 });
    const metrics = await fetch(`${increments.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^increments_flushes_total\{outcome="unknown"\} 1$/m);
  });

  it('says unknown when the answer to the flush does not come within its deadline', async () => {
    let proxy!: TcpProxy;
    // The deadline is FLUSH_TIMEOUT_MS plus a margin: about 1.1 s here.
    const increments = await service('answer silent', {
      poolUrl: throughProxy((made) => (proxy = made)),
      FLUSH_TIMEOUT_MS: 100,
      DB_LOCK_TIMEOUT_MS: 100,
    });
    const held = proxy.interceptAnswerTo(FLUSH_STATEMENT);

    const answer = await increments.post('/page-views/single', { page: 'silent', timestamp: HOUR });
    (await held).cut();

    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ outcome: 'unknown' });
    expect(await increments.counts()).toEqual({ [`silent ${new Date(HOUR).toISOString()}`]: 1 });
  });
});
