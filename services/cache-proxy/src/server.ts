// Entry point: read the config, build the app, listen. /ready passes once the upstream's /ready does, so the
// proxy can start before or after the load balancer.
import { createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'cache-proxy' });
const app = await buildApp(config, { logger });
await runService({ app, config, logger });
