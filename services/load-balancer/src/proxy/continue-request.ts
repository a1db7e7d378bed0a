// One write (PUT or POST) to one node with `Expect: 100-continue`, through node:http (undici refuses to send
// that header). Guarantees:
// - No byte of the body is sent before the node has answered `100 Continue`: `ready` says whether it did, or
//   answered at once (a refusal such as 409, 413, 507, whose small body is read here so the answer can be relayed
//   after the connection is gone), or could not be reached, or was too slow.
// - After `ready` said continue, the caller writes the body to `sink` (and ends it) or calls abort(); `done` then
//   settles with the node's final answer, whose body stream is the caller's to relay or discard. A final answer
//   that comes while the body is still being written (a refusal part-way) stops the upload to that node: its
//   small body is read, and the sink is destroyed, so no more of the body is sent there.
// - Neither promise rejects. Passive health and metrics as for every upstream request (node-request.ts): a
//   failure counts as a failed check at once, unless the client went away or the caller aborted, or it was a
//   kept-alive connection that the node closed just as it was reused (`staleConnection`: worth one more try).
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Readable, type Writable } from 'node:stream';
import { describeFailure } from '../cluster/health-checker.js';
import type { NodeContext, NodeRequest } from './node-request.js';
import { failureKind, type Answer, type NodeFailure } from './outcome.js';

export type Readiness =
  | { kind: 'continue' }
  | { kind: 'answered'; answer: Answer }
  | ({ kind: 'failed'; staleConnection?: true } & NodeFailure);

export type Completion = { kind: 'answered'; answer: Answer } | ({ kind: 'failed' } & NodeFailure);

/** A refusal's body is a small problem+json; anything larger is not a refusal this proxy understands. */
const MAX_EARLY_BODY = 64 * 1024;

export class ContinueRequest {
  readonly ready: Promise<Readiness>;
  readonly done: Promise<Completion>;
  private readonly request: ClientRequest | undefined;
  private aborted = false;

  constructor(
    private readonly context: NodeContext,
    readonly node: string,
    request: NodeRequest,
  ) {
    let settleReady!: (readiness: Readiness) => void;
    let settleDone!: (completion: Completion) => void;
    this.ready = new Promise((resolve) => (settleReady = resolve));
    this.done = new Promise((resolve) => (settleDone = resolve));
    const fail = (failure: NodeFailure): void => {
      settleReady({ kind: 'failed', ...failure });
      settleDone({ kind: 'failed', ...failure });
    };

    const { registry, upstreams, metrics, timeoutMs } = context;
    const member = registry.get(node);
    if (!member) {
      fail({ node, failure: 'unreachable', reason: 'no longer registered' });
      return;
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let continued = false;
    let answered = false;

    const sent = httpRequest({
      host: member.host,
      port: member.port,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, expect: '100-continue' },
      agent: upstreams.agentFor(member),
      timeout: timeoutMs,
      signal: request.signal,
    });
    this.request = sent;

    sent.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        sent.destroy(
          codedError('UND_ERR_CONNECT_TIMEOUT', `no connection within ${upstreams.connectTimeoutMs} ms`),
        );
      }, upstreams.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    sent.on('timeout', () => {
      sent.destroy(codedError('ETIMEDOUT', `no answer within UPSTREAM_TIMEOUT_MS (${timeoutMs} ms)`));
    });
    sent.on('continue', () => {
      continued = true;
      settleReady({ kind: 'continue' });
    });
    sent.on('response', (response: IncomingMessage) => {
      answered = true;
      metrics.upstream(node, response.statusCode ?? 0, seconds());
      response.once('error', (error) => {
        if (!this.aborted && !request.signal.aborted) {
          registry.recordCheck(node, member.generation, describeFailure(error));
        }
      });
      if (continued && sent.writableEnded) {
        settleDone({ kind: 'answered', answer: answerOf(node, response, response, () => response.resume()) });
        return;
      }
      // Answered before the body, or part-way through it (the node ran out of space, or refused what it got):
      // the node will not use the rest, so none is sent; destroying the request drops it from the fan-out,
      // which goes on with the other nodes (or, with none left, leaves the client's body unread).
      void readSmall(response).then((bytes) => {
        sent.destroy();
        if (bytes === undefined) {
          fail({ node, failure: 'broken', reason: 'its answer before the body was cut off or too large' });
          return;
        }
        const body = Readable.from([bytes]);
        const answer = answerOf(node, response, body, () => body.resume());
        settleReady({ kind: 'answered', answer });
        settleDone({ kind: 'answered', answer });
      });
    });
    sent.on('error', (error) => {
      if (answered) return; // the answer's own stream reports what happens to it
      if (this.aborted || request.signal.aborted) {
        fail({ node, failure: 'broken', reason: 'aborted by the balancer' });
        return;
      }
      const reason = describeFailure(error);
      if (sent.reusedSocket && !continued && (error as { code?: unknown }).code === 'ECONNRESET') {
        // A kept-alive connection the node closed as it was reused: the node is fine, a new connection will do.
        settleReady({ kind: 'failed', node, failure: 'broken', reason, staleConnection: true });
        settleDone({ kind: 'failed', node, failure: 'broken', reason });
        return;
      }
      metrics.upstream(node, 'error', seconds());
      registry.recordCheck(node, member.generation, reason);
      fail({ node, failure: failureKind(error), reason });
    });
    // Destroyed without an error (an abort): nothing else would settle the promises.
    sent.on('close', () => {
      if (!answered) fail({ node, failure: 'broken', reason: 'closed without an answer' });
    });
  }

  /** Where the body goes once `ready` said continue. */
  get sink(): Writable | undefined {
    return this.request;
  }

  /** Gives up on this node before or during the body; `ready` and `done` settle as failed. */
  abort(): void {
    this.aborted = true;
    this.request?.destroy();
  }
}

function answerOf(node: string, response: IncomingMessage, body: Readable, discard: () => void): Answer {
  return { node, status: response.statusCode ?? 0, headers: response.headers, body, discard };
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

async function readSmall(response: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_EARLY_BODY) return undefined;
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  } catch {
    return undefined;
  }
}
