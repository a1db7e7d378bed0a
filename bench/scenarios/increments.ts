// Durable page views per second: 200 clients each posting one view at a time (POST /page-views/single) over
// 1,000 pages, every answer sent only after its view has committed. The project is the increments service as
// `pnpm start` runs it (group commit, defaults); the baseline, in the same run on the same database, is the
// same route with one INSERT … ON CONFLICT per request (bench/fixtures/increments-per-request.ts). A second
// case runs the service with FLUSH_WHEN_IDLE=false, where a flush waits for FLUSH_INTERVAL_MS or
// FLUSH_MAX_KEYS only, to show what that trigger is worth to clients that wait for their answers.
//
// The database is a fresh embedded PostgreSQL (fsync on, synchronous_commit on: a commit is a disk flush), or
// `analytics_bench` on the server of DATABASE_URL.
import { createPool } from '@backend-rebase/db';
import {
  benchDatabase,
  defineScenario,
  loadRows,
  startDatabaseService,
  wrkPath,
  type Row,
  type ScenarioContext,
} from '../lib/index.js';

const CONNECTIONS = 200;
const PAGES = 1000;

export default defineScenario({
  name: 'increments',
  description: `increments-service: POST /page-views/single, ${CONNECTIONS} clients, ${PAGES} pages, answered after commit.`,
  baseline: 'the same route with one INSERT … ON CONFLICT per request (no group commit), same database.',
  async run(ctx) {
    const url = await benchDatabase(ctx, 'analytics', { migrations: 'analytics' });
    const service = 'increments-service';
    const groupCommit = await startDatabaseService(ctx, { service, env: { ANALYTICS_DATABASE_URL: url } });
    const intervalOnly = await startDatabaseService(ctx, {
      service,
      name: 'increments-interval-only',
      env: { ANALYTICS_DATABASE_URL: url, FLUSH_WHEN_IDLE: 'false' },
    });
    const perRequest = await startPerRequest(ctx, url);

    // wrk, a C program, leaves the two cores to the service and the database; autocannon would take one itself.
    const client = wrkPath() ? 'wrk' : 'autocannon';
    ctx.log(`load generator: ${client}`);
    const timestamp = new Date().toISOString();
    const rows: Row[] = [];
    const cases = [
      { name: 'group commit (defaults)', base: groupCommit },
      { name: 'group commit, FLUSH_WHEN_IDLE=false', base: intervalOnly },
    ];
    for (const { name, base } of cases) {
      ctx.log(`${name}: ${ctx.durationSeconds} s against one statement per request, in alternating rounds`);
      const { project, baseline } = await ctx.compareLoad({
        label: name,
        project: viewsTo(base, timestamp, client),
        baseline: viewsTo(perRequest, timestamp, client),
        rounds: ctx.smoke ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
      });
      rows.push(...loadRows(`${name}: views/s`, { project, baseline }));
    }
    await checkNothingLost(ctx, url, groupCommit);
    return rows;
  },
});

/** POSTs of one view each, to a random page of PAGES, stamped with the scenario's start. */
function viewsTo(base: string, timestamp: string, client: 'wrk' | 'autocannon') {
  return {
    url: `${base}/page-views/single`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ page: 'page-PAGE_NUMBER', timestamp }),
    randomKey: { token: 'PAGE_NUMBER', below: PAGES },
    connections: CONNECTIONS,
    client,
  };
}

async function startPerRequest(ctx: ScenarioContext, url: string): Promise<string> {
  const port = await ctx.freePort();
  const base = `http://127.0.0.1:${port}`;
  ctx.log(`starting the one-statement-per-request baseline on ${base}`);
  await ctx.startProcess({
    name: 'increments-per-request',
    script: 'bench/fixtures/increments-per-request.ts',
    env: { ANALYTICS_DATABASE_URL: url, LOGZIO_TOKEN: undefined, PORT: String(port), LOG_LEVEL: 'info' },
    waitFor: `${base}/health`,
  });
  return base;
}

/** The views the service says it committed are all in the table (the table also holds the baseline's). */
async function checkNothingLost(ctx: ScenarioContext, url: string, base: string): Promise<void> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const accepted = Number(/^increments_accepted_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
  const pool = createPool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ views: string }>(
      'SELECT coalesce(sum(views), 0) AS views FROM page_views_hourly',
    );
    const stored = Number(rows[0]?.views);
    if (!(stored >= accepted))
      throw new Error(`the service acknowledged ${accepted} views but the table holds ${stored}`);
    ctx.log(
      `${accepted} views acknowledged by the group-commit service; ${stored} in the table with the baseline's`,
    );
  } finally {
    await pool.end();
  }
}
