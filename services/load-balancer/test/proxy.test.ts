// The proxy against a stand-in node that records what reaches it: which headers cross the balancer in each
// direction, that the path upstream is always exactly /blobs/<id>, that writes are stamped with increasing
// versions, that an upload streams through (the node sees its first bytes before the client has sent the
// rest), the 405 for methods outside the contract, and `Expect: 100-continue` from the client: its 100 comes only
// once every node said 100, so a refusal reaches a client that never sent its body.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, startFakeNode, storeAnything, type FakeNode } from './support/fake-nodes.js';
import {
  eventually,
  listNodes,
  register,
  startBalancer,
  startRecordingNode,
  type RecordedRequest,
  type RecordingNode,
  type RunningBalancer,
} from './support/cluster.js';

let balancer: RunningBalancer;
let node: RecordingNode;

beforeAll(async () => {
  [balancer, node] = await Promise.all([startBalancer(), startRecordingNode()]);
  expect((await register(balancer.url, 'only', '127.0.0.1', node.port)).status).toBe(201);
});
afterAll(async () => {
  await balancer.close();
  await node.close();
});

describe('headers through the balancer', () => {
  it('forwards end-to-end headers and x-request-id, and drops hop-by-hop ones both ways', async () => {
    // node:http, not fetch: fetch refuses to send hop-by-hop headers at all.
    const response = await plainRequest(`${balancer.url}/blobs/h1?x=1`, {
      'x-request-id': 'req-123',
      'x-rebase-owner': 'ada',
      'if-none-match': '"abc"',
      range: 'bytes=0-1',
      'keep-alive': 'timeout=1',
      'x-drop-me': '1',
      connection: 'keep-alive, x-drop-me',
      'proxy-authorization': 'Basic eA==',
    });
    expect(response.status).toBe(200);
    const seen = JSON.parse(response.body) as RecordedRequest;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/blobs/h1?x=1');
    expect(seen.headers).toMatchObject({
      'x-request-id': 'req-123',
      'x-rebase-owner': 'ada',
      'if-none-match': '"abc"',
      range: 'bytes=0-1',
      host: `127.0.0.1:${node.port}`,
    });
    for (const dropped of ['x-drop-me', 'proxy-authorization', 'x-blob-version']) {
      expect(seen.headers[dropped], dropped).toBeUndefined();
    }
    expect(seen.headers['keep-alive']).not.toBe('timeout=1');

    expect(response.headers['x-served-by']).toBe('only');
    expect(response.headers['x-request-id']).toBe('req-123');
    expect(response.headers['x-rebase-echo']).toBe('yes');
    expect(response.headers['x-private']).toBeUndefined();
    expect(response.headers['keep-alive']).not.toBe('timeout=5');
  });

  it('stamps writes and deletes with increasing versions, replacing any the client sent', async () => {
    const versions: number[] = [];
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const response = await fetch(`${balancer.url}/blobs/v1`, {
        method,
        headers: { 'x-blob-version': '1' },
        ...(method === 'DELETE' ? {} : { body: 'abc' }),
      });
      const seen = (await response.json()) as RecordedRequest;
      expect(seen.method).toBe(method);
      versions.push(Number(seen.headers['x-blob-version']));
    }
    expect(versions[0]).toBeGreaterThan(Date.now() * 1000 - 60e6);
    expect(versions[1]).toBeGreaterThan(versions[0] as number);
    expect(versions[2]).toBeGreaterThan(versions[1] as number);
  });
});

describe('paths', () => {
  it.each([
    ['an encoded slash', '/blobs/a%2Fb'],
    ['an encoded ..', '/blobs/%2E%2E'],
    ['..', '/blobs/..'],
    ['two segments', '/blobs/a/b'],
    ['an empty id', '/blobs/'],
    ['a traversal', '/blobs/..%2F..%2Fetc%2Fpasswd'],
    ['a backslash', '/blobs/a%5Cb'],
  ])('answers %s with 400 and never sends it upstream', async (_what, path) => {
    const before = node.requests.length;
    const status = await rawStatus(balancer.port, `GET ${path} HTTP/1.1`);
    expect(status).toBe(400);
    expect(node.requests.length).toBe(before);
  });

  it('answers methods outside the contract with 405 and Allow', async () => {
    const response = await fetch(`${balancer.url}/blobs/x`, { method: 'PATCH', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST, PUT, DELETE');
  });
});

describe('streaming', () => {
  it('passes an upload on while the client is still sending it', async () => {
    const half = Buffer.alloc(256 * 1024, 7);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const upload = httpRequest(
        `${balancer.url}/blobs/streamed`,
        { method: 'PUT', headers: { 'content-length': String(half.length * 2) } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      upload.on('error', reject);
      upload.write(half);
      // The second half is sent only once the node has seen bytes of the first: a buffering proxy would wait
      // for the whole body first, and this test would time out.
      void node.bodyArrived(1).then(() => upload.end(half));
    });
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect((JSON.parse(body) as RecordedRequest).received).toBe(half.length * 2);
  });
});

describe('Expect: 100-continue from the client', () => {
  let twoNodes: RunningBalancer;
  let nodes: FakeNode[];

  beforeAll(async () => {
    nodes = await Promise.all(['e1', 'e2'].map((name) => startFakeNode(name)));
    twoNodes = await startBalancer({ REPLICATION_FACTOR: 2, WRITE_QUORUM: 2 });
    for (const fake of nodes) {
      expect((await register(twoNodes.url, fake.name, '127.0.0.1', fake.port)).status).toBe(201);
    }
    await eventually(
      async () => ((await listNodes(twoNodes.url)).every((n) => n.status === 'healthy') ? true : undefined),
      10_000,
      'both nodes healthy',
    );
  });
  afterAll(async () => {
    await twoNodes.close();
    await Promise.all(nodes.map((fake) => fake.close()));
  });

  it('relays the refusal both nodes gave before the body, and the client never sends it', async () => {
    for (const fake of nodes) {
      fake.handle = ({ response }) => answer(response, 507, { title: 'Insufficient Storage' });
    }
    const result = await expectingPut(`${twoNodes.url}/blobs/refused`, Buffer.alloc(100_000, 1));
    expect(result).toMatchObject({ status: 507, continued: false });
    expect(result.headers.connection).toBe('close');
    for (const fake of nodes) expect(fake.seen.at(-1)?.body.length).toBe(0);
  });

  it('sends the client its 100 once both nodes said 100, and stores the body on both', async () => {
    for (const fake of nodes) fake.handle = storeAnything;
    const body = Buffer.alloc(100_000, 2);
    const result = await expectingPut(`${twoNodes.url}/blobs/accepted`, body);
    expect(result).toMatchObject({ status: 201, continued: true });
    for (const fake of nodes) expect(fake.seen.at(-1)?.body.equals(body)).toBe(true);
  });
});

/** A PUT that sends `Expect: 100-continue` and its body only after a 100 (never, if the answer comes first). */
async function expectingPut(
  url: string,
  body: Buffer,
): Promise<{ status: number; continued: boolean; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const sent = httpRequest(
      url,
      {
        method: 'PUT',
        agent: false,
        headers: { 'content-length': String(body.length), expect: '100-continue' },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          sent.destroy();
          resolve({ status: response.statusCode ?? 0, continued, headers: response.headers });
        });
      },
    );
    sent.on('continue', () => {
      continued = true;
      sent.end(body);
    });
    sent.on('error', reject);
  });
}

/** A GET with node:http, which sends whatever headers it is given. */
async function plainRequest(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** The status of a request sent as raw bytes (fetch would normalize the path). */
async function rawStatus(port: number, requestLine: string): Promise<number> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}
