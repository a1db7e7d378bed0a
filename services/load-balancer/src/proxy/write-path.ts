// A write (PUT or POST) of one blob to its R targets (targets.ts), streamed once from the client to all of them.
// Guarantees:
// - The client's body is not read until every target has answered `100 Continue` or a final status, so a refusal
//   or a version conflict costs no upload and leaves the body intact for a retry.
// - A target that cannot be reached, is too slow, or answers 5xx (but 507, a full node) before the body starts
//   is replaced by the next healthy stand-in that is not already a target.
// - A 409 from any target (it holds a newer version) is observed by the clock, counted, and the write is
//   restamped above it and tried again with the body still unread, at most MAX_ATTEMPTS times in all (after
//   that, a 503: quorum.ts).
// - The body is then teed to every target that said 100 Continue (fan-out.ts: the slowest sets the pace, a target
//   that fails mid-stream is dropped), never held whole. How the answers become one is quorum.ts's.
// - Every version a node answers with is observed by the clock.
// - The client going away aborts every request to the nodes; no target is left with a truncated body.
import type { Readable } from 'node:stream';
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import type { Placement } from '../cluster/placement.js';
import type { RebalanceControl } from '../rebalance/cluster-view.js';
import { ContinueRequest } from './continue-request.js';
import { fanOut } from './fan-out.js';
import type { NodeContext, NodeRequest } from './node-request.js';
import { isRefusal, versionOf, type Answer, type NodeFailure, type Outcome } from './outcome.js';
import { settleQuorum, type SlotResult } from './quorum.js';
import { Targets, type Slot } from './targets.js';
import type { VersionClock } from './version-clock.js';

/** Tries of one write or delete when nodes keep answering 409 (each try is stamped above what they hold). */
export const MAX_ATTEMPTS = 3;

export interface ChangeContext extends NodeContext {
  clock: Pick<VersionClock, 'next' | 'observe'>;
  writeQuorum: number;
  rebalance: Pick<RebalanceControl, 'noteHandoff'>;
}

/** A slot after the headers went out: a node waiting for the body, a node's early answer, or nothing. */
interface Prepared {
  slot: Slot;
  sending: ContinueRequest | undefined;
  answer: Answer | undefined;
  failures: NodeFailure[];
}

export async function proxyWrite(
  context: ChangeContext,
  id: string,
  placement: Placement,
  request: NodeRequest & { body: Readable; beforeBody?: () => void },
): Promise<Outcome> {
  const quorum = Math.min(context.writeQuorum, placement.owners.length);
  for (let attempt = 1; ; attempt += 1) {
    const targets = new Targets(placement);
    if (targets.filled < Math.max(quorum, 1)) return tooFewNodes(id, placement, quorum, targets.filled);
    const headers = { ...request.headers, [BLOB_VERSION_HEADER]: String(context.clock.next()) };
    const prepared = await Promise.all(
      targets.slots.map((slot) => prepare(context, targets, slot, { ...request, headers })),
    );
    const answers = prepared.flatMap(({ answer }) => (answer ? [answer] : []));
    observeVersions(context, answers);
    const waiting = prepared.filter((entry) => entry.sending !== undefined);
    const abortWaiting = () => {
      for (const entry of waiting) entry.sending?.abort();
    };

    if (request.signal.aborted) {
      abortWaiting();
      for (const answer of answers) answer.discard();
      return { kind: 'client-gone' };
    }
    const conflict = answers.some((answer) => answer.status === 409);
    if (conflict) {
      context.metrics.versionConflict();
      if (attempt < MAX_ATTEMPTS) {
        abortWaiting();
        for (const answer of answers) answer.discard();
        continue;
      }
    }

    const earlySuccesses = answers.filter((answer) => answer.status >= 200 && answer.status < 300).length;
    if (conflict || waiting.length + earlySuccesses < quorum) {
      // Not worth the upload: the body stays unread, and the answer says why.
      abortWaiting();
      return settleQuorum(
        context,
        { id, kind: 'write', quorum, maybeApplied: earlySuccesses > 0 },
        prepared.map((entry) => ({
          owner: entry.slot.owner,
          answer: entry.answer,
          failures: entry.failures,
          ...(entry.sending ? { willing: entry.sending.node } : {}),
        })),
      );
    }

    request.beforeBody?.();
    const streamed = await fanOut(
      request.body,
      waiting.flatMap((entry) => (entry.sending?.sink ? [entry.sending.sink] : [])),
    );
    if (streamed.sourceFailed) {
      // The body broke off, so no node can store it (fanOut destroyed every branch): nothing to account for.
      abortWaiting();
      for (const answer of answers) answer.discard();
      for (const entry of waiting) void entry.sending?.done.then(discardCompletion);
      return { kind: 'client-gone' };
    }
    const results: SlotResult[] = await Promise.all(
      prepared.map(async (entry): Promise<SlotResult> => {
        if (!entry.sending)
          return { owner: entry.slot.owner, answer: entry.answer, failures: entry.failures };
        const done = await entry.sending.done;
        if (done.kind === 'answered') {
          observeVersions(context, [done.answer]);
          return { owner: entry.slot.owner, answer: done.answer, failures: entry.failures };
        }
        return { owner: entry.slot.owner, answer: undefined, failures: [...entry.failures, failureOf(done)] };
      }),
    );
    if (results.some((result) => result.answer?.status === 409)) context.metrics.versionConflict();
    // Settled even when the client has gone: the whole body was sent, so some nodes may hold it, and the owners
    // that do not must be known to be behind.
    return unlessClientGone(
      request,
      settleQuorum(context, { id, kind: 'write', quorum, maybeApplied: true }, results),
    );
  }
}

/** Sends the headers to the slot's node, moving on to the next stand-in while nodes fail before the body. */
async function prepare(
  context: ChangeContext,
  targets: Targets,
  slot: Slot,
  request: NodeRequest,
): Promise<Prepared> {
  const failures: NodeFailure[] = [];
  let node = slot.node;
  let retried = false;
  while (node !== undefined) {
    const sending = new ContinueRequest(context, node, request);
    const ready = await sending.ready;
    if (ready.kind === 'continue') return { slot, sending, answer: undefined, failures };
    if (ready.kind === 'answered' && (ready.answer.status < 500 || isRefusal(ready.answer.status))) {
      return { slot, sending: undefined, answer: ready.answer, failures };
    }
    if (request.signal.aborted) break;
    if (ready.kind === 'failed' && ready.staleConnection && !retried) {
      retried = true; // the same node, on a new connection
      continue;
    }
    if (ready.kind === 'answered') {
      ready.answer.discard();
      failures.push({ node, failure: 'broken', reason: `answered ${ready.answer.status} before the body` });
    } else failures.push(failureOf(ready));
    node = targets.replace(slot);
  }
  return { slot, sending: undefined, answer: undefined, failures };
}

function failureOf(failed: NodeFailure): NodeFailure {
  return { node: failed.node, failure: failed.failure, reason: failed.reason };
}

function discardCompletion(done: Awaited<ContinueRequest['done']>): void {
  if (done.kind === 'answered') done.answer.discard();
}

/** The outcome, or client-gone (its answer discarded) when the client left meanwhile. */
export function unlessClientGone(request: NodeRequest, outcome: Outcome): Outcome {
  if (!request.signal.aborted) return outcome;
  if (outcome.kind === 'answered') outcome.answer.discard();
  return { kind: 'client-gone' };
}

export function observeVersions(context: Pick<ChangeContext, 'clock'>, answers: readonly Answer[]): void {
  for (const answer of answers) {
    const version = versionOf(answer.headers);
    if (version !== undefined) context.clock.observe(version);
  }
}

export function tooFewNodes(id: string, placement: Placement, quorum: number, filled: number): Outcome {
  const down = placement.owners.filter((owner) => !placement.healthyOwners.includes(owner));
  return {
    kind: 'failed',
    status: 503,
    detail:
      `only ${filled} healthy node${filled === 1 ? '' : 's'} can take ${JSON.stringify(id)} (owners ${placement.owners.join(', ')}` +
      `${down.length > 0 ? `; down: ${down.join(', ')}` : ''}), and WRITE_QUORUM needs ${quorum}; nothing was stored: ` +
      'try again once a node recovers',
  };
}
