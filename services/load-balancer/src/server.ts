// Entry point: read the config, build the app, listen. Blob servers join by registering themselves
// (POST /internal/nodes) and announce themselves again every few seconds, so a restarted balancer knows the
// cluster again quickly; until one node is healthy, /ready and /blobs answer 503.
import { createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'load-balancer' });
const app = await buildApp(config, { logger });
await runService({ app, config, logger });
