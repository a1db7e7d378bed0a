// A delete of one blob on its R targets (targets.ts), stamped with a version, sent to all of them at once through
// the nodes' undici pools. Guarantees:
// - A target that cannot be reached, is too slow, or answers 5xx is replaced by the next healthy stand-in not
//   already a target (a delete has no body, so sending it again elsewhere is always safe).
// - A 409 from any target (it holds a newer version) is observed by the clock, counted, and the delete is
//   restamped above it and sent again, at most MAX_ATTEMPTS times in all.
// - Every version a node answers with is observed. How the answers become one (204 once WRITE_QUORUM nodes
//   acknowledged it) is quorum.ts's.
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import type { Placement } from '../cluster/placement.js';
import { sendToNode, type NodeRequest } from './node-request.js';
import { isRefusal, type Answer, type NodeFailure, type Outcome } from './outcome.js';
import { settleQuorum, type SlotResult } from './quorum.js';
import { Targets, type Slot } from './targets.js';
import {
  MAX_ATTEMPTS,
  observeVersions,
  tooFewNodes,
  unlessClientGone,
  type ChangeContext,
} from './write-path.js';

export async function proxyDelete(
  context: ChangeContext,
  id: string,
  placement: Placement,
  request: NodeRequest,
): Promise<Outcome> {
  const quorum = Math.min(context.writeQuorum, placement.owners.length);
  for (let attempt = 1; ; attempt += 1) {
    const targets = new Targets(placement);
    if (targets.filled < Math.max(quorum, 1)) return tooFewNodes(id, placement, quorum, targets.filled);
    const headers = { ...request.headers, [BLOB_VERSION_HEADER]: String(context.clock.next()) };
    const results = await Promise.all(
      targets.slots.map((slot) => deleteOn(context, targets, slot, { ...request, headers })),
    );
    const answers = results.flatMap(({ answer }) => (answer ? [answer] : []));
    observeVersions(context, answers);
    if (answers.some((answer) => answer.status === 409)) {
      context.metrics.versionConflict();
      if (attempt < MAX_ATTEMPTS && !request.signal.aborted) {
        for (const answer of answers) answer.discard();
        continue;
      }
    }
    // Settled even when the client has gone: nodes may have applied it, and the owners that did not are behind.
    return unlessClientGone(
      request,
      settleQuorum(context, { id, kind: 'delete', quorum, maybeApplied: true }, results),
    );
  }
}

async function deleteOn(
  context: ChangeContext,
  targets: Targets,
  slot: Slot,
  request: NodeRequest,
): Promise<SlotResult> {
  const failures: NodeFailure[] = [];
  let answer: Answer | undefined;
  for (let node = slot.node; node !== undefined; node = targets.replace(slot)) {
    const attempt = await sendToNode(context, node, request);
    if (attempt.kind === 'client-gone') break;
    if (attempt.kind === 'answered' && (attempt.answer.status < 500 || isRefusal(attempt.answer.status))) {
      answer = attempt.answer;
      break;
    }
    if (attempt.kind === 'answered') {
      attempt.answer.discard();
      failures.push({ node, failure: 'broken', reason: `answered ${attempt.answer.status}` });
    } else failures.push({ node, failure: attempt.failure, reason: attempt.reason });
  }
  return { owner: slot.owner, answer, failures };
}
