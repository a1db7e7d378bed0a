// Every limit of the contract just under and just over, answered with its status code and a problem naming the
// limit and the value seen; the header-checked ones without the body ever being sent.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawRequest,
  removeDir,
  scratchDir,
  startBlobServer,
  type RunningBlobServer,
} from './support/blob-server.js';

let server: RunningBlobServer;
const LIMITS = {
  MAX_LENGTH: 1000,
  MAX_HEADER_COUNT: 3,
  MAX_HEADER_LENGTH: 60,
  MAX_ID_LENGTH: 20,
  MAX_DISK_QUOTA: 5000,
  MAX_BLOBS_IN_FOLDER: 2,
};
// Content-Type is a stored header: 12 + 24 bytes when the request sends none.
const DEFAULT_TYPE_BYTES = 36;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('limits'), LIMITS);
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const url = (id: string) => `${server.url}/blobs/${id}`;

async function put(id: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const response = await fetch(url(id), { method: 'PUT', body, headers });
  const text = await response.text();
  return {
    status: response.status,
    detail: response.ok ? undefined : (JSON.parse(text) as { detail: string }).detail,
  };
}

/** `count` ids that share one storage folder (found by the birthday paradox: a few thousand tries). */
function idsInOneFolder(count: number, prefix = 'f'): string[] {
  const byFolder = new Map<string, string[]>();
  for (let n = 0; ; n += 1) {
    const id = `${prefix}-${n}`;
    const folder = createHash('md5').update(id).digest('hex').slice(0, 3);
    const ids = [...(byFolder.get(folder) ?? []), id];
    if (ids.length === count) return ids;
    byFolder.set(folder, ids);
  }
}

describe('limits', () => {
  it('MAX_LENGTH counts body and stored-header bytes', async () => {
    const underBody = LIMITS.MAX_LENGTH - DEFAULT_TYPE_BYTES - 'x-rebase-a'.length - 1;
    expect((await put('len-ok', new Uint8Array(underBody), { 'x-rebase-a': 'b' })).status).toBe(201);
    expect(await put('len-over', new Uint8Array(underBody + 1), { 'x-rebase-a': 'b' })).toEqual({
      status: 413,
      detail: `the blob is 1001 bytes (body ${underBody + 1} + stored headers ${DEFAULT_TYPE_BYTES + 11}); MAX_LENGTH is 1000`,
    });
  });

  it('MAX_HEADER_COUNT counts Content-Type and every x-rebase-* header', async () => {
    const two = { 'x-rebase-a': '1', 'x-rebase-b': '2' };
    expect((await put('count-ok', 'x', two)).status).toBe(201);
    expect(await put('count-over', 'x', { ...two, 'x-rebase-c': '3' })).toEqual({
      status: 431,
      detail: 'the request has 4 stored headers (Content-Type and x-rebase-*); MAX_HEADER_COUNT is 3',
    });
  });

  it('MAX_HEADER_LENGTH is name plus value', async () => {
    const name = 'x-rebase-note';
    expect((await put('hlen-ok', 'x', { [name]: 'v'.repeat(60 - name.length) })).status).toBe(201);
    expect(await put('hlen-over', 'x', { [name]: 'v'.repeat(61 - name.length) })).toEqual({
      status: 431,
      detail: 'the stored header x-rebase-note is 61 characters (name + value); MAX_HEADER_LENGTH is 60',
    });
  });

  it('MAX_ID_LENGTH', async () => {
    expect((await put('i'.repeat(20), 'x')).status).toBe(201);
    expect(await put('i'.repeat(21), 'x')).toEqual({
      status: 400,
      detail: 'the blob id is 21 characters long; MAX_ID_LENGTH is 20',
    });
  });

  it('MAX_BLOBS_IN_FOLDER holds when writers of one new id race (each reserves a slot, one file results)', async () => {
    const [racing, second, third] = idsInOneFolder(3, 'race') as [string, string, string];
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async (_, index) => (await put(racing, `writer ${index}`)).status),
    );
    expect(statuses.sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect((await put(second, 'fits: the folder holds one file')).status).toBe(201);
    expect((await put(third, 'does not fit')).status).toBe(507);
  });

  it('MAX_BLOBS_IN_FOLDER', async () => {
    const [first, second, third] = idsInOneFolder(3) as [string, string, string];
    expect((await put(first, 'a')).status).toBe(201);
    expect((await put(second, 'b')).status).toBe(201);
    expect((await put(first, 'replacing adds no file')).status).toBe(200);
    const refused = await put(third, 'c');
    expect(refused.status).toBe(507);
    expect(refused.detail).toContain('MAX_BLOBS_IN_FOLDER is 2');
  });

  it('answers 413 and 431 from the headers alone, before any body byte is sent', async () => {
    for (const [headers, status] of [
      ['Content-Length: 5000', 413],
      ['Content-Length: 5\r\nx-rebase-1: a\r\nx-rebase-2: b\r\nx-rebase-3: c', 431],
    ] as const) {
      const response = await rawRequest(server.port, `PUT /blobs/early HTTP/1.1\r\nHost: x\r\n${headers}`);
      expect(response?.status).toBe(status);
      expect(response?.headers.connection).toBe('close');
    }
  });

  it('answers 411 to an upload without Content-Length', async () => {
    const response = await rawRequest(
      server.port,
      'PUT /blobs/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked',
      '5\r\nhello\r\n0\r\n\r\n',
    );
    expect(response?.status).toBe(411);
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({
      detail: 'a Content-Length header is required: uploads of unknown length (chunked) are refused',
    });
  });

  it('refuses stored header values that are not ASCII', async () => {
    const response = await rawRequest(
      server.port,
      'PUT /blobs/latin HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nx-rebase-name: caf\xe9',
      'x',
    );
    expect(response?.status).toBe(400);
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({
      detail: 'the value of the stored header x-rebase-name must be printable ASCII',
    });
  });
});

describe('MAX_DISK_QUOTA', () => {
  let small: RunningBlobServer;
  const put = async (id: string, bytes: number) => {
    const response = await fetch(`${small.url}/blobs/${id}`, {
      method: 'PUT',
      body: new Uint8Array(bytes - DEFAULT_TYPE_BYTES),
    });
    const text = await response.text();
    return {
      status: response.status,
      detail: response.ok ? undefined : (JSON.parse(text) as { detail: string }).detail,
    };
  };

  beforeAll(async () => {
    small = await startBlobServer(await scratchDir('quota'), { MAX_LENGTH: 1000, MAX_DISK_QUOTA: 2500 });
  });

  afterAll(async () => {
    await small.close();
    await removeDir(small.dataDir);
  });

  it('fills exactly, refuses a byte more, and credits a replaced blob', async () => {
    expect((await put('q-1', 1000)).status).toBe(201);
    expect((await put('q-2', 1000)).status).toBe(201);
    expect((await put('q-3', 500)).status).toBe(201);

    expect(await put('q-4', 37)).toEqual({
      status: 507,
      detail:
        'storing 37 bytes would take usage past MAX_DISK_QUOTA: 2500 of 2500 bytes are in use or reserved',
    });
    expect((await put('q-3', 500)).status).toBe(200);
    expect((await put('q-3', 501)).status).toBe(507);
    expect(await (await fetch(`${small.url}/metrics`)).text()).toMatch(/^blob_bytes_used 2500$/m);
  });

  it('answers 507 from the headers alone', async () => {
    const response = await rawRequest(
      small.port,
      'PUT /blobs/early HTTP/1.1\r\nHost: x\r\nContent-Length: 900',
    );
    expect(response?.status).toBe(507);
    expect(response?.headers.connection).toBe('close');
  });

  it('frees the space of a deleted blob', async () => {
    expect((await fetch(`${small.url}/blobs/q-1`, { method: 'DELETE' })).status).toBe(204);
    expect((await put('q-4', 1000)).status).toBe(201);
  });
});

describe('ids', () => {
  // DATA_DIR is <scratch>/data; a canary file sits beside it, in <scratch>, where a traversal would land.
  let scratch: string;
  let guarded: RunningBlobServer;
  const CANARY = 'canary.txt';
  const up = (depth: number, separator: string) => Array.from({ length: depth }, () => '..').join(separator);
  const attempts = [
    '..',
    '.',
    '%2e%2e',
    '%2E%2E',
    '..%2F..%2Fetc%2Fpasswd',
    'a%2Fb',
    'a%5Cb',
    'a%00b',
    'a%20b',
    'caf%C3%A9',
    'x'.repeat(21),
    ...[1, 2, 3, 4, 5].flatMap((depth) => [
      `${up(depth, '%2F')}%2F${CANARY}`,
      `${up(depth, '%2f').replaceAll('..', '%2e%2e')}%2f${CANARY}`,
      `${up(depth, '%5C')}%5C${CANARY}`,
      `${up(depth, '/')}/${CANARY}`,
      `${up(depth, '\\')}\\${CANARY}`,
      `${up(depth, '/')}/${CANARY}%00`,
    ]),
  ];

  beforeAll(async () => {
    scratch = await scratchDir('traversal');
    await writeFile(path.join(scratch, CANARY), 'keep me');
    guarded = await startBlobServer(path.join(scratch, 'data'), LIMITS);
  });

  afterAll(async () => {
    await guarded.close();
    await removeDir(scratch);
  });

  it.each(['GET', 'HEAD', 'DELETE', 'POST', 'PUT'])(
    'refuses traversal attempts on %s with 400, and the canary outside DATA_DIR is untouched',
    async (method) => {
      for (const attempt of attempts) {
        const response = await rawRequest(
          guarded.port,
          `${method} /blobs/${attempt} HTTP/1.1\r\nHost: x\r\nContent-Length: 4`,
          'evil',
        );
        expect([attempt, response?.status]).toEqual([attempt, 400]);
      }
      expect(await readFile(path.join(scratch, CANARY), 'utf8')).toBe('keep me');
      expect((await readdir(scratch)).sort()).toEqual([CANARY, 'data']);
      const { data } = (await (await fetch(`${guarded.url}/internal/blobs`)).json()) as { data: unknown[] };
      expect(data).toEqual([]);
    },
  );

  it('accepts every allowed character', async () => {
    const id = 'AZaz09._-';
    expect((await put(id, 'ok')).status).toBe(201);
    expect(await (await fetch(url(id))).text()).toBe('ok');
    expect((await put('.hidden', 'ok')).status).toBe(201);
  });

  it('validates the listing cursor like an id', async () => {
    const response = await fetch(`${server.url}/internal/blobs?cursor=..%2Fx`);
    expect(response.status).toBe(400);
  });
});
