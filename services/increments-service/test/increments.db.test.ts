// Counting through the real HTTP endpoints into PostgreSQL: every acknowledged view is in the table exactly
// once, in the UTC hour its timestamp names, whatever the concurrency.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './support/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService('counts');
});
afterAll(() => service?.close());
beforeEach(() => service.sql('TRUNCATE page_views_hourly'));

describe('counting', () => {
  it('counts 1,000 concurrent single views of one page and hour exactly, in far fewer flushes', async () => {
    const flushesBefore = await flushCount();
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () =>
        service.post('/page-views/single', { page: 'home', timestamp: '2025-01-01T13:45:00Z' }),
      ),
    );
    expect(answers.every((answer) => answer.status === 200 && answer.body.accepted === 1)).toBe(true);
    expect(await service.counts()).toEqual({ 'home 2025-01-01T13:00:00.000Z': 1000 });
    expect((await flushCount()) - flushesBefore).toBeLessThan(500);
  });

  it('keeps every count exact under a mixed load of single and multi requests over many pages and hours', async () => {
    const expected: Record<string, number> = {};
    const count = (page: string, hourIso: string, views: number) => {
      const key = `${page} ${hourIso}`;
      expected[key] = (expected[key] ?? 0) + views;
    };
    const requests: Array<Promise<{ status: number }>> = [];
    for (let i = 0; i < 600; i++) {
      const page = `page-${i % 37}`;
      const hour = String(i % 24).padStart(2, '0');
      count(page, `2025-03-0${1 + (i % 3)}T${hour}:00:00.000Z`, 1);
      const path = i % 2 === 0 ? '/page-views/single' : '/increments/single';
      requests.push(
        service.post(path, {
          page,
          timestamp: `2025-03-0${1 + (i % 3)}T${hour}:${String(i % 60).padStart(2, '0')}:07.5Z`,
        }),
      );
    }
    for (let i = 0; i < 40; i++) {
      const body: Record<string, Record<string, number>> = {};
      for (let j = 0; j < 25; j++) {
        const page = `page-${(i * 7 + j) % 37}`;
        const hour = String((i + j) % 24).padStart(2, '0');
        body[page] ??= {};
        body[page][`2025-03-02_${hour}:30`] = (body[page][`2025-03-02_${hour}:30`] ?? 0) + i + j + 1;
      }
      for (const [page, hours] of Object.entries(body)) {
        for (const [key, views] of Object.entries(hours))
          count(page, `2025-03-02T${key.slice(11, 13)}:00:00.000Z`, views);
      }
      requests.push(service.post('/page-views/multi', body));
    }
    const answers = await Promise.all(requests);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(await service.counts()).toEqual(expected);
  });

  it('answers a multi request with the number of views it added', async () => {
    const answer = await service.post('/page-views/multi', {
      home: { '2025-01-01_13:00': 3, '2025-01-01_14:59': 2 },
      about: { '2025-01-01_13:15': 1_000_000 },
    });
    expect(answer).toEqual({ status: 200, body: { accepted: 1_000_005 } });
    expect(await service.counts()).toEqual({
      'about 2025-01-01T13:00:00.000Z': 1_000_000,
      'home 2025-01-01T13:00:00.000Z': 3,
      'home 2025-01-01T14:00:00.000Z': 2,
    });
  });

  it('accepts an empty multi request as zero views', async () => {
    expect(await service.post('/page-views/multi', {})).toEqual({ status: 200, body: { accepted: 0 } });
  });
});

describe('hours', () => {
  it('puts timestamps with offsets in their UTC hour', async () => {
    await service.post('/page-views/single', { page: 'p', timestamp: '2025-01-01T13:45:00+02:00' });
    await service.post('/page-views/single', { page: 'p', timestamp: '2025-01-01T00:30:00+05:30' });
    await service.post('/page-views/single', { page: 'p', timestamp: '2024-12-31T20:10:00-03:00' });
    expect(await service.counts()).toEqual({
      'p 2024-12-31T19:00:00.000Z': 1,
      'p 2024-12-31T23:00:00.000Z': 1,
      'p 2025-01-01T11:00:00.000Z': 1,
    });
  });

  it('puts 23:59:59.999Z and the next 00:00:00.000Z in different buckets', async () => {
    await service.post('/page-views/single', { page: 'p', timestamp: '2025-01-01T23:59:59.999Z' });
    await service.post('/page-views/single', { page: 'p', timestamp: '2025-01-02T00:00:00.000Z' });
    expect(await service.counts()).toEqual({
      'p 2025-01-01T23:00:00.000Z': 1,
      'p 2025-01-02T00:00:00.000Z': 1,
    });
  });

  it('reads multi keys as UTC (the service runs its sessions at +13:45)', async () => {
    await service.post('/page-views/multi', { p: { '2025-06-30_23:59': 4 } });
    const [row] = await service.sql<{ utc: string }>(
      "SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS utc FROM page_views_hourly",
    );
    expect(row?.utc).toBe('2025-06-30 23:00');
  });

  it('counts a view without a timestamp in the current UTC hour', async () => {
    const before = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    expect(await service.post('/page-views/single', { page: 'now' })).toEqual({
      status: 200,
      body: { accepted: 1 },
    });
    const after = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const [key] = Object.keys(await service.counts());
    expect([before, after].map((hour) => `now ${new Date(hour).toISOString()}`)).toContain(key);
  });
});

describe('metrics', () => {
  it('counts committed views and flushes, and the keys per flush', async () => {
    await service.post('/page-views/multi', { m: { '2025-01-01_01:00': 7 } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^increments_accepted_total \d+/m);
    expect(metrics).toMatch(/^increments_flushes_total\{outcome="committed"\} \d+/m);
    expect(metrics).toMatch(/^increments_batch_keys_count \d+/m);
    expect(metrics).toMatch(/^increments_flush_seconds_count \d+/m);
    expect(metrics).toMatch(/^db_pool_waiting 0$/m);
  });
});

async function flushCount(): Promise<number> {
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  return Number(/^increments_flushes_total\{outcome="committed"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}
