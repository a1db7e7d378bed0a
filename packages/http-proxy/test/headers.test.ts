// Which headers cross a proxy: hop-by-hop ones stop, in both directions (headers.ts).
import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../src/index.js';

describe('headers', () => {
  it('drops hop-by-hop headers, those named by Connection, host and expect', () => {
    expect(
      upstreamRequestHeaders(
        {
          host: 'lb',
          expect: '100-continue',
          connection: 'keep-alive, X-Trace',
          'x-trace': '1',
          'keep-alive': 'timeout=5',
          'transfer-encoding': 'chunked',
          te: 'trailers',
          trailer: 'x',
          upgrade: 'h2c',
          'proxy-authorization': 'x',
          'content-length': '3',
          'content-type': 'text/plain',
          'x-rebase-a': 'b',
        },
        true,
      ),
    ).toEqual({ 'content-length': '3', 'content-type': 'text/plain', 'x-rebase-a': 'b' });
  });

  it('drops content-length on requests without a body', () => {
    expect(upstreamRequestHeaders({ 'content-length': '3', range: 'bytes=0-1' }, false)).toEqual({
      range: 'bytes=0-1',
    });
  });

  it('keeps every end-to-end response header, repeated ones included', () => {
    expect(
      downstreamResponseHeaders({
        etag: '"1"',
        'set-cookie': ['a=1', 'b=2'],
        connection: 'close',
        'keep-alive': 'timeout=5',
      }),
    ).toEqual({ etag: '"1"', 'set-cookie': ['a=1', 'b=2'] });
  });
});
