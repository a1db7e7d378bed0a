// Every database of the project brought up to date in one call: one per folder under migrations/, in name order.
// A database with a variable of its own (USERS_DATABASE_URL, ANALYTICS_DATABASE_URL: the folder's name in upper
// case) is migrated where that variable points and never created; any other is created on the server when
// missing (UTF-8) and migrated there, exactly as the services do at start-up. `pnpm start` and the containers'
// one-shot `migrate` command both run this, so the two cannot drift apart.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { prepareDatabase, redactPassword } from './database.js';
import { assertUtf8Database } from './encoding.js';
import { silentLogger, type Logger } from './logger.js';
import { migrate } from './migrator.js';

interface MigrateAllOptions {
  /** The folder that holds one folder of Flyway migrations per database. */
  migrationsRoot: string;
  /** DATABASE_URL: a PostgreSQL server, where databases without a variable of their own are created. */
  serverUrl?: string | undefined;
  /** Where `<NAME>_DATABASE_URL` variables are read (process.env by default). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Called after each database, e.g. to stop between two of them. */
  onMigrated?: (database: MigratedDatabase) => void;
  /** Checked before each database: true stops the run before it touches the next one. */
  stopped?: () => boolean;
}

interface MigratedDatabase {
  name: string;
  /** The variable whose URL was used, when the database has one of its own. */
  variable?: string;
}

/** The folders under `root` (none when it does not exist), in name order. */
function migrationFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** `USERS_DATABASE_URL` for `users`: the variable that names that database itself. */
function ownDatabaseVariable(name: string): string {
  return `${name.toUpperCase()}_DATABASE_URL`;
}

/**
 * A URL node-postgres can connect to, or an error naming its variable: pg reads `not-a-url` as a host name and
 * fails later with a DNS error that names neither. The services' config schemas refuse such values; the migrate
 * command has no schema, so the check is here, where every URL it uses passes.
 */
function checkedUrl(variable: string, value: string): string {
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    // not a URL at all: refused below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new Error(
      `${variable} must be a PostgreSQL URL such as postgres://user:password@host:5432/database; ` +
        `got "${redactPassword(value)}"`,
    );
  }
  return value;
}

/** Migrates every database under migrationsRoot; rejects on the first failure, naming the database. */
export async function migrateAll(options: MigrateAllOptions): Promise<MigratedDatabase[]> {
  const env = options.env ?? process.env;
  if (options.serverUrl) checkedUrl('DATABASE_URL', options.serverUrl);
  const logger = options.logger ?? silentLogger;
  const done: MigratedDatabase[] = [];
  for (const name of migrationFolders(options.migrationsRoot)) {
    if (options.stopped?.()) break;
    const directory = path.join(options.migrationsRoot, name);
    const variable = ownDatabaseVariable(name);
    const own = env[variable] ? checkedUrl(variable, env[variable]) : undefined;
    if (own) {
      try {
        await assertUtf8Database(own);
        await migrate({ connectionString: own, directory, logger });
      } catch (error) {
        throw new Error(`database ${name} (${variable}): ${(error as Error).message}`, { cause: error });
      }
    } else if (options.serverUrl) {
      await prepareDatabase({
        serverUrl: options.serverUrl,
        database: name,
        migrationsDir: directory,
        logger,
      });
    } else {
      throw new Error(
        `database ${name}: set DATABASE_URL (a PostgreSQL server, where it is created when missing) ` +
          `or ${variable} (the database itself)`,
      );
    }
    const migrated = own ? { name, variable } : { name };
    done.push(migrated);
    options.onMigrated?.(migrated);
  }
  return done;
}
