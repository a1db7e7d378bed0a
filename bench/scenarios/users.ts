// The user service under load, 64 clients at a time: GET /users/:email and the upsert (POST /users of an
// existing user), each compared with GET /health on the same process. /health goes through the same HTTP server
// and the same service kit (request id, log line, metrics) but never reaches the database, so the ratio is the
// share of the service's plain HTTP throughput left once a request does its SQL.
//
// The service runs as a user would run it (src/server.ts, its environment, LOG_LEVEL=info), with the pool size
// it defaults to; DB_POOL_SIZE in the environment tries another. Its database is a fresh embedded PostgreSQL in
// a temporary folder, removed afterwards; with DATABASE_URL set, the database `users_bench` on that server
// instead (created when missing, and kept).
//
// GET is measured for one user, as a client polling it would ask, and for users chosen at random, so requests
// that arrive together ask for different rows (the service batches concurrent lookups; see users/user-store.ts).
//
// autocannon sends one fixed request per case, so its upsert updates the same row every time: each request
// waits for the previous one's row lock and commit, the hot-key worst case. Upserts of different users are
// measured as well, as batches of 64 concurrent fetch() calls each naming another user, against batches of 64
// GET /health; that gives requests/s but no latency percentiles.
import { benchDatabase, defineScenario, loadRows, startDatabaseService, type Row } from '../lib/index.js';

const CONNECTIONS = 64;
/** Stands for the user's number in a URL; each request names another user (loadTest's randomKey). */
const USER_TOKEN = 'USER_NUMBER';

export default defineScenario({
  name: 'users',
  description: `user-service: GET /users/:email and POST /users (upserts of existing users), ${CONNECTIONS} clients, PostgreSQL.`,
  baseline: 'GET /health on the same service process (HTTP and the service kit, no database).',
  async run(ctx) {
    const url = await benchDatabase(ctx, 'users');
    const base = await startDatabaseService(ctx, {
      service: 'user-service',
      env: { USERS_DATABASE_URL: url },
    });

    const users = ctx.smoke ? 200 : 10_000;
    ctx.log(`creating ${users} users`);
    await createUsers(base, users);
    const email = userEmail(Math.floor(users / 2));
    const json = { 'content-type': 'application/json' };
    const cases = [
      { name: 'GET /users/:email', target: { url: `${base}/users/${encodeURIComponent(email)}` } },
      {
        name: `GET /users/:email, ${users.toLocaleString('en-US')} different users`,
        target: {
          url: `${base}/users/${encodeURIComponent(userEmail(USER_TOKEN))}`,
          randomKey: { token: USER_TOKEN, below: users },
        },
      },
      {
        name: 'POST /users, one user (hot row)',
        target: {
          url: `${base}/users`,
          method: 'POST' as const,
          headers: json,
          body: JSON.stringify({ email, full_name: 'Bench User' }),
        },
      },
    ];

    const rows: Row[] = [];
    for (const { name, target } of cases) {
      ctx.log(`${name}: ${ctx.durationSeconds} s against GET /health, in alternating rounds`);
      const { project, baseline } = await ctx.compareLoad({
        label: name,
        project: { ...target, connections: CONNECTIONS },
        baseline: { url: `${base}/health`, connections: CONNECTIONS },
        rounds: ctx.smoke ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
      });
      rows.push(...loadRows(name, { project, baseline }));
    }

    const spread = `POST /users, ${CONNECTIONS} different users at a time`;
    ctx.log(`${spread}: ${ctx.durationSeconds} s against GET /health, in alternating rounds`);
    let nextUser = 0;
    const { project, baseline } = await ctx.compareOps({
      label: spread,
      project: concurrently(() => {
        const index = nextUser++ % users;
        return post(base, { email: userEmail(index), full_name: `Bench User ${index}` });
      }),
      baseline: concurrently(() => fetch(`${base}/health`)),
      rounds: ctx.smoke ? 2 : 4,
      warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
    });
    rows.push({
      case: spread,
      metric: 'req/s',
      project: project.opsPerSecond * CONNECTIONS,
      baseline: baseline.opsPerSecond * CONNECTIONS,
      higherIsBetter: true,
    });
    return rows;
  },
});

function userEmail(index: number | string): string {
  return `bench-user-${index}@example.com`;
}

function post(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** One operation of CONNECTIONS requests at once; any answer but a 2xx fails the scenario. */
function concurrently(request: () => Promise<Response>): () => Promise<void> {
  return async () => {
    const responses = await Promise.all(Array.from({ length: CONNECTIONS }, request));
    for (const response of responses) {
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${response.url} answered ${response.status}`);
    }
  };
}

/** Creates (or, on a reused database, updates) users 0 … count-1 through the API, 32 requests at a time. */
async function createUsers(base: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const response = await post(base, { email: userEmail(index), full_name: `Bench User ${index}` });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`POST /users answered ${response.status} while creating the users`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}
