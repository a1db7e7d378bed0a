// The blob server as a Fastify app: opens (warms up) the store under DATA_DIR, then serves the contract of
// docs/blob-service.md on the service kit. It does not listen; server.ts does. A standalone node (no
// LOAD_BALANCER_URL) drops tombstones past TOMBSTONE_TTL, at warm-up and in a periodic sweep; a node in a
// cluster keeps every tombstone until the load balancer purges it, because only the balancer knows when every
// replica holds the delete (a replica that missed it would otherwise bring the blob back). A node in a cluster
// announces itself to the balancer once it listens (a heartbeat every HEARTBEAT_INTERVAL_MS), until it closes.
import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Logger } from '@backend-rebase/logger';
import { addPeriodicJob, createService, type Clock, type Service } from '@backend-rebase/service-kit';
import { announceToLoadBalancer } from './cluster/registration.js';
import type { Config } from './config.js';
import { addBlobMetrics } from './metrics.js';
import { blobRoutes } from './routes/blobs.js';
import { internalBlobRoutes } from './routes/internal-blobs.js';
import { BlobStore } from './storage/blob-store.js';
import type { FatalStorageError } from './storage/errors.js';
import type { FileIo } from './storage/file-io.js';

export interface AppDeps {
  logger: Logger;
  /** tests move time forward */
  now?: Clock;
  /**
   * A sync failed, so what is on disk is unknown (the store has logged it and takes no more changes): the
   * entry point exits, and the restart rebuilds the index. Default: only the store's log line.
   */
  onFatalStorageError?: (error: FatalStorageError) => void;
  /** tests: the disk calls that change records (faults injected), and the case-sensitivity probe's answer */
  fileIo?: FileIo;
  caseSensitive?: boolean;
}

const HOUR = 3_600_000;

export async function buildApp(
  config: Config,
  { logger, now, onFatalStorageError, fileIo, caseSensitive }: AppDeps,
): Promise<Service> {
  const started = performance.now();
  const standalone = config.LOAD_BALANCER_URL === undefined;
  const store = await BlobStore.open({
    dataDir: config.DATA_DIR,
    quotaBytes: config.MAX_DISK_QUOTA,
    maxBlobsInFolder: config.MAX_BLOBS_IN_FOLDER,
    maxTombstones: config.MAX_TOMBSTONES,
    maxIdLength: config.MAX_ID_LENGTH,
    fsync: config.FSYNC,
    tombstoneTtlMs: standalone ? config.TOMBSTONE_TTL : undefined,
    logger,
    now,
    io: fileIo,
    onFatal: onFatalStorageError,
    caseSensitive,
  });
  logger.info('warm-up done', {
    dataDir: config.DATA_DIR,
    blobs: store.blobCount,
    bytesUsed: store.bytesUsed,
    tombstones: store.tombstoneCount,
    ms: Math.round(performance.now() - started),
  });

  const app = await createService({
    name: 'blob-server',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    // Ids are checked by the routes, with a message; the router must not turn a long one into a 404 first.
    maxParamLength: config.MAX_ID_LENGTH * 3 + 64,
    readiness: {
      // A store stopped by a failed sync takes no changes: not ready, until the restart.
      storage: async () => {
        if (store.failure) throw store.failure;
        await access(path.join(config.DATA_DIR, 'tmp'), constants.W_OK);
      },
    },
  });
  // After the server has stopped: the record files kept open for reads are closed with it.
  app.addHook('onClose', async () => {
    await store.close();
  });
  const metrics = addBlobMetrics(app.metrics.registry, store);
  await app.register(blobRoutes, {
    store,
    metrics,
    maxLength: config.MAX_LENGTH,
    maxIdLength: config.MAX_ID_LENGTH,
    maxHeaderCount: config.MAX_HEADER_COUNT,
    maxHeaderLength: config.MAX_HEADER_LENGTH,
  });
  await app.register(internalBlobRoutes, { store, maxIdLength: config.MAX_ID_LENGTH });

  if (standalone) {
    addPeriodicJob(app, {
      name: 'tombstone-sweep',
      intervalMs: Math.min(config.TOMBSTONE_TTL, HOUR),
      run: async () => {
        const removed = await store.expireTombstones();
        if (removed > 0) logger.info('expired tombstones removed', { removed });
      },
    });
  }
  if (config.LOAD_BALANCER_URL !== undefined) announceOnListen(app, config, config.LOAD_BALANCER_URL, logger);
  return app;
}

/**
 * Announces the node to the load balancer once the app listens, with the port it listens on, and stops when it
 * closes. The announcements retry with their own backoff and end for good on a 410 or another 4xx
 * (registration.ts), so they are not a fixed-interval periodic job.
 */
function announceOnListen(app: Service, config: Config, loadBalancerUrl: string, logger: Logger): void {
  const stop = new AbortController();
  let announcing: Promise<unknown> | undefined;
  app.addHook('onListen', () => {
    const address = app.server.address();
    announcing ??= announceToLoadBalancer({
      loadBalancerUrl,
      name: config.NODE_NAME,
      host: config.ADVERTISED_HOST ?? hostname(),
      port: typeof address === 'object' && address ? address.port : config.PORT,
      bootId: randomUUID(),
      intervalMs: config.HEARTBEAT_INTERVAL_MS,
      internalToken: config.INTERNAL_TOKEN,
      logger,
      signal: stop.signal,
    });
  });
  app.addHook('preClose', async () => {
    stop.abort();
    await announcing;
  });
}
