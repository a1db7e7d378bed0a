// The one place for the headers of every proxied answer: proxiedAnswerHeaders is swapped here for one that adds a
// header, and every kind of answer the proxy gives (upstream's relayed, HEAD, its own 502 and 504) carries it. So
// adding a header to every proxied answer is one line in answer-headers.ts.
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Service } from '@backend-rebase/service-kit';
import type * as AnswerHeaders from '../src/answer-headers.js';
import { proxiedAnswerHeaders } from '../src/index.js';
import { startProxy } from './support/proxy-app.js';
import { answerText, closedPort, silent, startUpstream, type TestUpstream } from './support/upstream.js';

vi.mock('../src/answer-headers.js', async (importOriginal) => {
  const original = await importOriginal<typeof AnswerHeaders>();
  return {
    proxiedAnswerHeaders: (...args: Parameters<typeof original.proxiedAnswerHeaders>) => ({
      ...original.proxiedAnswerHeaders(...args),
      'x-every-answer': 'yes',
    }),
  };
});

let upstream: TestUpstream | undefined;
let proxy: { app: Service; url: string } | undefined;
afterEach(async () => {
  await proxy?.app.close();
  proxy = undefined;
  await upstream?.close();
  upstream = undefined;
});

describe('proxiedAnswerHeaders', () => {
  it('keeps upstream end-to-end headers, drops hop-by-hop ones, and lets the added ones win', async () => {
    const { proxiedAnswerHeaders: real } =
      await vi.importActual<typeof AnswerHeaders>('../src/answer-headers.js');
    expect(
      real(
        { etag: '"1"', connection: 'close', 'x-served-by': 'upstream', age: undefined },
        { 'x-served-by': 'lb' },
      ),
    ).toEqual({ etag: '"1"', 'x-served-by': 'lb' });
    expect(proxiedAnswerHeaders({}, {})).toEqual({ 'x-every-answer': 'yes' }); // the swapped one
  });

  it('takes headers a cache filtered when it stored them as they are, with the added ones over them', async () => {
    const { proxiedAnswerHeaders: real } =
      await vi.importActual<typeof AnswerHeaders>('../src/answer-headers.js');
    const stored = { etag: '"1"', 'content-type': 'application/octet-stream' };
    expect(real(stored, { 'x-cache': 'HIT' }, true)).toEqual({ ...stored, 'x-cache': 'HIT' });
  });

  it("is used for upstream's answers relayed", async () => {
    upstream = await startUpstream(answerText(200, 'ok'));
    proxy = await startProxy(upstream.origin);
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await request(`${proxy.url}/blobs/a`, { method });
      await response.body.dump();
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-every-answer']).toBe('yes');
    }
  });

  it("is used for the proxy's own 502 and 504", async () => {
    proxy = await startProxy(`http://127.0.0.1:${await closedPort()}`);
    const unreachable = await request(`${proxy.url}/blobs/a`);
    await unreachable.body.dump();
    expect(unreachable.statusCode).toBe(502);
    expect(unreachable.headers['x-every-answer']).toBe('yes');
    await proxy.app.close();

    upstream = await startUpstream(silent);
    proxy = await startProxy(upstream.origin, 200);
    const slow = await request(`${proxy.url}/blobs/a`);
    await slow.body.dump();
    expect(slow.statusCode).toBe(504);
    expect(slow.headers['x-every-answer']).toBe('yes');
  });
});
