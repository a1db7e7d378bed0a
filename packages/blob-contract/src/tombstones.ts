// How long a tombstone (the record a delete leaves) must at least be kept, wherever it is reclaimed: by a
// standalone blob server itself, or by the load balancer's rebalancer once every owner holds it. A delete must
// outlive a node's short absence, or a replica that missed it could bring the blob back.
const MIN_TOMBSTONE_TTL_MS = 60_000;

/** What is wrong with a TOMBSTONE_TTL of `ms` milliseconds, for a config error; undefined when nothing is. */
export function tombstoneTtlProblem(ms: number): string | undefined {
  return ms < MIN_TOMBSTONE_TTL_MS
    ? `TOMBSTONE_TTL must be at least 1m, got ${ms}ms: a delete must outlive a node's short absence`
    : undefined;
}
