// Entry point: read the config, warm up the store, listen, then announce the node to the load balancer (a
// heartbeat every HEARTBEAT_INTERVAL_MS) when LOAD_BALANCER_URL is set.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createLogger } from '@backend-rebase/logger';
import { runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { announceToLoadBalancer } from './cluster/registration.js';
import { loadBlobServerConfig } from './config.js';

const config = loadBlobServerConfig();
const logger = createLogger({ service: 'blob-server' });
logger.defaultMeta = { ...(logger.defaultMeta as object), node: config.NODE_NAME }; // several nodes share one log pipeline
const app = await buildApp(config, { logger });
const stopAnnouncing = new AbortController();
await runService({
  app,
  port: config.PORT,
  host: config.HOST,
  logger,
  onShutdown: [() => stopAnnouncing.abort()],
});

if (config.LOAD_BALANCER_URL) {
  void announceToLoadBalancer({
    loadBalancerUrl: config.LOAD_BALANCER_URL,
    name: config.NODE_NAME,
    host: config.ADVERTISED_HOST ?? hostname(),
    port: config.PORT,
    bootId: randomUUID(),
    intervalMs: config.HEARTBEAT_INTERVAL_MS,
    internalToken: config.INTERNAL_TOKEN,
    logger,
    signal: stopAnnouncing.signal,
  });
}
