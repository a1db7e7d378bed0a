// What `pnpm start` reads from the environment (and the repository's .env), validated like every service's
// configuration: a bad value stops the stack before anything starts, with a message naming the variable.
import path from 'node:path';
import { Env, loadConfigOrExit, Type, type Static } from '@backend-rebase/service-kit';

const PORT_LIST = '^\\d{1,5}(,\\d{1,5})*$';

const StackConfig = Type.Object({
  /** Unset: an embedded PostgreSQL is started. */
  DATABASE_URL: Type.Optional(Env.url()),
  EMBEDDED_PG_PORT: Env.port(5433),
  LOAD_BALANCER_PORT: Env.port(3000),
  BLOB_SERVER_PORTS: Type.String({
    pattern: PORT_LIST,
    default: '3001,3002,3003',
    description: 'a comma-separated list of ports such as 3001,3002,3003',
  }),
  CACHE_PROXY_PORT: Env.port(4242),
  USER_SERVICE_PORT: Env.port(3100),
  ANALYTICS_SERVICE_PORT: Env.port(3200),
  INCREMENTS_SERVICE_PORT: Env.port(3201),
  WOLF_PORT: Env.port(3202),
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
