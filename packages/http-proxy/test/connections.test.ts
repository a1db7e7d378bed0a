// The connections to upstreams: one agent per upstream and address, and dropping one closes its idle sockets
// without cutting off a request in flight.
import { request as httpRequest, type Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpAgents } from '../src/index.js';
import { answerText, startUpstream, type TestUpstream } from './support/upstream.js';

let upstream: TestUpstream | undefined;
const agents = new HttpAgents(2);
afterEach(async () => {
  agents.closeAll();
  await upstream?.close();
  upstream = undefined;
});

function get(agent: Agent, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    });
    sent.on('error', reject);
    sent.end();
  });
}

const idleSockets = (agent: Agent) => Object.values(agent.freeSockets).flatMap((sockets) => sockets ?? []);

describe('HttpAgents', () => {
  it('keeps one agent per upstream, and a fresh one when the upstream moves', () => {
    const first = agents.agentFor('a', '127.0.0.1:1');
    expect(agents.agentFor('a', '127.0.0.1:1')).toBe(first);
    expect(agents.agentFor('b', '127.0.0.1:1')).not.toBe(first);
    expect(agents.agentFor('a', '127.0.0.1:2')).not.toBe(first);
  });

  it('keeps connections alive, and closes the idle ones when the upstream is dropped', async () => {
    upstream = await startUpstream(answerText(200, 'ok'));
    const agent = agents.agentFor('a', `127.0.0.1:${upstream.port}`);
    expect(await get(agent, upstream.port)).toBe('ok');
    await new Promise((resolve) => setImmediate(resolve));
    const idle = idleSockets(agent);
    expect(idle).toHaveLength(1);
    agents.drop('a');
    expect(idle.every((socket) => socket.destroyed)).toBe(true);
  });

  it('lets a request in flight on a dropped upstream finish', async () => {
    let answer!: () => void;
    upstream = await startUpstream((request, response) => {
      request.resume();
      answer = () => response.end('late');
    });
    const agent = agents.agentFor('a', `127.0.0.1:${upstream.port}`);
    const inFlight = get(agent, upstream.port);
    while (upstream.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    agents.drop('a');
    answer();
    expect(await inFlight).toBe('late');
  });
});
