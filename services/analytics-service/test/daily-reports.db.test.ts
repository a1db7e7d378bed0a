// GET /reports/top and GET /reports/daily/:page: read from the materialized view, so they show what the last
// refresh saw, stamped with when that refresh started.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addViews, refresh, startTestService, type TestService } from './support/test-service.js';

interface Top {
  day: string;
  refreshedAt: string | null;
  data: { page: string; views: number }[];
}
interface Daily {
  page: string;
  refreshedAt: string | null;
  data: { day: string; views: number }[];
}

const DAY = 86_400_000;
let service: TestService;

beforeAll(async () => {
  service = await startTestService('daily');
});
afterAll(() => service.close());

async function get<T>(url: string): Promise<T> {
  const response = await service.app.inject({ url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
}

const today = () => new Date().toISOString().slice(0, 10);
const dayPlus = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

describe('before the first refresh', () => {
  it('has refreshedAt null and nothing in the view', async () => {
    await addViews(service, [['early', '2025-03-01T10:00:00Z', 5]]);
    expect(await get<Top>('/reports/top?day=2025-03-01')).toEqual({
      day: '2025-03-01',
      refreshedAt: null,
      data: [],
    });
    const daily = await get<Daily>('/reports/daily/early?from=2025-03-01&to=2025-03-01');
    expect(daily).toEqual({ page: 'early', refreshedAt: null, data: [{ day: '2025-03-01', views: 0 }] });
  });
});

describe('after a refresh', () => {
  let refreshedAt: string;
  beforeAll(async () => {
    await service.sql('TRUNCATE page_views_hourly');
    await addViews(service, [
      // 2025-03-01: hours at both ends of the UTC day add up; the next day's first hour does not.
      ['a', '2025-03-01T00:00:00Z', 1],
      ['a', '2025-03-01T12:00:00Z', 10],
      ['a', '2025-03-01T23:00:00Z', 100],
      ['a', '2025-03-02T00:00:00Z', 1000],
      ['b', '2025-03-01T05:00:00Z', 111],
      ['c', '2025-03-01T06:00:00Z', 50],
      ['d', '2025-03-01T07:00:00Z', 111], // ties with b: page ascending
      ['a', '2025-03-04T09:00:00Z', 7],
    ]);
    const before = Date.now();
    refreshedAt = await refresh(service);
    expect(Date.parse(refreshedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(refreshedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('gives the top pages by views descending, then page ascending, with refreshedAt', async () => {
    expect(await get<Top>('/reports/top?day=2025-03-01')).toEqual({
      day: '2025-03-01',
      refreshedAt,
      data: [
        { page: 'a', views: 111 },
        { page: 'b', views: 111 },
        { page: 'd', views: 111 },
        { page: 'c', views: 50 },
      ],
    });
    expect((await get<Top>('/reports/top?day=2025-03-01&limit=2')).data).toEqual([
      { page: 'a', views: 111 },
      { page: 'b', views: 111 },
    ]);
    expect((await get<Top>('/reports/top?day=2025-03-02')).data).toEqual([{ page: 'a', views: 1000 }]);
    expect((await get<Top>('/reports/top?day=2025-03-03')).data).toEqual([]);
  });

  it('defaults the top day to today (UTC) and the limit to 10', async () => {
    const day = today();
    await addViews(
      service,
      Array.from({ length: 12 }, (_, i): [string, string, number] => [
        `today-${i}`,
        `${day}T00:00:00Z`,
        i + 1,
      ]),
    );
    await refresh(service);
    const top = await get<Top>('/reports/top');
    expect(top.day).toBe(day);
    expect(top.data).toHaveLength(10);
    expect(top.data[0]).toEqual({ page: 'today-11', views: 12 });
    expect((await get<Top>('/reports/top?limit=100')).data).toHaveLength(12);
  });

  it('gives a page zero-filled days, ascending, over the range asked', async () => {
    const daily = await get<Daily>('/reports/daily/a?from=2025-02-27&to=2025-03-05');
    expect(daily.page).toBe('a');
    expect(daily.refreshedAt).not.toBeNull();
    expect(daily.data).toEqual([
      { day: '2025-02-27', views: 0 },
      { day: '2025-02-28', views: 0 },
      { day: '2025-03-01', views: 111 },
      { day: '2025-03-02', views: 1000 },
      { day: '2025-03-03', views: 0 },
      { day: '2025-03-04', views: 7 },
      { day: '2025-03-05', views: 0 },
    ]);
    expect((await get<Daily>('/reports/daily/a?from=2025-03-02&to=2025-03-02')).data).toEqual([
      { day: '2025-03-02', views: 1000 },
    ]);
  });

  it('covers 366 days at most, leap day included', async () => {
    const year = await get<Daily>('/reports/daily/a?from=2024-03-05&to=2025-03-05');
    expect(year.data).toHaveLength(366);
    expect([year.data[0]?.day, year.data.at(-1)?.day]).toEqual(['2024-03-05', '2025-03-05']);
    expect(year.data.filter((day) => day.views > 0)).toEqual([
      { day: '2025-03-01', views: 111 },
      { day: '2025-03-02', views: 1000 },
      { day: '2025-03-04', views: 7 },
    ]);
    const leapYear = await get<Daily>('/reports/daily/a?from=2024-01-01&to=2024-12-31');
    expect(leapYear.data).toHaveLength(366);
    expect(leapYear.data[59]?.day).toBe('2024-02-29');
  });

  it('defaults to the 30 days that end today; only `to`: the 30 days before; only `from`: up to today', async () => {
    const day = today();
    const last30 = await get<Daily>('/reports/daily/a');
    expect(last30.data).toHaveLength(30);
    expect(last30.data.at(-1)?.day).toBe(day);
    expect(last30.data[0]?.day).toBe(dayPlus(day, -29));

    const endingThen = await get<Daily>('/reports/daily/a?to=2025-03-04');
    expect(endingThen.data).toHaveLength(30);
    expect(endingThen.data[0]?.day).toBe('2025-02-03');
    expect(endingThen.data.at(-1)).toEqual({ day: '2025-03-04', views: 7 });

    const since = await get<Daily>(`/reports/daily/a?from=${dayPlus(day, -2)}`);
    expect(since.data.map((row) => row.day)).toEqual([dayPlus(day, -2), dayPlus(day, -1), day]);
  });

  it('leaves out what was added after the refresh, until the next one', async () => {
    await addViews(service, [['a', '2025-03-03T08:00:00Z', 5]]);
    const range = '/reports/daily/a?from=2025-03-03&to=2025-03-03';
    expect((await get<Daily>(range)).data).toEqual([{ day: '2025-03-03', views: 0 }]);
    const stamp = await refresh(service);
    const after = await get<Daily>(range);
    expect(after).toEqual({ page: 'a', refreshedAt: stamp, data: [{ day: '2025-03-03', views: 5 }] });
    expect(Date.parse(stamp)).toBeGreaterThan(Date.parse(refreshedAt));
  });
});

describe('the daily view', () => {
  it('holds, after each refresh, the sums of the hourly views per page and UTC day', async () => {
    const pages = ['alpha', 'beta', 'gamma', 'delta', 'x1', 'x2'];
    const start = Date.parse('2025-05-30T00:00:00Z'); // across a month's end
    const hourly = fc.uniqueArray(
      fc.record({
        page: fc.constantFrom(...pages),
        hour: fc.integer({ min: 0, max: 5 * 24 - 1 }),
        views: fc.integer({ min: 1, max: 1_000_000 }),
      }),
      { selector: (row) => `${row.page} ${row.hour}`, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(hourly, async (rows) => {
        await service.sql('TRUNCATE page_views_hourly');
        await addViews(
          service,
          rows.map((row) => [row.page, new Date(start + row.hour * 3_600_000).toISOString(), row.views]),
        );
        await refresh(service);

        const expected = new Map<string, number>(); // "page day" → views
        for (const row of rows) {
          const key = `${row.page} ${new Date(start + row.hour * 3_600_000).toISOString().slice(0, 10)}`;
          expected.set(key, (expected.get(key) ?? 0) + row.views);
        }
        const days = Array.from({ length: 5 }, (_, i) =>
          new Date(start + i * DAY).toISOString().slice(0, 10),
        );
        for (const page of pages) {
          const daily = await get<Daily>(`/reports/daily/${page}?from=${days[0]}&to=${days[4]}`);
          expect(daily.data).toEqual(
            days.map((day) => ({ day, views: expected.get(`${page} ${day}`) ?? 0 })),
          );
        }
        for (const day of days) {
          const top = await get<Top>(`/reports/top?day=${day}&limit=100`);
          const want = pages
            .flatMap((page) => {
              const views = expected.get(`${page} ${day}`);
              return views === undefined ? [] : [{ page, views }];
            })
            .sort((x, y) => y.views - x.views || (x.page < y.page ? -1 : 1));
          expect(top.data).toEqual(want);
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe('invalid parameters', () => {
  it.each([
    ['/reports/top?day=2025-02-30', 'querystring/day must match format "date"'],
    ['/reports/top?day=2025-13-01', 'querystring/day must match format "date"'],
    ['/reports/top?day=20250301', 'querystring/day must match format "date"'],
    ['/reports/top?day=today', 'querystring/day must match format "date"'],
    ['/reports/top?day=1969-12-31', 'querystring/day must be 1970-01-01 or later'],
    ['/reports/top?limit=0', 'querystring/limit must be >= 1'],
    ['/reports/top?limit=101', 'querystring/limit must be <= 100'],
    ['/reports/top?limit=ten', 'querystring/limit must be integer'],
    ['/reports/daily/a?from=2025-02-29', 'querystring/from must match format "date"'],
    ['/reports/daily/a?to=2025-04-31', 'querystring/to must match format "date"'],
    ['/reports/daily/a?from=0001-01-01&to=0001-01-02', 'querystring/from must be 1970-01-01 or later'],
    [
      '/reports/daily/a?from=2025-03-02&to=2025-03-01',
      'querystring/from, querystring/to: from (2025-03-02) is after to (2025-03-01)',
    ],
    [
      '/reports/daily/a?from=2024-03-04&to=2025-03-05',
      'querystring/from, querystring/to: from 2024-03-04 to 2025-03-05 is 367 days; a report covers at most 366',
    ],
    ['/reports/daily/a?from=2099-01-01', 'querystring/from: from (2099-01-01) is after to ('],
    [`/reports/daily/${'p'.repeat(201)}`, 'params/page must NOT have more than 200 characters'],
  ])('%s → 400 problem+json naming the parameter', async (url, detail) => {
    const response = await service.app.inject({ url });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json<{ detail: string }>().detail).toContain(detail);
  });
});
