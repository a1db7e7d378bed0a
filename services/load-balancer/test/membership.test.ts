// Membership in process, without sockets: heartbeats against re-registrations, the removed set, draining, and the
// epochs that say whether a node has caught up; then the ClusterView the rebalancer reads, over the same registry.
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClusterView } from '../src/cluster/cluster-view-adapter.js';
import { NodeRegistry, type ClusterNode, type MembershipEvent } from '../src/cluster/node-registry.js';
import { Upstreams } from '../src/proxy/upstreams.js';

const here = { host: '127.0.0.1', port: 4001 };
const elsewhere = { host: '127.0.0.1', port: 4002 };

function registryWithEvents(): { registry: NodeRegistry; events: string[] } {
  const registry = new NodeRegistry(160);
  const events: string[] = [];
  registry.onChange((event: MembershipEvent) => events.push(`${event.type} ${event.node.name}`));
  return { registry, events };
}

/** Passing checks until the node is healthy (one for a node never seen healthy, two after it was down). */
function makeHealthy(registry: NodeRegistry, name: string): ClusterNode {
  const node = registry.get(name) as ClusterNode;
  while (!registry.isHealthy(name)) registry.recordCheck(name, node.generation, undefined);
  return registry.get(name) as ClusterNode;
}

function makeUnhealthy(registry: NodeRegistry, name: string): void {
  const node = registry.get(name) as ClusterNode;
  while (registry.isHealthy(name)) registry.recordCheck(name, node.generation, 'ECONNREFUSED');
}

describe('registration', () => {
  it('takes the same name, address and bootId again as a heartbeat that changes nothing', () => {
    const { registry, events } = registryWithEvents();
    const first = registry.register('a', here, 'boot-1');
    expect(first.outcome).toBe('joined');
    const node = makeHealthy(registry, 'a');
    registry.markInSync('a', node.epoch);
    const before = { ...node };

    const again = registry.register('a', here, 'boot-1');
    expect(again.outcome).toBe('heartbeat');
    expect(registry.get('a')).toEqual(before);
    expect(registry.isHealthy('a')).toBe(true);
    expect(registry.isInSync('a')).toBe(true);
    expect(events).toEqual(['joined a', 'health a']);
  });

  it('starts a node over when it comes back as another process or at another address', () => {
    const { registry, events } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    const node = makeHealthy(registry, 'a');
    registry.markInSync('a', node.epoch);

    for (const [address, bootId] of [
      [here, 'boot-2'],
      [elsewhere, 'boot-2'],
    ] as const) {
      const previous = registry.get('a') as ClusterNode;
      const again = registry.register('a', address, bootId);
      expect(again.outcome).toBe('re-registered');
      const now = registry.get('a') as ClusterNode;
      expect(now.generation).toBeGreaterThan(previous.generation);
      expect(now.epoch).toBeGreaterThan(previous.epoch);
      expect(now.health.status).toBe('unhealthy');
      expect(now.inSync).toBe(false);
      expect(now).toMatchObject({ ...address, bootId });
      makeHealthy(registry, 'a');
    }
    expect(events.filter((e) => e === 'moved a')).toHaveLength(2);
    expect(registry.ring.nodes).toEqual(['a']);
  });

  it('re-registers every registration without a bootId, as before heartbeats existed', () => {
    const { registry } = registryWithEvents();
    registry.register('a', here);
    const generation = (registry.get('a') as ClusterNode).generation;
    expect(registry.register('a', here).outcome).toBe('re-registered');
    expect((registry.get('a') as ClusterNode).generation).toBeGreaterThan(generation);
    expect((registry.get('a') as ClusterNode).bootId).toBeUndefined();
  });
});

describe('removal', () => {
  it('refuses the bootId a node was removed as, and takes it back as another process', () => {
    const { registry } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    expect(registry.remove('a')).toBe(true);
    expect(registry.register('a', here, 'boot-1')).toEqual({ outcome: 'removed' });
    expect(registry.register('a', elsewhere, 'boot-1')).toEqual({ outcome: 'removed' });
    expect(registry.get('a')).toBeUndefined();
    expect(registry.ring.size).toBe(0);

    expect(registry.register('a', here, 'boot-2').outcome).toBe('joined');
    expect(registry.ring.nodes).toEqual(['a']);
    // removed again, the new process is the one refused
    registry.remove('a');
    expect(registry.register('a', here, 'boot-2').outcome).toBe('removed');
  });

  it('takes back a removed node that registers without a bootId (an operator with curl)', () => {
    const { registry } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    registry.remove('a');
    expect(registry.register('a', here).outcome).toBe('joined');
    // and its old process's heartbeat now re-registers it instead of being refused
    expect(registry.register('a', here, 'boot-1').outcome).toBe('re-registered');
  });
});

describe('draining', () => {
  it('takes the node off the ring at once but keeps it registered, checked and healthy until it is removed', () => {
    const { registry, events } = registryWithEvents();
    for (const name of ['a', 'b', 'c']) {
      registry.register(name, here, `${name}-boot`);
      makeHealthy(registry, name);
    }
    expect(registry.drain('b')).toBe(true);
    expect(registry.ring.nodes).toEqual(['a', 'c']);
    expect(registry.list().map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(registry.isDraining('b')).toBe(true);
    expect(registry.isHealthy('b')).toBe(true);
    expect(events).toContain('draining b');

    // a second drain changes nothing; a heartbeat neither; a restart keeps draining (the operator's decision)
    expect(registry.drain('b')).toBe(true);
    expect(registry.register('b', here, 'b-boot').outcome).toBe('heartbeat');
    expect(registry.register('b', here, 'b-boot-2').outcome).toBe('re-registered');
    expect(registry.isDraining('b')).toBe(true);
    expect(registry.ring.nodes).toEqual(['a', 'c']);

    expect(registry.remove('b')).toBe(true);
    expect(registry.list().map((n) => n.name)).toEqual(['a', 'c']);
    expect(registry.ring.nodes).toEqual(['a', 'c']);
    expect(registry.register('b', here, 'b-boot-2').outcome).toBe('removed');
    expect(registry.drain('nobody')).toBe(false);
  });
});

describe('epochs and in-sync', () => {
  it('starts every node out of sync, and a pass vouches for it only at the epoch it started at', () => {
    const { registry, events } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    expect(registry.isInSync('a')).toBe(false);
    const { epoch } = makeHealthy(registry, 'a');
    expect(registry.isInSync('a')).toBe(false);

    registry.missedWrite('a');
    expect(events).toContain('missed-write a');
    expect(registry.epochOf('a')).toBe(epoch + 1);
    expect(registry.markInSync('a', epoch)).toBe(false); // the pass began before the missed write
    expect(registry.isInSync('a')).toBe(false);
    expect(registry.markInSync('a', epoch + 1)).toBe(true);
    expect(registry.isInSync('a')).toBe(true);

    registry.missedWrite('a');
    expect(registry.isInSync('a')).toBe(false);
    registry.missedWrite('nobody'); // an unknown node: nothing happens
    expect(registry.epochOf('nobody')).toBeUndefined();
  });

  it('never gives a node that left and came back an epoch a pass that began before may remember', () => {
    const { registry } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    const before = makeHealthy(registry, 'a').epoch; // a pass starts now, remembering this epoch
    registry.remove('a');
    registry.register('a', here, 'boot-2');
    makeHealthy(registry, 'a');
    expect(registry.markInSync('a', before)).toBe(false);
    expect(registry.isInSync('a')).toBe(false);
  });

  it('takes a node out of sync when it goes down and again when it comes back', () => {
    const { registry } = registryWithEvents();
    registry.register('a', here, 'boot-1');
    const healthyEpoch = makeHealthy(registry, 'a').epoch;
    registry.markInSync('a', healthyEpoch);

    makeUnhealthy(registry, 'a');
    const downEpoch = registry.epochOf('a') as number;
    expect(downEpoch).toBeGreaterThan(healthyEpoch);
    expect(registry.isInSync('a')).toBe(false);
    // a pass that ran while it was down cannot vouch for it, even at the same epoch
    expect(registry.markInSync('a', downEpoch)).toBe(false);

    makeHealthy(registry, 'a');
    expect(registry.epochOf('a')).toBeGreaterThan(downEpoch);
    expect(registry.markInSync('a', downEpoch)).toBe(false);
    expect(registry.markInSync('a', registry.epochOf('a') as number)).toBe(true);
  });
});

describe('RegistryClusterView', () => {
  let upstreams: Upstreams | undefined;
  afterEach(async () => {
    await upstreams?.closeAll();
    upstreams = undefined;
  });

  function view(replicationFactor: number): { registry: NodeRegistry; cluster: RegistryClusterView } {
    const registry = new NodeRegistry(160);
    upstreams = new Upstreams(registry, { connections: 1, connectTimeoutMs: 1000 });
    return { registry, cluster: new RegistryClusterView(registry, upstreams, replicationFactor) };
  }

  it('caps R at the nodes on the ring, and leaves draining nodes out of ownership but not out of the healthy ones', () => {
    const { registry, cluster } = view(3);
    registry.register('a', here, 'a1');
    registry.register('b', elsewhere, 'b1');
    expect(cluster.replicationFactor()).toBe(2);
    registry.register('c', here, 'c1');
    registry.register('d', here, 'd1');
    for (const name of ['a', 'b', 'c', 'd']) makeHealthy(registry, name);
    expect(cluster.replicationFactor()).toBe(3);
    expect(cluster.ownersOf('x')).toEqual(registry.ring.ownersOf('x', 3));

    registry.drain('c');
    expect(cluster.replicationFactor()).toBe(3);
    for (let i = 0; i < 50; i += 1) expect(cluster.ownersOf(`id-${i}`)).not.toContain('c');
    expect(cluster.healthyNodes()).toEqual(['a', 'b', 'c', 'd']);
    expect(cluster.isDraining('c')).toBe(true);
    makeUnhealthy(registry, 'b');
    expect(cluster.healthyNodes()).toEqual(['a', 'c', 'd']);
    expect(cluster.isHealthy('b')).toBe(false);
  });

  it('marks in sync the nodes whose epoch held and that had no failure, and removes only draining nodes', () => {
    const { registry, cluster } = view(2);
    for (const name of ['a', 'b', 'c']) {
      registry.register(name, here, `${name}1`);
      makeHealthy(registry, name);
    }
    const start = new Map(['a', 'b', 'c'].map((name) => [name, cluster.epochOf(name) as number]));
    registry.missedWrite('b'); // during the pass
    cluster.passFinished(start, new Set(['c']));
    expect(['a', 'b', 'c'].map((name) => registry.isInSync(name))).toEqual([true, false, false]);

    cluster.drained('a'); // not draining: stays
    expect(registry.get('a')).toBeDefined();
    registry.drain('a');
    cluster.drained('a');
    expect(registry.get('a')).toBeUndefined();
    expect(registry.register('a', here, 'a1').outcome).toBe('removed');
  });

  it('gives the pool of a registered node, and none for an unknown one', () => {
    const { registry, cluster } = view(2);
    registry.register('a', here, 'a1');
    expect(cluster.poolFor('a')).toBe(cluster.poolFor('a'));
    expect(cluster.poolFor('nobody')).toBeUndefined();
  });
});
