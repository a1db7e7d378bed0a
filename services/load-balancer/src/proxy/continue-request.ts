// One write (PUT or POST) to one node with `Expect: 100-continue`: http-proxy's ContinueUpload (no byte of the
// body before the node's `100 Continue`; an answer before or part-way through the body read whole, and the upload
// to that node stopped), with the balancer's rules on top:
// - `ready` and `done` never reject, and speak in nodes: a failure names the node and why it gave no answer.
// - Passive health and metrics as for every upstream request (node-request.ts): a failure counts as a failed
//   check at once, unless the client went away or the caller aborted, or it was a kept-alive connection that the
//   node closed just as it was reused (`staleConnection`: worth one more try).
import type { Writable } from 'node:stream';
import {
  ContinueUpload,
  failureKind,
  type ContinueFailure,
  type UpstreamResponse,
} from '@backend-rebase/http-proxy';
import { describeFailure } from '../cluster/health-checker.js';
import type { NodeContext, NodeRequest } from './node-request.js';
import type { Answer, NodeFailure } from './outcome.js';

export type Readiness =
  | { kind: 'continue' }
  | { kind: 'answered'; answer: Answer }
  | ({ kind: 'failed'; staleConnection?: true } & NodeFailure);

export type Completion = { kind: 'answered'; answer: Answer } | ({ kind: 'failed' } & NodeFailure);

export class ContinueRequest {
  readonly ready: Promise<Readiness>;
  readonly done: Promise<Completion>;
  private readonly upload: ContinueUpload | undefined;

  constructor(
    context: NodeContext,
    readonly node: string,
    request: NodeRequest,
  ) {
    const { registry, upstreams, metrics, timeoutMs } = context;
    const member = registry.get(node);
    if (!member) {
      const gone = { kind: 'failed', node, failure: 'unreachable', reason: 'no longer registered' } as const;
      this.ready = Promise.resolve(gone);
      this.done = Promise.resolve(gone);
      return;
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;

    const upload = new ContinueUpload({
      host: member.host,
      port: member.port,
      method: request.method,
      path: request.path,
      headers: request.headers,
      agent: upstreams.agentFor(member),
      signal: request.signal,
      timeoutMs,
      connectTimeoutMs: upstreams.connectTimeoutMs,
      onResponse: (response) => {
        metrics.upstream(node, response.statusCode ?? 0, seconds());
        response.once('error', (error) => {
          if (!upload.aborted && !request.signal.aborted) {
            registry.recordCheck(node, member.generation, describeFailure(error));
          }
        });
      },
    });
    this.upload = upload;

    // The early answer is the same for `ready` and `done`: one Answer, relayed or discarded once.
    const answers = new WeakMap<UpstreamResponse, Answer>();
    const answerOf = (response: UpstreamResponse): Answer => {
      const known = answers.get(response);
      if (known) return known;
      const { body } = response;
      const answer: Answer = {
        node,
        status: response.statusCode,
        headers: response.headers,
        body,
        discard: () => void body.resume(),
      };
      answers.set(response, answer);
      return answer;
    };
    let counted = false;
    const failureOf = (failed: ContinueFailure): NodeFailure => {
      switch (failed.cause) {
        case 'aborted':
          return { node, failure: 'broken', reason: 'aborted by the balancer' };
        case 'answer-unreadable':
          return { node, failure: 'broken', reason: 'its answer before the body was cut off or too large' };
        case 'no-answer':
          return { node, failure: 'broken', reason: 'closed without an answer' };
        case 'stale-connection':
          // The node is fine: a new connection will do.
          return { node, failure: 'broken', reason: describeFailure(failed.error) };
        case 'error': {
          const reason = describeFailure(failed.error);
          if (!counted) {
            counted = true;
            metrics.upstream(node, 'error', seconds());
            registry.recordCheck(node, member.generation, reason);
          }
          return { node, failure: failureKind(failed.error), reason };
        }
      }
    };

    this.ready = upload.ready.then((ready): Readiness => {
      if (ready.kind === 'continue') return ready;
      if (ready.kind === 'answered') return { kind: 'answered', answer: answerOf(ready.response) };
      return {
        kind: 'failed',
        ...failureOf(ready),
        ...(ready.cause === 'stale-connection' ? { staleConnection: true as const } : {}),
      };
    });
    this.done = upload.done.then((done): Completion =>
      done.kind === 'answered'
        ? { kind: 'answered', answer: answerOf(done.response) }
        : { kind: 'failed', ...failureOf(done) },
    );
  }

  /** Where the body goes once `ready` said continue. */
  get sink(): Writable | undefined {
    return this.upload?.sink;
  }

  /** Gives up on this node before or during the body; `ready` and `done` settle as failed. */
  abort(): void {
    this.upload?.abort();
  }
}
