// Entry point: read the config, build the app, listen. Blob servers join by registering themselves
// (POST /internal/nodes); until one is healthy, /ready and /blobs answer 503.
import { createLogger } from '@backend-rebase/logger';
import { runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadLoadBalancerConfig } from './config.js';

const config = loadLoadBalancerConfig();
const logger = createLogger({ service: 'load-balancer' });
const app = await buildApp(config, { logger });
await runService({ app, port: config.PORT, host: config.HOST, logger });
