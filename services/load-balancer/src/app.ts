// The load balancer as a Fastify app: the node registry, the ring, the health checks, the /blobs proxy that keeps
// R copies of each blob, and the background rebalancer of docs/load-balancer.md on the service kit. It does not
// listen; server.ts does. The health checks and the rebalancer's periodic passes run once the app listens; closing
// it stops them and the rebalancer, then closes the upstream connection pools.
//
// Every change of membership the rebalancer must act on asks it for a pass (it coalesces them): a node joined,
// re-registered (restarted or moved), came back healthy, started draining or was removed, or a live node missed a
// write. A node that goes down asks for none: its copies stay on stand-ins until it comes back (hinted handoff)
// or is removed, as in Dynamo, instead of re-replicating everything on every brief outage.
import type { Logger } from '@backend-rebase/logger';
import { addPeriodicJob, createService, type Clock, type Service } from '@backend-rebase/service-kit';
import { RegistryClusterView } from './cluster/cluster-view-adapter.js';
import { HealthChecker } from './cluster/health-checker.js';
import { MembershipFile } from './cluster/membership-file.js';
import { NodeRegistry, type MembershipEvent } from './cluster/node-registry.js';
import type { Config } from './config.js';
import { addLoadBalancerMetrics } from './metrics.js';
import { BlobProxy } from './proxy/blob-proxy.js';
import { Upstreams } from './proxy/upstreams.js';
import { VersionClock } from './proxy/version-clock.js';
import { Rebalancer } from './rebalance/rebalancer.js';
import { blobRoutes } from './routes/blobs.js';
import { nodeRoutes } from './routes/nodes.js';
import { rebalanceRoutes } from './routes/rebalance.js';
import { ringRoutes } from './routes/ring.js';

export interface AppDeps {
  logger: Logger;
  /** tests move time forward */
  now?: Clock;
}

export const REGISTRATION_CLOSED = 'the request was rejected because registration period is over';

/** Longest id the router matches; the node's MAX_ID_LENGTH (at most 255) decides, percent-encoded ×3. */
const MAX_PARAM_LENGTH = 1024;

export async function buildApp(config: Config, { logger, now = Date.now }: AppDeps): Promise<Service> {
  const registry = new NodeRegistry(config.RING_POINTS_PER_NODE, now);
  const checker = new HealthChecker({ registry, timeoutMs: config.HEALTH_TIMEOUT_MS });
  const upstreams = new Upstreams(registry, {
    connections: config.UPSTREAM_CONNECTIONS,
    connectTimeoutMs: Math.min(config.UPSTREAM_TIMEOUT_MS, 10_000),
  });

  const membershipFile =
    config.MEMBERSHIP_FILE === undefined ? undefined : new MembershipFile(config.MEMBERSHIP_FILE, logger);
  const saved = membershipFile?.load();
  if (saved) {
    registry.restore(saved);
    logger.info('membership restored', { file: config.MEMBERSHIP_FILE, nodes: saved.nodes.length });
  }
  registry.onChange((event) => {
    if (membershipFile && MEMBERSHIP_CHANGES.has(event.type)) void membershipFile.save(registry);
  });

  registry.onChange((event) => {
    const { name, host, port, health, lastFailure } = event.node;
    if (event.type === 'health') {
      const fields = { node: name, host, port, reason: lastFailure };
      if (health.status === 'healthy') logger.info('node is healthy', fields);
      else logger.warn('node is unhealthy', fields);
    } else if (event.type === 'draining') {
      logger.info('node is draining: its blobs move to their other owners', { node: name, host, port });
    } else if (event.type === 'left') {
      logger.info('node left the cluster', { node: name, host, port });
    }
  });

  // Course mode: membership is open for the first N seconds, /blobs only after that.
  const windowEndsAt = now() + config.REGISTRATION_WINDOW_SECONDS * 1000;
  const windowOpen = () => config.REGISTRATION_WINDOW_SECONDS > 0 && now() < windowEndsAt;
  const registrationClosed = () =>
    config.REGISTRATION_WINDOW_SECONDS > 0 && !windowOpen() ? REGISTRATION_CLOSED : undefined;
  const notServingYet = () =>
    windowOpen()
      ? `the registration window is open for ${Math.ceil((windowEndsAt - now()) / 1000)} more s; /blobs is served once it closes`
      : undefined;

  const app = await createService({
    name: 'load-balancer',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    maxParamLength: MAX_PARAM_LENGTH,
    readiness: {
      nodes: () =>
        registry.healthyCount >= config.MIN_NODES
          ? Promise.resolve()
          : Promise.reject(
              new Error(
                `${registry.healthyCount} of ${registry.size} registered nodes are healthy; MIN_NODES is ${config.MIN_NODES}`,
              ),
            ),
      ...(config.REGISTRATION_WINDOW_SECONDS > 0
        ? {
            'registration-window': () => {
              const waiting = notServingYet();
              return waiting ? Promise.reject(new Error(waiting)) : Promise.resolve();
            },
          }
        : {}),
    },
  });
  const metrics = addLoadBalancerMetrics(app.metrics.registry, registry);
  const clock = new VersionClock(config.BALANCER_ID);
  logger.info('version clock', { balancerId: config.BALANCER_ID, slot: clock.slot });
  const rebalancer = new Rebalancer({
    cluster: new RegistryClusterView(registry, upstreams, config.REPLICATION_FACTOR),
    concurrency: config.REBALANCE_CONCURRENCY,
    tombstoneTtlMs: config.TOMBSTONE_TTL,
    startDelayMs: config.REBALANCE_START_DELAY_MS,
    internalToken: config.INTERNAL_TOKEN,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    logger,
    metricsRegistry: app.metrics.registry,
    now,
  });
  registry.onChange((event) => {
    const trigger = rebalanceTrigger(event, registry);
    if (trigger) rebalancer.request(trigger);
  });
  const proxy = new BlobProxy({
    registry,
    upstreams,
    metrics,
    clock,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    writeQuorum: config.WRITE_QUORUM,
    rebalance: rebalancer,
  });

  await app.register(nodeRoutes, { registry, checker, registrationClosed });
  await app.register(rebalanceRoutes, { rebalancer });
  await app.register(ringRoutes, { registry, replicationFactor: config.REPLICATION_FACTOR });
  await app.register(blobRoutes, {
    registry,
    proxy,
    replicationFactor: config.REPLICATION_FACTOR,
    notServingYet,
  });

  addPeriodicJob(app, {
    name: 'health-check',
    intervalMs: config.HEALTH_INTERVAL_MS,
    spacing: 'start-to-start',
    // Restored nodes (MEMBERSHIP_FILE) serve once a check has passed; that need not wait for the first interval.
    runAtStart: true,
    // Not awaited: each node's check runs on its own (see health-checker.ts), and close() waits for them.
    run: () => {
      checker.checkAll();
      return Promise.resolve();
    },
  });
  rebalancer.start();
  addAntiEntropyPasses(app, rebalancer, config.REBALANCE_INTERVAL_MS);
  app.addHook('onClose', async () => {
    await rebalancer.stop();
    await checker.close();
    await upstreams.closeAll();
    await membershipFile?.settled();
  });
  return app;
}

/**
 * Anti-entropy: a pass at least every `intervalMs` (REBALANCE_INTERVAL_MS) whatever happens. The job only asks;
 * the rebalancer coalesces the request with the pass running or already requested, as it does every trigger.
 */
export function addAntiEntropyPasses(app: Service, rebalancer: Rebalancer, intervalMs: number): void {
  addPeriodicJob(app, {
    name: 'rebalance',
    intervalMs,
    spacing: 'start-to-start',
    run: () => {
      rebalancer.request('periodic');
      return Promise.resolve();
    },
  });
}

/** The events that change what MEMBERSHIP_FILE holds (health and sync state are not kept). */
const MEMBERSHIP_CHANGES = new Set<MembershipEvent['type']>(['joined', 'moved', 'left', 'draining']);

/** Why this change of membership needs a rebalancer pass, or undefined when it needs none. */
function rebalanceTrigger(event: MembershipEvent, registry: NodeRegistry): string | undefined {
  const { name } = event.node;
  switch (event.type) {
    case 'joined':
      return `${name} joined`;
    case 'moved':
      return `${name} registered again`;
    case 'draining':
      return `${name} is draining`;
    case 'left':
      return `${name} was removed`;
    case 'health':
      return event.node.health.status === 'healthy' ? `${name} is healthy` : undefined;
    case 'missed-write':
      // A node that is down gets its writes when it is back (the 'health' trigger), not from passes meanwhile.
      return registry.isHealthy(name) ? `${name} missed a write` : undefined;
  }
}
