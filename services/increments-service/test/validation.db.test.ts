// Every rule of the contract's "bad input": a 400 problem+json whose detail names the field, and nothing in the
// table afterwards — a rejected request changes nothing, even when only one of its parts is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './support/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService('validation');
});
afterAll(() => service?.close());

const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const manyPairs = (pairs: number) => {
  const hours: Record<string, number> = {};
  for (let i = 0; i < pairs; i++) {
    const day = String(1 + (Math.floor(i / 24) % 28)).padStart(2, '0');
    const month = String(1 + (Math.floor(i / (24 * 28)) % 12)).padStart(2, '0');
    hours[`${2000 + Math.floor(i / (24 * 28 * 12))}-${month}-${day}_${String(i % 24).padStart(2, '0')}:00`] =
      1;
  }
  return { page: hours };
};

const single: Array<[string, unknown, string]> = [
  ['a missing page', { timestamp: '2025-01-01T00:00:00Z' }, 'page'],
  ['an empty page', { page: '' }, 'page'],
  ['a page of 201 characters', { page: 'x'.repeat(201) }, 'page'],
  ['a page of 201 code points above U+FFFF', { page: '😀'.repeat(201) }, 'page'],
  ['a page with NUL', { page: 'a\u0000b' }, 'page'],
  ['a page with an unpaired surrogate', { page: 'a\ud800b' }, 'page'],
  ['a page that is a number', { page: 12 }, 'page'],
  ['a timestamp without a zone', { page: 'p', timestamp: '2025-01-01T13:45:00' }, 'timestamp'],
  ['a timestamp that does not parse', { page: 'p', timestamp: 'yesterday' }, 'timestamp'],
  ['a timestamp on a day that does not exist', { page: 'p', timestamp: '2025-02-30T10:00:00Z' }, 'timestamp'],
  ['a timestamp as a number', { page: 'p', timestamp: 1735736700000 }, 'timestamp'],
  ['a timestamp more than 1 hour in the future', { page: 'p', timestamp: inHours(1.1) }, 'timestamp'],
  ['a field the contract does not name', { page: 'p', count: 5 }, 'count'],
  ['an array', [{ page: 'p' }], 'body'],
  ['null', null, 'body'],
];

const multi: Array<[string, unknown, string]> = [
  ['a key that is not YYYY-MM-DD_HH:MM', { p: { '2025-01-01T13:00': 1 } }, '2025-01-01T13:00'],
  ['a key on a day that does not exist', { p: { '2025-02-30_13:00': 1 } }, '2025-02-30_13:00'],
  ['a key with hour 24', { p: { '2025-01-01_24:00': 1 } }, '2025-01-01_24:00'],
  [
    'a key more than 1 hour in the future',
    { p: { [inHours(3).slice(0, 13).replace('T', '_') + ':00']: 1 } },
    'future',
  ],
  ['a count of 0', { p: { '2025-01-01_13:00': 0 } }, '2025-01-01_13:00'],
  ['a negative count', { p: { '2025-01-01_13:00': -1 } }, '2025-01-01_13:00'],
  ['a fractional count', { p: { '2025-01-01_13:00': 1.5 } }, '2025-01-01_13:00'],
  ['a count over 1,000,000', { p: { '2025-01-01_13:00': 1_000_001 } }, '2025-01-01_13:00'],
  ['a count as text', { p: { '2025-01-01_13:00': '3' } }, '2025-01-01_13:00'],
  ['an empty page', { '': { '2025-01-01_13:00': 1 } }, 'page'],
  ['a page of 201 characters', { ['y'.repeat(201)]: { '2025-01-01_13:00': 1 } }, 'page'],
  ['a page whose hours are not an object', { p: 5 }, 'p'],
  ['10,001 pairs', manyPairs(10_001), '10000'],
  [
    'one bad key among good ones',
    { good: { '2025-01-01_13:00': 5 }, p: { '2025-01-01_14:00': 1, 'not-a-key': 1 } },
    'not-a-key',
  ],
];

describe('POST /page-views/single refuses', () => {
  it.each(single)('%s', async (_what, body, named) => {
    await expectRefused('/page-views/single', body, named);
  });
});

describe('POST /increments/single refuses', () => {
  it.each(single.slice(0, 3))('%s', async (_what, body, named) => {
    await expectRefused('/increments/single', body, named);
  });
});

describe('POST /page-views/multi refuses', () => {
  it.each(multi)('%s', async (_what, body, named) => {
    await expectRefused('/page-views/multi', body, named);
  });
});

describe('bodies that are not JSON', () => {
  it('answers 400 for broken JSON and 415 for another content type', async () => {
    const broken = await fetch(`${service.url}/page-views/single`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"page": "p"',
    });
    expect(broken.status).toBe(400);
    expect(broken.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const text = await fetch(`${service.url}/page-views/single`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'page=p',
    });
    expect(text.status).toBe(415);
    expect(await count()).toBe(0);
  });
});

describe('the limits themselves are accepted', () => {
  it('takes a page of exactly 200 code points, 10,000 pairs, a count of 1,000,000 and a timestamp 59 minutes ahead', async () => {
    const page = '😀'.repeat(200);
    expect((await service.post('/page-views/single', { page, timestamp: inHours(59 / 60) })).status).toBe(
      200,
    );
    expect((await service.post('/page-views/multi', manyPairs(10_000))).body).toEqual({ accepted: 10_000 });
    expect((await service.post('/page-views/multi', { p: { '2025-01-01_00:00': 1_000_000 } })).status).toBe(
      200,
    );
    const [row] = await service.sql<{ pages: string; views: string }>(
      'SELECT count(DISTINCT page) AS pages, sum(views) AS views FROM page_views_hourly',
    );
    expect(row).toEqual({ pages: '3', views: String(1 + 10_000 + 1_000_000) });
    const [stored] = await service.sql<{ page: string }>(
      'SELECT page FROM page_views_hourly WHERE page LIKE $1',
      ['😀%'],
    );
    expect(stored?.page).toBe(page);
    await service.sql('TRUNCATE page_views_hourly');
  });
});

async function expectRefused(path: string, body: unknown, named: string) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await response.json()) as { status: number; detail: string };
  expect(problem.status).toBe(400);
  expect(problem.detail).toContain(named);
  expect(await count()).toBe(0);
}

async function count(): Promise<number> {
  const [row] = await service.sql<{ rows: string }>('SELECT count(*) AS rows FROM page_views_hourly');
  return Number(row?.rows);
}
