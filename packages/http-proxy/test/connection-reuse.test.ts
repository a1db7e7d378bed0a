// Upstream connections are reused: a proxy does not pay for a new connection per request, HEADs included
// (undici closes the connection after each HEAD unless told otherwise). Counted as the upstream sees them.
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '@backend-rebase/service-kit';
import { sendThrough, upstreamPool, upstreamRequestFor } from '../src/index.js';
import { startProxy } from './support/proxy-app.js';
import { answerText, startUpstream, type TestUpstream } from './support/upstream.js';

let upstream: TestUpstream | undefined;
let proxy: { app: Service; url: string } | undefined;
afterEach(async () => {
  await proxy?.app.close();
  proxy = undefined;
  await upstream?.close();
  upstream = undefined;
});

const REQUESTS = 30;

describe('upstream connections', () => {
  it.each(['GET', 'HEAD'] as const)(
    'carry one %s after another without a new connection each',
    async (method) => {
      upstream = await startUpstream(answerText(200, 'blob bytes', { etag: '"1"' }));
      const pool = upstreamPool(upstream.origin, { connections: 8, connectTimeoutMs: 1_000 });
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const sent = upstreamRequestFor(
            { method, url: '/blobs/a', headers: {}, id: `r-${i}` },
            '/blobs/a',
            new AbortController().signal,
          );
          const response = await sendThrough(pool, sent, 5_000);
          expect(response.statusCode).toBe(200);
          await response.body.dump();
        }
      } finally {
        await pool.close();
      }
      expect(upstream.seen).toHaveLength(REQUESTS);
      // undici hands a finished connection back one tick after its answer, so a request sent at once may open a
      // second one; never one per request.
      expect(upstream.connections).toBeLessThanOrEqual(2);
    },
  );

  it('are shared by the requests of many clients through the proxy', async () => {
    upstream = await startUpstream(answerText(200, 'blob bytes'));
    proxy = await startProxy(upstream.origin); // a pool of 4 connections
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        ['GET', 'HEAD', 'GET', 'HEAD', 'GET', 'HEAD'].map(async (method) => {
          const response = await request(`${proxy?.url}/blobs/a`, { method });
          expect(response.statusCode).toBe(200);
          await response.body.dump();
        }),
      );
    }
    expect(upstream.seen).toHaveLength(30);
    expect(upstream.connections).toBeLessThanOrEqual(4);
  });
});
