// Entry point: read the config, warm up the store, listen, then announce the node to the load balancer (a
// heartbeat every HEARTBEAT_INTERVAL_MS) when LOAD_BALANCER_URL is set. A failed fsync ends the process with
// exit code 1 once the log is flushed: continuing would serve an index that may not match the disk, and the
// next start rebuilds it from the records.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { closeLogger, createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { announceToLoadBalancer } from './cluster/registration.js';
import { loadConfig } from './config.js';

const config = exitOnConfigError(loadConfig);
// Several nodes share one log pipeline: each line names its node.
const logger = createLogger({ service: 'blob-server', fields: { node: config.NODE_NAME } });
const app = await buildApp(config, {
  logger,
  onFatalStorageError: (error) => {
    logger.error('exiting after a failed sync', { call: error.call, path: error.path, errno: error.errno });
    void closeLogger(logger, 2_000).finally(() => process.exit(1));
  },
});
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
