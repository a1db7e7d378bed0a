// `Expect: 100-continue` on a write: the node says `100 Continue` only once every check it can make from the
// headers has passed, so a refused upload is never sent; the refusal is the final answer and the connection is
// closed after it. node:http's client sends the headers, waits for 'continue' and only then the body.
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, scratchDir, startBlobServer, type RunningBlobServer } from './support/blob-server.js';

let server: RunningBlobServer;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('continue'), {
    MAX_LENGTH: 1000,
    MAX_DISK_QUOTA: 2000,
    MAX_BLOBS_IN_FOLDER: 1,
  });
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

interface Answer {
  status: number;
  /** whether the server said 100 Continue (and so the body was sent) */
  continued: boolean;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A write that sends its body only after 100 Continue, as a careful client (or the load balancer) does. */
function carefulWrite(
  method: 'PUT' | 'POST',
  id: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let continued = false;
    // Keep-alive, so a `Connection: close` in the answer is the server's choice.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const outgoing = request({
      host: '127.0.0.1',
      port: server.port,
      method,
      path: `/blobs/${id}`,
      agent,
      headers: { expect: '100-continue', 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
    outgoing.on('continue', () => {
      continued = true;
      outgoing.end(body);
    });
    outgoing.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, continued, headers: response.headers, body: text });
        if (!continued) outgoing.destroy(); // the body is not wanted: never send it
        agent.destroy();
      });
    });
    outgoing.on('error', reject);
    outgoing.flushHeaders();
  });
}

const read = async (id: string) => {
  const response = await fetch(`${server.url}/blobs/${id}`);
  return { status: response.status, text: await response.text() };
};

function idsInOneFolder(count: number): string[] {
  const byFolder = new Map<string, string[]>();
  for (let n = 0; ; n += 1) {
    const id = `c-${n}`;
    const folder = createHash('md5').update(id).digest('hex').slice(0, 3);
    const ids = [...(byFolder.get(folder) ?? []), id];
    if (ids.length === count) return ids;
    byFolder.set(folder, ids);
  }
}

describe('Expect: 100-continue on a write', () => {
  it('says 100 Continue for a good write, and stores the body it then receives', async () => {
    const answer = await carefulWrite('PUT', 'good', 'the body', { 'x-blob-version': '10' });
    expect(answer).toMatchObject({ status: 201, continued: true });
    expect(answer.headers.connection).not.toBe('close');
    expect(await read('good')).toEqual({ status: 200, text: 'the body' });
    expect((await carefulWrite('POST', 'good', 'by POST', { 'x-blob-version': '11' })).continued).toBe(true);
    expect(await read('good')).toEqual({ status: 200, text: 'by POST' });
  });

  it('refuses an older version with 409 and no 100: the body is never sent', async () => {
    const answer = await carefulWrite('PUT', 'good', 'stale body', { 'x-blob-version': '5' });
    expect(answer).toMatchObject({ status: 409, continued: false });
    expect(answer.headers['x-blob-version']).toBe('11');
    expect(answer.headers.connection).toBe('close');
    expect(await read('good')).toEqual({ status: 200, text: 'by POST' });
  });

  it('answers a retry of the stored version at once with 200, without asking for the body', async () => {
    const answer = await carefulWrite('PUT', 'good', 'by POST', { 'x-blob-version': '11' });
    expect(answer).toMatchObject({ status: 200, continued: false });
    expect(JSON.parse(answer.body)).toMatchObject({ id: 'good', size: 7 });
    expect(answer.headers['x-blob-version']).toBe('11');
    expect(answer.headers.connection).toBe('close');
  });

  it.each([
    ['413: over MAX_LENGTH', 'big', 'x'.repeat(1000), {}, 413],
    ['431: too many stored headers', 'headers', 'x', manyHeaders(21), 431],
    ['400: a version more than a day ahead', 'future', 'x', { 'x-blob-version': '9007199254740991' }, 400],
    ['400: a bad id', 'bad%20id', 'x', {}, 400],
    ['412: If-None-Match * on an existing blob', 'good', 'x', { 'if-none-match': '*' }, 412],
  ] as const)('refuses without a 100 — %s', async (_, id, body, headers, status) => {
    const answer = await carefulWrite('PUT', id, body, headers);
    expect(answer).toMatchObject({ status, continued: false });
    expect(answer.headers.connection).toBe('close');
  });

  it('refuses a write past the quota with 507 and no 100', async () => {
    expect((await carefulWrite('PUT', 'fill', 'x'.repeat(900))).status).toBe(201);
    expect((await carefulWrite('PUT', 'fill-2', 'x'.repeat(900))).status).toBe(201);
    const answer = await carefulWrite('PUT', 'over', 'x'.repeat(900));
    expect(answer).toMatchObject({ status: 507, continued: false });
    expect(JSON.parse(answer.body)).toMatchObject({
      detail: expect.stringContaining('MAX_DISK_QUOTA') as string,
    });
    expect((await read('over')).status).toBe(404);
    for (const id of ['fill', 'fill-2']) await fetch(`${server.url}/blobs/${id}`, { method: 'DELETE' });
  });

  it('refuses a write into a full folder with 507 and no 100', async () => {
    const [first, second] = idsInOneFolder(2) as [string, string];
    expect((await carefulWrite('PUT', first, 'a')).status).toBe(201);
    const answer = await carefulWrite('PUT', second, 'b');
    expect(answer).toMatchObject({ status: 507, continued: false });
    expect(JSON.parse(answer.body)).toMatchObject({
      detail: expect.stringContaining('MAX_BLOBS_IN_FOLDER') as string,
    });
  });

  it('still serves writes without Expect as before', async () => {
    const response = await fetch(`${server.url}/blobs/plain`, { method: 'PUT', body: 'plain' });
    expect(response.status).toBe(201);
    expect(await read('plain')).toEqual({ status: 200, text: 'plain' });
  });
});

function manyHeaders(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`x-rebase-h${index}`, 'v']));
}
