// What a web framework costs: a Fastify route against the same route written on Node's bare `http` module.
// Later scenarios (service-kit overhead, the load balancer's proxying) are read against this one.
//
// Both servers run as child processes (bench/fixtures/), one at a time under load, so on a small machine the
// server gets one core and autocannon the other; they are loaded with 10 connections, no pipelining, in
// alternating rounds (ctx.compareLoad) so that noise on a shared machine hits both sides alike.
import { defineScenario, type Row, type ScenarioContext } from '../lib/index.js';

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
  if (Buffer.byteLength(body) !== BODY_BYTES) throw new Error(`sample body is ${body.length} bytes`);
  return body;
}

async function startServer(ctx: ScenarioContext, name: string, script: string): Promise<string> {
  const port = await ctx.freePort();
  const base = `http://127.0.0.1:${port}`;
  await ctx.startProcess({
    name,
    script,
    env: { PORT: String(port), HOST: '127.0.0.1' },
    waitFor: `${base}/hello`,
  });
  return base;
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

export default defineScenario({
  name: 'http-baseline',
  description: 'Fastify 5 routes (GET /hello, POST /echo of 1 KiB JSON), 10 connections.',
  baseline: "the same routes on Node's bare `http` server.",
  async run(ctx) {
    const body = sampleBody();
    const [fastify, bare] = await Promise.all([
      startServer(ctx, 'fastify', 'bench/fixtures/fastify-hello.ts'),
      startServer(ctx, 'bare-http', 'bench/fixtures/bare-http.ts'),
    ]);
    await checkSameAnswers([fastify, bare], body);

    const cases = [
      { name: 'GET /hello', path: '/hello', request: { method: 'GET' as const } },
      {
        name: 'POST /echo 1 KiB JSON',
        path: '/echo',
        request: { method: 'POST' as const, body, headers: { 'content-type': 'application/json' } },
      },
    ];

    const rows: Row[] = [];
    for (const { name, path, request } of cases) {
      ctx.log(`${name}: ${ctx.durationSeconds} s per server in alternating rounds`);
      const { project, baseline } = await ctx.compareLoad({
        label: name,
        project: { url: fastify + path, connections: CONNECTIONS, ...request },
        baseline: { url: bare + path, connections: CONNECTIONS, ...request },
        rounds: ctx.smoke ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
      });
      rows.push(
        {
          case: name,
          metric: 'req/s',
          project: project.requestsPerSecond,
          baseline: baseline.requestsPerSecond,
          higherIsBetter: true,
        },
        {
          case: name,
          metric: 'p50 ms',
          project: project.p50Ms,
          baseline: baseline.p50Ms,
          higherIsBetter: false,
        },
        {
          case: name,
          metric: 'p99 ms',
          project: project.p99Ms,
          baseline: baseline.p99Ms,
          higherIsBetter: false,
        },
      );
    }
    return rows;
  },
});
