// How the answers of a write's or a delete's targets become the one answer the client gets, and what the cluster
// is told about them. Guarantees:
// - Success only when at least `quorum` distinct nodes (one per slot, see targets.ts) answered 2xx. A write's
//   status is 201 when every success was 201, else 200; the answer relayed is the first slot's (ring order).
// - The same 4xx from every node that refused (400, 411, 412, 413, 431, 507…) is relayed unchanged: the
//   request itself is at fault, and retrying it elsewhere would not help. A 409 never is (it is not in the
//   client's contract): a version conflict left after the retries is a 503 saying a newer change won.
// - Anything else is a 502/503/504 naming every node and what it did, and saying the change may or may not have
//   been stored and that retrying is safe (versions make every retry idempotent).
// - Whenever a change may have reached some node (one stored it, or one gave no answer after it was sent), every
//   owner that does not hold it now (skipped as unhealthy, failed, or replaced) is reported to the registry as
//   having missed a write, and every stand-in that stored it is reported to the rebalancer as holding a handoff.
//   A change every node refused was applied nowhere: nobody is behind.
// - Every body not relayed is discarded.
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { RebalanceControl } from '../rebalance/cluster-view.js';
import {
  describeFailures,
  isRefusal,
  statusFor,
  type Answer,
  type FailureKind,
  type NodeFailure,
  type Outcome,
} from './outcome.js';

export interface SlotResult {
  owner: string;
  /** the final answer of the node filling the slot last, if it gave one */
  answer: Answer | undefined;
  /** the nodes that failed in this slot before (and instead of) an answer */
  failures: NodeFailure[];
  /** the node said 100 Continue but was not sent the body, because too few others could take the write */
  willing?: string;
}

export interface QuorumContext {
  registry: Pick<NodeRegistry, 'missedWrite'>;
  rebalance: Pick<RebalanceControl, 'noteHandoff'>;
}

export interface QuorumRequest {
  id: string;
  kind: 'write' | 'delete';
  quorum: number;
  /** a node that gave no answer may still have applied the change (a body was streamed, or a delete was sent) */
  maybeApplied: boolean;
}

const ok = (answer: Answer | undefined): answer is Answer =>
  answer !== undefined && answer.status >= 200 && answer.status < 300;
const refused = (answer: Answer | undefined): answer is Answer => answer !== undefined && !ok(answer);

export function settleQuorum(context: QuorumContext, request: QuorumRequest, results: SlotResult[]): Outcome {
  const successes = results.flatMap(({ answer }) => (ok(answer) ? [answer] : []));
  // A node that refused applied nothing; one that gave no answer after the change was sent may have.
  const unknown = results.some(({ answer, failures }) => !answer && failures.length > 0);
  if (successes.length > 0 || (request.maybeApplied && unknown)) {
    for (const { owner, answer } of results) {
      if (!ok(answer)) context.registry.missedWrite(owner);
      else if (answer.node !== owner) {
        context.registry.missedWrite(owner);
        context.rebalance.noteHandoff(request.id, answer.node);
      }
    }
  }

  const relay = (answer: Answer, status = answer.status): Outcome => {
    for (const { answer: other } of results) if (other && other !== answer) other.discard();
    return { kind: 'answered', answer: { ...answer, status } };
  };

  const [first] = successes;
  if (first && successes.length >= request.quorum) {
    const status =
      request.kind === 'write'
        ? successes.every((answer) => answer.status === 201)
          ? 201
          : 200
        : first.status;
    return relay(first, status);
  }

  // A 409 is not the client's to see: it says a newer write or delete of the id reached the node meanwhile (the
  // balancer has restamped as often as it may), and another try is stamped above it.
  const conflicted = results.flatMap(({ answer }) => (answer?.status === 409 ? [answer.node] : []));
  if (conflicted.length > 0) {
    for (const { answer } of results) answer?.discard();
    return {
      kind: 'failed',
      status: 503,
      detail:
        `a newer write or delete of ${JSON.stringify(request.id)} reached ${conflicted.join(', ')} while this ` +
        `${request.kind} was in flight (X-Blob-Version conflict); it may or may not have been ` +
        `${request.kind === 'write' ? 'stored' : 'applied'}, and the newer one wins: retrying it is safe`,
    };
  }

  const refusals = results.flatMap(({ answer }) => (refused(answer) ? [answer] : []));
  const [refusal] = refusals;
  const unanswered = results.filter(
    (result) => !result.answer && !result.willing && result.failures.length > 0,
  );
  if (
    refusal &&
    successes.length === 0 &&
    unanswered.length === 0 &&
    isRefusal(refusal.status) &&
    refusals.every((answer) => answer.status === refusal.status)
  ) {
    return relay(refusal);
  }

  for (const { answer } of results) answer?.discard();
  return {
    kind: 'failed',
    status: statusFor(failureKinds(results)),
    detail: failureDetail(request, results, successes.length),
  };
}

function failureKinds(results: SlotResult[]): FailureKind[] {
  return results.flatMap((result): FailureKind[] => {
    if (ok(result.answer) || result.willing) return [];
    if (result.answer) return ['broken'];
    const last = result.failures.at(-1);
    return [last ? last.failure : 'unreachable'];
  });
}

function failureDetail(request: QuorumRequest, results: SlotResult[], stored: number): string {
  const what = request.kind === 'write' ? 'write' : 'delete';
  const parts = results.map((result) => {
    const tried = describeFailures(result.failures);
    const last = result.answer
      ? `${result.answer.node} answered ${result.answer.status}`
      : result.willing
        ? `${result.willing} was ready but not sent the body`
        : result.failures.length > 0
          ? ''
          : 'no healthy node left to take it';
    return `owner ${result.owner}: ${[tried, last].filter(Boolean).join('; ')}`;
  });
  const applied = request.kind === 'write' ? 'stored' : 'applied';
  return (
    `the ${what} of ${JSON.stringify(request.id)} reached ${stored} of the ${request.quorum} nodes WRITE_QUORUM ` +
    `asks for (${parts.join(' | ')}); it may or may not have been ${applied}: retrying it is safe`
  );
}
