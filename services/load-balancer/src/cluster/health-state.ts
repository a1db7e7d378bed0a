// The health state machine of one node (docs/load-balancer.md), as a pure function so the
// rules can be read, and tested, without timers or sockets:
//   - 3 consecutive failed checks mark a healthy node unhealthy, so one lost packet does not take it out;
//   - 2 consecutive passing checks mark an unhealthy node healthy again, so a flapping node is not trusted
//     after a single answer;
//   - a node that has just (re-)registered has never been seen healthy: its first passing check is enough.
//     Registration probes it at once, so it serves within milliseconds instead of two intervals.
// A check is an active `GET /health`, or (failures only) a proxied request that could not reach the node.

export type NodeStatus = 'healthy' | 'unhealthy';

const FAILURES_TO_UNHEALTHY = 3;
const SUCCESSES_TO_HEALTHY = 2;

export interface HealthState {
  status: NodeStatus;
  /** consecutive failed checks (0 after a pass) */
  failures: number;
  /** consecutive passing checks (0 after a failure) */
  successes: number;
  /** false until the first passing check since registration */
  seenHealthy: boolean;
}

export const NEW_NODE: HealthState = { status: 'unhealthy', failures: 0, successes: 0, seenHealthy: false };

export function afterCheck(state: HealthState, passed: boolean): HealthState {
  if (passed) {
    const successes = state.successes + 1;
    const recovers = !state.seenHealthy || successes >= SUCCESSES_TO_HEALTHY;
    return {
      status: state.status === 'healthy' || recovers ? 'healthy' : 'unhealthy',
      failures: 0,
      successes,
      seenHealthy: true,
    };
  }
  const failures = state.failures + 1;
  return {
    status: state.status === 'unhealthy' || failures >= FAILURES_TO_UNHEALTHY ? 'unhealthy' : 'healthy',
    failures,
    successes: 0,
    seenHealthy: state.seenHealthy,
  };
}
