// The two routes every HTTP-overhead scenario measures (GET /hello, POST /echo of 1 KiB JSON) and the way they
// are measured: servers started as child processes (bench/fixtures/), checked to give the same answers, then
// loaded with 10 connections in alternating rounds (ctx.compareLoad) so noise hits both sides alike.
import { startFixture } from './fixture-server.js';
import { loadRows } from './load-rows.js';
import type { Row, ScenarioContext } from './scenario.js';

const CONNECTIONS = 10;

const BODY_BYTES = 1024;

/** A JSON document of exactly 1 KiB, like a typical API request body. */
function sampleBody(): string {
  const items = Array.from({ length: 16 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    qty: i + 1,
    price: 9.99 + i,
  }));
  const doc = { id: '0190f5a2-7c3e-7d4a-9b1e-3f2a1c4d5e6f', customer: 'j***@example.com', items, note: '' };
  doc.note = 'x'.repeat(BODY_BYTES - JSON.stringify(doc).length);
  const body = JSON.stringify(doc);
  if (Buffer.byteLength(body) !== BODY_BYTES)
    throw new Error(`sample body is ${Buffer.byteLength(body)} bytes`);
  return body;
}

/** Starts a fixture server with the two routes; `env` is added to its environment. */
export function startServer(
  ctx: ScenarioContext,
  name: string,
  script: string,
  env: Record<string, string> = {},
): Promise<string> {
  return startFixture(ctx, { name, script, env: { ...env, HOST: '127.0.0.1' }, readyPath: '/hello' });
}

/** Both servers must give the same answers before their speed is compared. */
async function checkSameAnswers(bases: string[], body: string): Promise<void> {
  for (const base of bases) {
    const hello = await fetch(`${base}/hello`);
    const helloText = await hello.text();
    if (hello.status !== 200 || helloText !== '{"hello":"world"}') {
      throw new Error(`${base}/hello answered ${hello.status} ${helloText}`);
    }
    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const echoText = await echo.text();
    if (echo.status !== 200 || echoText !== body)
      throw new Error(`${base}/echo answered ${echo.status} ${echoText.slice(0, 100)}`);
  }
}

/**
 * Loads both servers with the two routes and returns req/s, p50 and p99 rows. With `projectLabel`, each case is
 * named `<route>, <projectLabel>`, for a scenario that puts more than one project against the same baseline.
 */
export async function measureHelloRoutes(
  ctx: ScenarioContext,
  servers: { project: string; baseline: string },
  projectLabel?: string,
): Promise<Row[]> {
  const body = sampleBody();
  await checkSameAnswers([servers.project, servers.baseline], body);
  const cases = [
    { route: 'GET /hello', path: '/hello', request: { method: 'GET' as const } },
    {
      route: 'POST /echo 1 KiB JSON',
      path: '/echo',
      request: { method: 'POST' as const, body, headers: { 'content-type': 'application/json' } },
    },
  ];

  const rows: Row[] = [];
  for (const { route, path, request } of cases) {
    const name = projectLabel === undefined ? route : `${route}, ${projectLabel}`;
    ctx.log(`${name}: ${ctx.durationSeconds} s per server in alternating rounds`);
    const { project, baseline } = await ctx.compareLoad({
      label: name,
      project: { url: servers.project + path, connections: CONNECTIONS, ...request },
      baseline: { url: servers.baseline + path, connections: CONNECTIONS, ...request },
      rounds: ctx.smoke ? 2 : 4,
      warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
    });
    rows.push(...loadRows(name, { project, baseline }));
  }
  return rows;
}
