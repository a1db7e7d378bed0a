// What the user service reads from the environment (and .env), validated once at start-up. Every default is
// here, in the schema.
import { DatabaseTimeoutConfig } from '@backend-rebase/db';
import {
  DEFAULT_PORTS,
  Env,
  loadConfig as loadSettings,
  Type,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['user-service']),
  HOST: Env.host('127.0.0.1'),
  /** A PostgreSQL server: the service uses (and creates) its database `users` there. */
  DATABASE_URL: Type.Optional(Env.url()),
  /** The users database itself; wins over DATABASE_URL. */
  USERS_DATABASE_URL: Type.Optional(Env.url()),
  DB_POOL_SIZE: Env.integer(8, { minimum: 1, maximum: 100 }),
  ...DatabaseTimeoutConfig,
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = StaticDecode<typeof Config>;

/** Reads the settings: throws a ConfigError naming each invalid variable. */
export function loadConfig(options?: LoadConfigOptions): Config {
  return loadSettings(Config, options);
}
