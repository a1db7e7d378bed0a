// A read (GET or HEAD) of one blob. Guarantees:
// - Never older than an acknowledged write or delete. A healthy owner that is in sync (registry.isInSync: no
//   write missed, no time down, no range gained from a leaving node since a rebalancer pass last caught it up)
//   holds every acknowledged change of the ids it owns, so the FAST path asks only such owners, in ring order,
//   and the first answer is final; a connection error, a timeout or a 5xx moves on to the next one at once,
//   without waiting for the health checker. During a join the new node is not in sync but the others are, so
//   reads of most ids stay on the fast path while the rebalancer works.
// - When no owner is both healthy and in sync (or none of those answered), the COMPARE path: a plain HEAD (no
//   conditionals, no range) to every healthy owner and to as many stand-ins as there are owners, in parallel;
//   the highest X-Blob-Version wins and a tombstone (a 404 with a version) wins a tie with data. When every
//   answer is a plain 404 (no version), the other healthy nodes are asked too (draining ones included: they
//   still hold what is being moved away). The client's real request (conditionals, range) then goes to a node
//   holding the winning version, failing over to the next holder; a tombstone's 404 is relayed as that node
//   gives it.
// - Owners found missing the winning version, or holding an older one, are handed to rebalance.repair(id).
// - Every version a node answers with is observed by the clock.
// - 404 only when no copy can exist: when no node that answered has any record, but as many nodes as
//   WRITE_QUORUM (capped at R) are down or failed to answer, the only copies of an acknowledged write could be on
//   them, so that is a 503 naming them.
// - No node reachable: 503 (504 when one was too slow) naming the owners.
import { REQUEST_ID_HEADER } from '@backend-rebase/service-kit';
import type { Placement } from '../cluster/placement.js';
import type { RebalanceControl } from '../rebalance/cluster-view.js';
import { sendToNode, type NodeContext, type NodeRequest } from './node-request.js';
import {
  describeFailures,
  statusFor,
  versionOf,
  type Answer,
  type NodeFailure,
  type Outcome,
} from './outcome.js';
import type { VersionClock } from './version-clock.js';

export interface ReadContext extends NodeContext {
  clock: Pick<VersionClock, 'observe'>;
  rebalance: Pick<RebalanceControl, 'repair'>;
  /** WRITE_QUORUM: an acknowledged write has at least this many copies (capped at R) */
  writeQuorum: number;
}

/** What one node holds of the id, from its HEAD. */
interface Copy {
  node: string;
  /** data (200), tombstone (404 with a version), missing (404 without), or any other answer */
  kind: 'data' | 'tombstone' | 'missing' | 'other';
  version: number | undefined;
}

export async function proxyRead(
  context: ReadContext,
  id: string,
  placement: Placement,
  request: NodeRequest,
): Promise<Outcome> {
  const vouching = ownersInSync(context, placement);
  if (vouching.length > 0) {
    const failures: NodeFailure[] = [];
    for (const owner of vouching) {
      const answer = await ask(context, owner, request, failures);
      if (answer === 'client-gone') return { kind: 'client-gone' };
      if (answer) return { kind: 'answered', answer };
    }
  }
  return compareRead(context, id, placement, request);
}

/** The healthy owners that hold every acknowledged change of the ids they own, in ring order. */
function ownersInSync(context: Pick<ReadContext, 'registry'>, placement: Placement): string[] {
  const { registry } = context;
  return placement.owners.filter((owner) => registry.isHealthy(owner) && registry.isInSync(owner));
}

async function compareRead(
  context: ReadContext,
  id: string,
  placement: Placement,
  request: NodeRequest,
): Promise<Outcome> {
  const { registry } = context;
  const probe: NodeRequest = {
    method: 'HEAD',
    path: request.path,
    headers: pick(request.headers, REQUEST_ID_HEADER),
    signal: request.signal,
  };
  const failures: NodeFailure[] = [];
  const asked = [...placement.healthyOwners, ...placement.standIns.slice(0, placement.owners.length)];
  let copies = await headAll(context, asked, probe, failures);
  if (copies === 'client-gone') return { kind: 'client-gone' };
  if (copies.every((copy) => copy.kind === 'missing')) {
    // Unsettled and no copy where one belongs: it may sit on a node that owned it before a membership change.
    const others = registry
      .list()
      .map((node) => node.name)
      .filter((name) => !asked.includes(name) && registry.isHealthy(name));
    const more = await headAll(context, others, probe, failures);
    if (more === 'client-gone') return { kind: 'client-gone' };
    copies = [...copies, ...more];
  }

  const winner = newest(copies);
  if (!winner && copies.some((copy) => copy.kind === 'missing')) {
    // No node that answered has any record. A write acknowledged by Q nodes can only be missed if Q nodes are
    // out of reach: then "not found" cannot be told, so it is a 503 naming them.
    const outOfReach = new Set([
      ...registry
        .list()
        .map((node) => node.name)
        .filter((name) => !registry.isHealthy(name)),
      ...failures.map(({ node }) => node),
    ]);
    const quorum = Math.min(context.writeQuorum, placement.owners.length);
    if (outOfReach.size >= quorum) return copiesOutOfReach(id, placement, [...outOfReach], failures);
  }
  const holders = winner
    ? copies.filter((copy) => copy.kind === winner.kind && copy.version === winner.version)
    : copies.filter((copy) => copy.kind !== 'other').concat(copies.filter((copy) => copy.kind === 'other'));
  if (winner) requestRepairs(context, id, placement, copies, winner);

  for (const holder of holders) {
    const answer = await ask(context, holder.node, request, failures);
    if (answer === 'client-gone') return { kind: 'client-gone' };
    if (!answer) continue;
    // The copy went away since its HEAD (a stand-in purged after handoff): another holder has it.
    if (winner?.kind === 'data' && answer.status === 404 && versionOf(answer.headers) === undefined) {
      if (holder !== holders.at(-1)) {
        answer.discard();
        continue;
      }
    }
    return { kind: 'answered', answer };
  }
  return noneReachable(id, placement, failures);
}

/** One request to one node; undefined (the failure noted) when it gave no usable answer. */
async function ask(
  context: ReadContext,
  node: string,
  request: NodeRequest,
  failures: NodeFailure[],
): Promise<Answer | undefined | 'client-gone'> {
  const attempt = await sendToNode(context, node, request);
  if (attempt.kind === 'client-gone') return 'client-gone';
  if (attempt.kind === 'failed') {
    failures.push({ node, failure: attempt.failure, reason: attempt.reason });
    return undefined;
  }
  const { answer } = attempt;
  const version = versionOf(answer.headers);
  if (version !== undefined) context.clock.observe(version);
  if (answer.status >= 500) {
    answer.discard();
    failures.push({ node, failure: 'broken', reason: `answered ${answer.status}` });
    return undefined;
  }
  return answer;
}

async function headAll(
  context: ReadContext,
  nodes: string[],
  probe: NodeRequest,
  failures: NodeFailure[],
): Promise<Copy[] | 'client-gone'> {
  const answers = await Promise.all(nodes.map((node) => ask(context, node, probe, failures)));
  if (answers.includes('client-gone')) {
    for (const answer of answers) if (answer && answer !== 'client-gone') answer.discard();
    return 'client-gone';
  }
  return answers.flatMap((answer): Copy[] => {
    if (!answer || answer === 'client-gone') return [];
    answer.discard();
    const version = versionOf(answer.headers);
    const kind =
      answer.status === 200 && version !== undefined
        ? 'data'
        : answer.status === 404
          ? version === undefined
            ? 'missing'
            : 'tombstone'
          : 'other';
    return [
      { node: answer.node, kind, version: kind === 'data' || kind === 'tombstone' ? version : undefined },
    ];
  });
}

/** The newest copy: the highest version, a tombstone before data at the same version; undefined when none has one. */
function newest(copies: Copy[]): Copy | undefined {
  let best: Copy | undefined;
  for (const copy of copies) {
    if (copy.version === undefined) continue;
    if (
      !best ||
      copy.version > (best.version as number) ||
      (copy.version === best.version && copy.kind === 'tombstone' && best.kind === 'data')
    ) {
      best = copy;
    }
  }
  return best;
}

function requestRepairs(
  context: ReadContext,
  id: string,
  placement: Placement,
  copies: Copy[],
  winner: Copy,
): void {
  const behind = placement.healthyOwners.some((owner) => {
    const copy = copies.find((candidate) => candidate.node === owner);
    // An owner that gave no answer is left to the rebalancer's pass; one that answered and lacks the winner is not.
    return copy !== undefined && !(copy.kind === winner.kind && copy.version === winner.version);
  });
  if (behind) context.rebalance.repair(id);
}

function copiesOutOfReach(
  id: string,
  placement: Placement,
  names: string[],
  failures: NodeFailure[],
): Outcome {
  const why = describeFailures(failures);
  return {
    kind: 'failed',
    status: 503,
    detail:
      `no reachable node holds ${JSON.stringify(id)}, but ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} down and may hold ` +
      `its only acknowledged copies (owners: ${placement.owners.join(', ')}${why ? `; ${why}` : ''}); try again once ${names.length === 1 ? 'it recovers' : 'they recover'}`,
  };
}

function noneReachable(id: string, placement: Placement, failures: NodeFailure[]): Outcome {
  const down = placement.owners.filter((owner) => !placement.healthyOwners.includes(owner));
  const reasons = [
    ...down.map((owner) => `${owner}: marked unhealthy by its health checks`),
    describeFailures(failures),
  ].filter(Boolean);
  return {
    kind: 'failed',
    status: statusFor(failures.map(({ failure }) => failure)),
    detail: `no node holding ${JSON.stringify(id)} could be reached; its owners are ${placement.owners.join(', ')}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}; try again once ${placement.owners.length > 1 ? 'one of them recovers' : 'it recovers'}`,
  };
}

function pick(headers: NodeRequest['headers'], name: string): NodeRequest['headers'] {
  const value = headers[name];
  return value === undefined ? {} : { [name]: value };
}
