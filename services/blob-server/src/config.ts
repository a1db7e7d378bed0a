// The blob server's settings, from the environment (and .env), with the defaults of docs/blob-service.md.
import { hostname } from 'node:os';
import path from 'node:path';
import { tombstoneTtlProblem } from '@backend-rebase/blob-contract';
import {
  ConfigError,
  DEFAULT_PORTS,
  Env,
  Type,
  loadConfig as loadSettings,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

/** The machine's host name as a node name (1..50 of A-Z a-z 0-9 _ -): unique per container under compose. */
function defaultNodeName(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 50) || 'blob-server'
  );
}

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['blob-server']),
  HOST: Env.host('0.0.0.0'),
  NODE_NAME: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,50}$',
    default: defaultNodeName(),
    description: '1 to 50 characters of A-Z a-z 0-9 _ -',
  }),
  /** default ./data/<NODE_NAME> */
  DATA_DIR: Env.optionalString(),
  MAX_LENGTH: Env.bytes('10MiB'),
  MAX_DISK_QUOTA: Env.bytes('1GiB'),
  MAX_HEADER_LENGTH: Env.integer(100, { minimum: 1 }),
  MAX_HEADER_COUNT: Env.integer(20, { minimum: 1 }),
  // A record's file name is the id, and file names stop at 255 bytes.
  MAX_ID_LENGTH: Env.integer(200, { minimum: 1, maximum: 255 }),
  MAX_BLOBS_IN_FOLDER: Env.integer(10_000, { minimum: 1 }),
  // Deletes of ids the node never held each leave a tombstone; this many at most (the delete of a stored blob
  // is never refused for it). Tombstones have their own folders, so they never take a blob's room.
  MAX_TOMBSTONES: Env.integer(100_000, { minimum: 1 }),
  FSYNC: Env.boolean(true),
  TOMBSTONE_TTL: Env.duration('7d'),
  LOAD_BALANCER_URL: Type.Optional(Env.url()),
  HEARTBEAT_INTERVAL_MS: Env.integer(10_000, { minimum: 100 }),
  /** default: the machine's host name */
  ADVERTISED_HOST: Type.Optional(
    Type.String({
      pattern: '^(?!0\\.0\\.0\\.0$|::$|\\[::\\]$)[^\\s/]+$',
      description: 'a host name or address the load balancer can reach (not 0.0.0.0 or ::)',
    }),
  ),
  INTERNAL_TOKEN: Env.optionalString(),
});

/** The settings with DATA_DIR resolved (relative paths from the working directory). */
export type Config = StaticDecode<typeof Config> & { DATA_DIR: string };

/** Reads the settings, and the rules the schema cannot express: throws a ConfigError naming each one broken. */
export function loadConfig(options?: LoadConfigOptions): Config {
  const settings = loadSettings(Config, options);
  const ttlProblem = tombstoneTtlProblem(settings.TOMBSTONE_TTL);
  if (ttlProblem !== undefined) throw new ConfigError([ttlProblem]);
  return { ...settings, DATA_DIR: path.resolve(settings.DATA_DIR ?? path.join('data', settings.NODE_NAME)) };
}
