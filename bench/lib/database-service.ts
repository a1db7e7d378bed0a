// A database service (user-service, increments-service, analytics-service) as `pnpm start` would run it:
// src/server.ts in its own folder, where no .env can point it at another database or ship its logs, on a free
// port, given its database by URL. Resolves with the base URL once /ready answers.
import { join } from 'node:path';
import type { ScenarioContext } from './scenario.js';

export interface DatabaseServiceOptions {
  /** The folder under services/. */
  service: string;
  /** Names the process in logs; default the service. */
  name?: string;
  /** Its environment: the database variable (e.g. ANALYTICS_DATABASE_URL) and any setting to try. */
  env: Record<string, string>;
}

export async function startDatabaseService(
  ctx: ScenarioContext,
  { service, name = service, env }: DatabaseServiceOptions,
): Promise<string> {
  const port = await ctx.freePort();
  const base = `http://127.0.0.1:${port}`;
  ctx.log(`starting ${name} on ${base}`);
  const serviceDir = join('services', service);
  await ctx.startProcess({
    name,
    script: join(serviceDir, 'src', 'server.ts'),
    cwd: join(ctx.rootDir, serviceDir),
    env: {
      DATABASE_URL: undefined,
      LOGZIO_TOKEN: undefined,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    waitFor: `${base}/ready`,
    waitTimeoutMs: 120_000,
  });
  return base;
}
