// The service's database at start-up: found from the configuration, brought up to date with migrations/users,
// before the service accepts a request. USERS_DATABASE_URL names the database itself and is used as it is;
// otherwise DATABASE_URL names a server, on which the database `users` is created when missing.
import { databaseUrl, migrate, migrationsDir, prepareDatabase, type Logger } from '@backend-rebase/db';

export const DATABASE_NAME = 'users';

export interface DatabaseSettings {
  DATABASE_URL?: string | undefined;
  USERS_DATABASE_URL?: string | undefined;
}

/** The URL the service will use, or null when neither variable is set. */
export function usersDatabaseUrl(settings: DatabaseSettings): string | null {
  if (settings.USERS_DATABASE_URL) return settings.USERS_DATABASE_URL;
  if (settings.DATABASE_URL) return databaseUrl(settings.DATABASE_URL, DATABASE_NAME);
  return null;
}

/** Creates the database when it may (only on a server URL) and applies its migrations; returns its URL. */
export async function prepareUsersDatabase(settings: DatabaseSettings, logger: Logger): Promise<string> {
  const url = settings.USERS_DATABASE_URL;
  if (url) {
    await migrate({ connectionString: url, directory: migrationsDir(DATABASE_NAME), logger });
    return url;
  }
  if (!settings.DATABASE_URL) throw new Error('neither USERS_DATABASE_URL nor DATABASE_URL is set');
  return prepareDatabase({ serverUrl: settings.DATABASE_URL, database: DATABASE_NAME, logger });
}
