// What the user service reads from the environment (and .env), validated once at start-up.
import { DatabaseTimeoutConfig } from '@backend-rebase/db';
import { Env, Type, type Static } from '@backend-rebase/service-kit';

export const DEFAULT_POOL_SIZE = 8;

export const Config = Type.Object({
  PORT: Env.port(3100),
  HOST: Env.host('127.0.0.1'),
  /** A PostgreSQL server: the service uses (and creates) its database `users` there. */
  DATABASE_URL: Type.Optional(Env.url()),
  /** The users database itself; wins over DATABASE_URL. */
  USERS_DATABASE_URL: Type.Optional(Env.url()),
  DB_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: DEFAULT_POOL_SIZE,
    description: 'a whole number of connections from 1 to 100',
  }),
  ...DatabaseTimeoutConfig,
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = Static<typeof Config>;
