// Conditional and partial requests as HTTP and S3 users expect them, and Content-MD5.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstDifference,
  removeDir,
  scratchDir,
  startBlobServer,
  type RunningBlobServer,
} from './support/blob-server.js';

let server: RunningBlobServer;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('conditional'));
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const url = (id: string) => `${server.url}/blobs/${id}`;
const etagOf = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
const md5Base64 = (text: string) => createHash('md5').update(text).digest('base64');

async function put(id: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url(id), { method: 'PUT', body, headers });
}

describe('conditional writes', () => {
  it('If-None-Match: * creates only when the id is free', async () => {
    expect((await put('create-once', 'first', { 'if-none-match': '*' })).status).toBe(201);
    const again = await put('create-once', 'second', { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(await again.json()).toMatchObject({ detail: 'If-None-Match: *: the blob exists' });
    expect(await (await fetch(url('create-once'))).text()).toBe('first');
  });

  it('If-Match replaces only the version the client has seen', async () => {
    await put('guarded', 'v1');
    const stale = await put('guarded', 'v2', { 'if-match': etagOf('something else') });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ detail: `If-Match: the current ETag is ${etagOf('v1')}` });

    expect((await put('guarded', 'v2', { 'if-match': etagOf('v1') })).status).toBe(200);
    expect((await put('guarded', 'v3', { 'if-match': `"nope", ${etagOf('v2')}` })).status).toBe(200);
    expect(await (await fetch(url('guarded'))).text()).toBe('v3');
  });

  it('If-Match on an id that does not exist is 412, for writes and deletes', async () => {
    expect((await put('absent', 'x', { 'if-match': etagOf('x') })).status).toBe(412);
    expect((await put('absent', 'x', { 'if-match': '*' })).status).toBe(412);
    expect((await fetch(url('absent'), { method: 'DELETE', headers: { 'if-match': '*' } })).status).toBe(412);
    expect((await fetch(url('absent'))).status).toBe(404);
  });

  it('If-Match on a delete', async () => {
    await put('delete-guarded', 'keep');
    const refused = await fetch(url('delete-guarded'), {
      method: 'DELETE',
      headers: { 'if-match': etagOf('x') },
    });
    expect(refused.status).toBe(412);
    expect((await fetch(url('delete-guarded'))).status).toBe(200);
    const deleted = await fetch(url('delete-guarded'), {
      method: 'DELETE',
      headers: { 'if-match': etagOf('keep') },
    });
    expect(deleted.status).toBe(204);
    expect((await fetch(url('delete-guarded'))).status).toBe(404);
  });

  it('a weak tag never satisfies If-Match', async () => {
    await put('weak', 'w');
    expect((await put('weak', 'w2', { 'if-match': `W/${etagOf('w')}` })).status).toBe(412);
  });
});

describe('conditional reads', () => {
  it('If-None-Match with the current ETag is 304 with the ETag and no body', async () => {
    await put('cached', 'cache me');
    const notModified = await fetch(url('cached'), { headers: { 'if-none-match': etagOf('cache me') } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etagOf('cache me'));
    expect(await notModified.text()).toBe('');

    const weak = await fetch(url('cached'), {
      method: 'HEAD',
      headers: { 'if-none-match': `W/${etagOf('cache me')}` },
    });
    expect(weak.status).toBe(304);

    const changed = await fetch(url('cached'), { headers: { 'if-none-match': etagOf('older') } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('cache me');
  });

  it('If-Modified-Since', async () => {
    await put('dated', 'd');
    const lastModified = (await fetch(url('dated'), { method: 'HEAD' })).headers.get('last-modified') ?? '';
    expect((await fetch(url('dated'), { headers: { 'if-modified-since': lastModified } })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await fetch(url('dated'), { headers: { 'if-modified-since': earlier } })).status).toBe(200);
  });
});

describe('ranges', () => {
  const digits = '0123456789';

  beforeAll(async () => {
    await put('digits', digits, { 'content-type': 'text/plain', 'x-rebase-kind': 'digits' });
  });

  it.each([
    ['bytes=0-3', '0123', 'bytes 0-3/10'],
    ['bytes=7-', '789', 'bytes 7-9/10'],
    ['bytes=-2', '89', 'bytes 8-9/10'],
    ['bytes=5-100', '56789', 'bytes 5-9/10'],
    ['bytes=-50', digits, 'bytes 0-9/10'],
    ['bytes=9-9', '9', 'bytes 9-9/10'],
  ])('%s is 206 with %j', async (range, body, contentRange) => {
    const response = await fetch(url('digits'), { headers: { range } });
    expect(response.status).toBe(206);
    expect(await response.text()).toBe(body);
    expect(response.headers.get('content-range')).toBe(contentRange);
    expect(response.headers.get('content-length')).toBe(String(body.length));
    expect(response.headers.get('x-rebase-kind')).toBe('digits');
    expect(response.headers.get('etag')).toBe(etagOf(digits));
  });

  it.each(['bytes=10-', 'bytes=10-12', 'bytes=-0'])(
    '%s is 416 with the size in Content-Range',
    async (range) => {
      const response = await fetch(url('digits'), { headers: { range } });
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe('bytes */10');
      expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    },
  );

  it.each(['bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=x-y'])(
    '%s is ignored: the whole blob',
    async (range) => {
      const response = await fetch(url('digits'), { headers: { range } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(digits);
    },
  );

  it('If-Range with another ETag sends the whole blob', async () => {
    const response = await fetch(url('digits'), {
      headers: { range: 'bytes=0-1', 'if-range': etagOf('old') },
    });
    expect(response.status).toBe(200);
    const current = await fetch(url('digits'), {
      headers: { range: 'bytes=0-1', 'if-range': etagOf(digits) },
    });
    expect(current.status).toBe(206);
  });

  it('serves ranges of a large blob streamed from disk', async () => {
    const large = Buffer.alloc(300_000);
    for (let index = 0; index < large.length; index += 1) large[index] = (index * 7) % 251;
    await fetch(url('large'), { method: 'PUT', body: large });
    const response = await fetch(url('large'), { headers: { range: 'bytes=100000-250000' } });
    expect(response.status).toBe(206);
    const range = Buffer.from(await response.arrayBuffer());
    expect(firstDifference(range, large.subarray(100_000, 250_001))).toBe(-1);
    expect(firstDifference(Buffer.from(await (await fetch(url('large'))).arrayBuffer()), large)).toBe(-1);
  });
});

describe('Content-MD5', () => {
  it('stores a body that matches', async () => {
    expect((await put('md5-ok', 'checked', { 'content-md5': md5Base64('checked') })).status).toBe(201);
  });

  it('refuses a body that does not match, keeping the previous version', async () => {
    await put('md5-keep', 'original');
    const response = await put('md5-keep', 'corrupted', { 'content-md5': md5Base64('intended') });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      detail: `Content-MD5 does not match the body (received body MD5 ${etagOf('corrupted').slice(1, -1)}); nothing was stored`,
    });
    expect(await (await fetch(url('md5-keep'))).text()).toBe('original');
    expect((await put('md5-new', 'x', { 'content-md5': md5Base64('y') })).status).toBe(400);
    expect((await fetch(url('md5-new'))).status).toBe(404);
  });

  it('refuses a Content-MD5 that is not a base64 MD5', async () => {
    const response = await put('md5-bad', 'x', { 'content-md5': 'abc' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      detail: 'Content-MD5 must be the base64 of a 16-byte MD5 digest, got "abc"',
    });
  });
});
