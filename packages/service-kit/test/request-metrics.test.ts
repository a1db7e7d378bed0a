import { Counter, Histogram, Registry } from 'prom-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../src/request-metrics.js';

type Observation = { method: string; route: string; status: number; seconds: number };

/** What prom-client's own Counter and Histogram, as the kit made them before, print for the observations. */
async function byPromClient(observations: Observation[]): Promise<{ text: string; json: unknown }> {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests in seconds, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  for (const { method, route, status, seconds } of observations) {
    const labels = { method, route, status_code: String(status) };
    requests.labels(labels).inc();
    duration.labels(labels).observe(seconds);
  }
  return { text: await registry.metrics(), json: await registry.getMetricsAsJSON() };
}

async function byRequestMetrics(observations: Observation[]): Promise<{ text: string; json: unknown }> {
  const registry = new Registry();
  const metrics = new RequestMetrics(registry);
  const series = new Map<string, ReturnType<RequestMetrics['seriesOf']>>();
  for (const { method, route, status, seconds } of observations) {
    const key = `${method} ${route} ${status}`;
    let one = series.get(key);
    if (one === undefined) {
      one = metrics.seriesOf(method, route, status);
      series.set(key, one);
    }
    one.observe(seconds);
  }
  return { text: await registry.metrics(), json: await registry.getMetricsAsJSON() };
}

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

describe('RequestMetrics', () => {
  it('prints what prom-client printed for the same requests: text and JSON, bounds and +Inf included', async () => {
    const observations: Observation[] = [
      ...BOUNDS.map((seconds) => ({ method: 'GET', route: '/items/:id', status: 200, seconds })),
      { method: 'GET', route: '/items/:id', status: 404, seconds: 0 },
      { method: 'POST', route: '/echo', status: 200, seconds: 10.0001 },
      { method: 'GET', route: 'unmatched', status: 404, seconds: 0.00031 },
      { method: 'HEAD', route: '/items/:id', status: 200, seconds: 0.1 + 0.2 },
      { method: 'GET', route: '/items/:id', status: 200, seconds: 0.0050001 },
      { method: 'GET', route: '/a"b\\c', status: 500, seconds: 1e-9 },
    ];
    const expected = await byPromClient(observations);
    expect(expected.text).toContain('le="+Inf"');
    expect(await byRequestMetrics(observations)).toEqual(expected);
  });

  it('prints nothing of its own before the first request, as prom-client', async () => {
    expect(await byRequestMetrics([])).toEqual(await byPromClient([]));
  });

  it('matches prom-client on any sequence of requests', async () => {
    const observation = fc.record({
      method: fc.constantFrom('GET', 'POST', 'HEAD'),
      route: fc.constantFrom('/items/:id', '/echo', 'unmatched'),
      status: fc.constantFrom(200, 204, 404, 500),
      seconds: fc.oneof(fc.constantFrom(...BOUNDS), fc.double({ min: 0, max: 20, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        expect(await byRequestMetrics(observations)).toEqual(await byPromClient(observations));
      }),
      { numRuns: 200 },
    );
  });
});
