// GET /report/:page — the complete UTC hours before the hour that contains `now`, zero-filled, in either order —
// and every way its parameters can be wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOURLY_SQL } from '../src/reports/report-store.js';
import { addViews, startTestService, type TestService } from './support/test-service.js';

interface Hour {
  h: string;
  v: number;
}

const HOUR = 3_600_000;
let service: TestService;

// Views of `home` around the turn of 2025-01-01 to 2025-01-02, for now = 2025-01-02T02:30Z. The window is
// 2025-01-01T02:00Z to 2025-01-02T01:00Z; the hours on either side of it must not show up.
const HOME: [string, number][] = [
  ['2025-01-01T01:00:00Z', 7], // one hour before the window
  ['2025-01-01T02:00:00Z', 3], // its first hour
  ['2025-01-01T13:00:00Z', 5],
  ['2025-01-01T23:00:00Z', 11],
  ['2025-01-02T00:00:00Z', 13], // the next UTC day
  ['2025-01-02T01:00:00Z', 17], // its last hour
  ['2025-01-02T02:00:00Z', 99], // the hour containing now: still counting, never reported
  ['2025-01-02T03:00:00Z', 100],
];

beforeAll(async () => {
  service = await startTestService('hourly');
  await addViews(service, [
    ...HOME.map(([hour, views]): [string, string, number] => ['home', hour, views]),
    // Another page in the same hours, and pages whose names sort next to it, must not leak in.
    ['home2', '2025-01-01T13:00:00Z', 1000],
    ['hom', '2025-01-01T13:00:00Z', 1000],
    ['/blog/post-1', '2025-01-01T13:00:00Z', 4],
  ]);
});
afterAll(() => service.close());

async function report(query: string, page = 'home'): Promise<Hour[]> {
  const response = await service.app.inject({ url: `/report/${encodeURIComponent(page)}${query}` });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.json<{ data: Hour[] }>().data;
}

/** The 24 hours ending with 2025-01-02T01:00Z, with HOME's views in them. */
function expectedWindow(): Hour[] {
  const views = new Map(HOME.map(([hour, count]) => [Date.parse(hour), count]));
  const first = Date.parse('2025-01-01T02:00:00Z');
  return Array.from({ length: 24 }, (_, index) => {
    const hour = first + index * HOUR;
    return { h: new Date(hour).toISOString(), v: views.get(hour) ?? 0 };
  });
}

describe('GET /report/:page', () => {
  it('gives the 24 complete hours before the hour of now, zero-filled, oldest first', async () => {
    const data = await report('?now=2025-01-02T02:30:00Z');
    expect(data).toEqual(expectedWindow());
    expect(data[0]).toEqual({ h: '2025-01-01T02:00:00.000Z', v: 3 });
    expect(data.at(-1)).toEqual({ h: '2025-01-02T01:00:00.000Z', v: 17 });
    expect(data.filter((hour) => hour.v === 0)).toHaveLength(24 - 5);
    expect(typeof data[0]?.v).toBe('number');
  });

  it('treats now exactly on the hour like any moment of that hour', async () => {
    expect(await report('?now=2025-01-02T02:00:00Z')).toEqual(expectedWindow());
    expect(await report('?now=2025-01-02T02:59:59.999Z')).toEqual(expectedWindow());
  });

  it('moves the window by one hour a millisecond before the hour', async () => {
    const data = await report('?now=2025-01-02T01:59:59.999Z');
    expect(data[0]).toEqual({ h: '2025-01-01T01:00:00.000Z', v: 7 });
    expect(data.at(-1)).toEqual({ h: '2025-01-02T00:00:00.000Z', v: 13 });
  });

  it('gives one hour with take=1, the one just before the hour of now', async () => {
    expect(await report('?now=2025-01-02T02:30:00Z&take=1')).toEqual([
      { h: '2025-01-02T01:00:00.000Z', v: 17 },
    ]);
    expect(await report('?now=2025-01-02T02:30:00Z&take=24')).toEqual(expectedWindow());
    expect(await report('?now=2025-01-02T02:30:00Z&take=3')).toEqual(expectedWindow().slice(-3));
  });

  it('gives the newest hour first with order=desc, in any case', async () => {
    const descending = expectedWindow().reverse();
    for (const order of ['desc', 'DESC', 'Desc']) {
      expect(await report(`?now=2025-01-02T02:30:00Z&order=${order}`)).toEqual(descending);
    }
    for (const order of ['asc', 'ASC', 'aSc']) {
      expect(await report(`?now=2025-01-02T02:30:00Z&order=${order}`)).toEqual(expectedWindow());
    }
    expect(await report('?now=2025-01-02T02:30:00Z&order=desc&take=2')).toEqual(descending.slice(0, 2));
  });

  it('reads now in any offset, and an unencoded + (a space once decoded) as +', async () => {
    const window = expectedWindow();
    expect(await report('?now=2025-01-02T03:30:00%2B01:00')).toEqual(window);
    expect(await report('?now=2025-01-02T03:30:00+01:00')).toEqual(window);
    expect(await report('?now=2025-01-01T21:30:00-05:00')).toEqual(window);
    expect(await report('?now=2025-01-02t02:30:00.123456z')).toEqual(window);
  });

  it('answers a future now with hours that simply have no views yet', async () => {
    const data = await report('?now=2030-06-01T00:00:00Z');
    expect(data).toHaveLength(24);
    expect(data.every((hour) => hour.v === 0)).toBe(true);
    expect(data.at(-1)?.h).toBe('2030-05-31T23:00:00.000Z');
  });

  it('defaults now to the current time, leaving the current hour out', async () => {
    const current = Math.floor(Date.now() / HOUR) * HOUR;
    await addViews(service, [
      ['live', new Date(current - HOUR).toISOString(), 2],
      ['live', new Date(current).toISOString(), 50],
    ]);
    const data = await report('', 'live');
    // Should the hour turn during the test, everything moves one place; the views remain in the window.
    const last = data.at(-1);
    expect(data).toHaveLength(24);
    if (last?.h === new Date(current - HOUR).toISOString()) expect(last.v).toBe(2);
    expect(data.map((hour) => hour.v)).not.toContain(50);
  });

  it('takes any page name, encoded in the path', async () => {
    const data = await report('?now=2025-01-02T00:00:00Z', '/blog/post-1');
    expect(data.find((hour) => hour.h === '2025-01-01T13:00:00.000Z')?.v).toBe(4);
    const longest = '😀'.repeat(200);
    await addViews(service, [[longest, '2025-01-01T13:00:00Z', 6]]);
    const long = await report('?now=2025-01-01T14:00:00Z&take=1', longest);
    expect(long).toEqual([{ h: '2025-01-01T13:00:00.000Z', v: 6 }]);
    expect(await report('?now=2025-01-02T02:30:00Z', 'never-viewed')).toEqual(
      expectedWindow().map((hour) => ({ ...hour, v: 0 })),
    );
  });

  it('reads at most take index entries of the primary key, however large the table', async () => {
    await service.sql(`
      INSERT INTO page_views_hourly (page, hour, views)
      SELECT 'bulk-' || p, timestamptz '2024-12-01T00:00:00Z' + h * interval '1 hour', 1
      FROM generate_series(1, 50) AS p, generate_series(1, 100) AS h`);
    await service.sql('ANALYZE page_views_hourly');
    const statement = HOURLY_SQL.replace('$1', "'bulk-7'")
      .replace('$2', "'2024-12-02T00:00:00Z'")
      .replace('$3', "'2024-12-03T00:00:00Z'");
    const [row] = await service.sql<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${statement}`);
    const plan = JSON.stringify(row?.['QUERY PLAN']);
    expect(plan).toContain('"Index Name":"page_views_hourly_pkey"');
    expect(plan).toMatch(/"Index Cond":"\(\(\(page\)::text = 'bulk-7'::text\) AND \(hour >= /);
    expect(plan).not.toContain('Seq Scan');
  });
});

describe('GET /report/:page with invalid parameters', () => {
  const cases: [string, string, string][] = [
    ['take=0', '?take=0', 'querystring/take must be >= 1'],
    ['take=25', '?take=25', 'querystring/take must be <= 24'],
    ['take=abc', '?take=abc', 'querystring/take must be integer'],
    ['take=2.5', '?take=2.5', 'querystring/take must be integer'],
    ['take=', '?take=', 'querystring/take'],
    ['order=up', '?order=up', 'querystring/order must be one of "asc", "desc"'],
    ['order=', '?order=', 'querystring/order'],
    ['now without a zone', '?now=2025-01-01T13:00:00', 'querystring/now must match format "date-time"'],
    ['now as a date only', '?now=2025-01-01', 'querystring/now must match format "date-time"'],
    ['now as words', '?now=yesterday', 'querystring/now must match format "date-time"'],
    ['now as epoch seconds', '?now=1735736400', 'querystring/now must match format "date-time"'],
    ['now on February 30th', '?now=2025-02-30T00:00:00Z', 'querystring/now must match format "date-time"'],
    ['now at hour 24', '?now=2025-01-01T24:00:00Z', 'querystring/now must match format "date-time"'],
    ['now before 1970', '?now=1969-12-31T23:59:59Z', 'querystring/now must be 1970-01-01T00:00:00Z or later'],
    [
      'now in year 0050',
      '?now=0050-01-01T00:00:00Z',
      'querystring/now must be 1970-01-01T00:00:00Z or later',
    ],
  ];

  it.each(cases)('%s → 400 problem+json naming the parameter', async (_name, query, detail) => {
    const response = await service.app.inject({ url: `/report/home${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(response.json<{ detail: string }>().detail).toContain(detail);
  });

  it.each([
    ['an empty page', '/report/', 'params/page must NOT have fewer than 1 characters'],
    ['a page of 201 characters', `/report/${'p'.repeat(201)}`, 'params/page must NOT have more than 200'],
    [
      'a page of 201 emoji',
      `/report/${encodeURIComponent('😀'.repeat(201))}`,
      'params/page must NOT have more than 200',
    ],
    ['a page with NUL', '/report/a%00b', 'params/page must match pattern'],
  ])('%s → 400 naming the page', async (_name, url, detail) => {
    const response = await service.app.inject({ url });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json<{ detail: string }>().detail).toContain(detail);
  });
});
