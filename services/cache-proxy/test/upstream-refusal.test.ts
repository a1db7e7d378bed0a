// An upstream that answers a PUT from its headers (413, Connection: close) and reads no more of the body unless
// it keeps coming: the proxy relays the answer to every kind of client and stops sending the upload upstream.
import { expectRefusal, upload, UPLOAD_CLIENTS } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';
import { startStubUpstream, type StubUpstream } from './support/stub-upstream.js';

const MiB = 1024 * 1024;

describe('an upstream refusal sent before the upload was read', () => {
  let stub: StubUpstream;
  let stubbed: RunningCacheProxy;
  beforeAll(async () => {
    stub = await startStubUpstream();
    stub.refusePuts('refused');
    stubbed = await startCacheProxy(stub.url);
  });
  afterAll(async () => {
    await stubbed.close();
    await stub.close();
  });

  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    it(`reaches ${client} during a 10 MiB upload ${withExpect ? 'with' : 'without'} Expect, and upstream gets no more of it`, async () => {
      const before = stub.refusedBytes();
      const result = await upload({
        client,
        url: `${stubbed.url}/blobs/refused`,
        bytes: 10 * MiB,
        expect: withExpect,
      });
      expectRefusal(result, { status: 413, detail: /too large/ });
      // The proxy stopped sending once upstream had answered: the upload did not all go upstream.
      expect(stub.refusedBytes() - before).toBeLessThan(10 * MiB);
    });
  }
});
