import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

const apps: Service[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(): Promise<Service> {
  const app = await buildApp({ logger: captureLogger().logger });
  apps.push(app);
  return app;
}

async function scrape(app: Service): Promise<string> {
  const response = await app.inject({ url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body;
}

describe('GET /metrics', () => {
  it('counts requests by method, route template and status code', async () => {
    const app = await start();
    await app.inject({ url: '/items/abc' });
    await app.inject({ url: '/items/def' });
    await app.inject({ url: '/items/missing' });

    const text = await scrape(app);

    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status_code="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status_code="404"} 1');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/items\/:id",status_code="200"\}/,
    );
    expect(text).not.toContain('/items/abc');
  });

  it('keeps each method and status code of a route apart, durations included', async () => {
    const app = await start();
    await app.inject({ url: '/items/abc' });
    await app.inject({ method: 'HEAD', url: '/items/abc' });
    await app.inject({ url: '/items/missing' });
    await app.inject({ url: '/items/def' });

    const text = await scrape(app);

    expect(text).toContain('http_requests_total{method="HEAD",route="/items/:id",status_code="200"} 1');
    for (const [status, count] of [
      ['200', 2],
      ['404', 1],
    ] as const) {
      const series = `method="GET",route="/items/:id",status_code="${status}"`;
      expect(text).toContain(`http_requests_total{${series}} ${count}`);
      expect(text).toContain(`http_request_duration_seconds_count{${series}} ${count}`);
      expect(text).toContain(`http_request_duration_seconds_bucket{le="+Inf",${series}} ${count}`);
    }
  });

  it('puts every unmatched request under one label', async () => {
    const app = await start();
    for (const path of ['/a', '/b', '/c/d']) await app.inject({ url: path });

    const text = await scrape(app);

    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status_code="404"} 3');
    expect(text).not.toMatch(/route="\/(a|b|c)/);
  });

  it('includes the default process metrics', async () => {
    expect(await scrape(await start())).toContain('process_cpu_user_seconds_total');
  });

  it('gives each app its own registry: a second app in the same process works', async () => {
    const first = await start();
    const second = await start();
    await first.inject({ url: '/items/1' });

    expect(await scrape(second)).not.toContain('route="/items/:id"');
    expect(await scrape(first)).toContain('route="/items/:id"');
  });

  it('exposes the registry for a service’s own metrics', async () => {
    const app = await start();
    const stored = new Counter({
      name: 'blobs_stored_total',
      help: 'Blobs stored',
      registers: [app.metrics.registry],
    });
    stored.inc(3);

    expect(await scrape(app)).toContain('blobs_stored_total 3');
  });
});
