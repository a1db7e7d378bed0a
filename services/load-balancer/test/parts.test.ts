// The balancer's small parts on their own: the health state machine and placement with stand-ins. The version
// clock has its own file (version-clock.test.ts); the header filter is http-proxy's (packages/http-proxy/test).
import { HashRing } from '@backend-rebase/data-structures';
import { describe, expect, it } from 'vitest';
import { afterCheck, NEW_NODE, type HealthState } from '../src/cluster/health-state.js';
import { effectiveReplicationFactor, placementOf } from '../src/cluster/placement.js';

const run = (state: HealthState, outcomes: boolean[]) =>
  outcomes.reduce((s, passed) => afterCheck(s, passed), state).status;

describe('the health state machine', () => {
  it('makes a new node healthy on its first passing check', () => {
    expect(NEW_NODE.status).toBe('unhealthy');
    expect(run(NEW_NODE, [true])).toBe('healthy');
  });

  it('marks a healthy node unhealthy after 3 consecutive failures, not 2 or 3 scattered ones', () => {
    const healthy = afterCheck(NEW_NODE, true);
    expect(run(healthy, [false, false])).toBe('healthy');
    expect(run(healthy, [false, false, true, false, false])).toBe('healthy');
    expect(run(healthy, [false, false, false])).toBe('unhealthy');
  });

  it('needs 2 consecutive passes to bring a node back', () => {
    const down = [true, false, false, false].reduce(afterCheck, NEW_NODE);
    expect(down.status).toBe('unhealthy');
    expect(run(down, [true])).toBe('unhealthy');
    expect(run(down, [true, false, true])).toBe('unhealthy');
    expect(run(down, [true, true])).toBe('healthy');
  });
});

describe('placementOf', () => {
  const ring = new HashRing(['a', 'b', 'c', 'd']);
  const everyone = () => true;

  it('gives the first R nodes clockwise as owners, served by themselves when healthy', () => {
    const placement = placementOf(ring, everyone, 'some-id', 2);
    expect(placement.owners).toEqual(ring.ownersOf('some-id', 2));
    expect(placement.serving).toEqual(placement.owners);
    expect(placement.healthyOwners).toEqual(placement.owners);
  });

  it('puts the next healthy node clockwise in place of an unhealthy owner', () => {
    const clockwise = ring.ownersOf('some-id', 4);
    const [first, second, third, fourth] = clockwise as [string, string, string, string];
    const down = new Set([first, third]);
    const placement = placementOf(ring, (name) => !down.has(name), 'some-id', 2);
    expect(placement.owners).toEqual([first, second]);
    expect(placement.healthyOwners).toEqual([second]);
    expect(placement.serving).toEqual([fourth, second]);
    expect(placement.standIns).toEqual([fourth]);
  });

  it('caps R at the number of nodes on the ring', () => {
    expect(effectiveReplicationFactor(ring, 2)).toBe(2);
    expect(effectiveReplicationFactor(ring, 10)).toBe(4);
    expect(effectiveReplicationFactor(new HashRing([]), 2)).toBe(0);
    expect(
      placementOf(new HashRing(['a']), everyone, 'x', effectiveReplicationFactor(new HashRing(['a']), 3))
        .owners,
    ).toEqual(['a']);
  });

  it('is empty on an empty ring, and has no serving node when none is healthy', () => {
    expect(placementOf(new HashRing([]), everyone, 'x', 1).owners).toEqual([]);
    expect(placementOf(ring, () => false, 'x', 1).serving).toEqual([]);
  });
});
