// Entry point: read the config, warm up the store, listen (a node with LOAD_BALANCER_URL then announces itself to
// the balancer: app.ts). A failed fsync ends the process with exit code 1 once the log is flushed: continuing
// would serve an index that may not match the disk, and the next start rebuilds it from the records.
import { closeLogger, createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
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
await runService({ app, config, logger });
