// What `pnpm start` reads from the environment (and the repository's .env), validated like every service's
// configuration: a bad value stops the stack before anything starts, with a message naming the variable.
import path from 'node:path';
import { DEFAULT_PORTS, Env, loadConfigOrExit, Type, type Static } from '@backend-rebase/service-kit';

const PORT_LIST = '^\\d{1,5}(,\\d{1,5})*$';
// Three blob servers from the blob server's own default port up: 3001,3002,3003.
const BLOB_PORTS = [0, 1, 2].map((offset) => DEFAULT_PORTS['blob-server'] + offset).join(',');

const StackConfig = Type.Object({
  /** Unset: an embedded PostgreSQL is started. */
  DATABASE_URL: Type.Optional(Env.url()),
  EMBEDDED_PG_PORT: Env.port(5433),
  LOAD_BALANCER_PORT: Env.port(DEFAULT_PORTS['load-balancer']),
  BLOB_SERVER_PORTS: Type.String({
    pattern: PORT_LIST,
    default: BLOB_PORTS,
    description: `a comma-separated list of ports such as ${BLOB_PORTS}`,
  }),
  CACHE_PROXY_PORT: Env.port(DEFAULT_PORTS['cache-proxy']),
  USER_SERVICE_PORT: Env.port(DEFAULT_PORTS['user-service']),
  ANALYTICS_SERVICE_PORT: Env.port(DEFAULT_PORTS['analytics-service']),
  INCREMENTS_SERVICE_PORT: Env.port(DEFAULT_PORTS['increments-service']),
  WOLF_PORT: Env.port(DEFAULT_PORTS['the-wolf']),
  UPSTREAM_URL: Type.Optional(Env.url()),
  LOG_LEVEL: Env.string('info'),
  STACK_DATA_DIR: Env.string('.data'),
  STACK_LOG_DIR: Env.string('.logs'),
  STACK_READY_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'a whole number of seconds, at least 1',
  }),
});

export type StackConfig = Static<typeof StackConfig>;

export function loadStackConfig(repoRoot: string): StackConfig {
  const config = loadConfigOrExit(StackConfig, { dotenvPath: path.join(repoRoot, '.env') });
  const badPort = config.BLOB_SERVER_PORTS.split(',').find(
    (port) => Number(port) < 1 || Number(port) > 65535,
  );
  if (badPort !== undefined) {
    process.stderr.write(
      `Invalid configuration:\n  BLOB_SERVER_PORTS has ${badPort}, not a port from 1 to 65535\n`,
    );
    process.exit(1);
  }
  return config;
}
