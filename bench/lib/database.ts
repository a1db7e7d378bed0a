// The PostgreSQL database a database scenario runs against: on a fresh embedded server in a temporary folder,
// removed afterwards, or — with DATABASE_URL set — `<name>_bench` on that server (created when missing, and
// kept). With `migrations`, the database is brought up to date with migrations/<migrations> first.
import {
  databaseUrl,
  ensureDatabase,
  migrate,
  migrationsDir,
  startEmbeddedPostgres,
} from '@backend-rebase/db';
import type { ScenarioContext } from './scenario.js';

export async function benchDatabase(
  ctx: ScenarioContext,
  name: string,
  options: { migrations?: string } = {},
): Promise<string> {
  let server = process.env.DATABASE_URL;
  const database = server ? `${name}_bench` : name;
  if (server) {
    ctx.log(`using the database ${database} on the server of DATABASE_URL`);
  } else {
    ctx.log('starting an embedded PostgreSQL in a temporary folder');
    const postgres = await startEmbeddedPostgres({
      dataDir: await ctx.tempDir('postgres-'),
      port: await ctx.freePort(),
    });
    ctx.onCleanup(() => postgres.stop());
    server = postgres.serverUrl;
  }
  await ensureDatabase(server, database);
  const url = databaseUrl(server, database);
  if (options.migrations) {
    await migrate({ connectionString: url, directory: migrationsDir(options.migrations) });
  }
  return url;
}
