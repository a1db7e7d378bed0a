// A page name outside ASCII through the increments service into PostgreSQL: accepted, flushed and stored as the
// same characters whatever the locale the tests run under (CI runs the database tests under LC_ALL=C, where a
// server initialised by default is SQL_ASCII and the 200-character limit of the table counts bytes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './support/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService('utf8');
});
afterAll(() => service?.close());

describe('a page name of 200 code points in several scripts', () => {
  it('is counted, and stored as 200 characters', async () => {
    const page = [...'Главная-页面-ページ-😀'.repeat(13)].slice(0, 200).join('');
    expect([...page]).toHaveLength(200);

    const answer = await service.post('/page-views/single', { page, timestamp: '2025-01-01T13:45:00Z' });
    expect(answer).toEqual({ status: 200, body: { accepted: 1 } });

    expect(await service.counts()).toEqual({ [`${page} 2025-01-01T13:00:00.000Z`]: 1 });
    expect(
      await service.sql(
        'SELECT length(page) AS characters, octet_length(page) AS bytes FROM page_views_hourly',
      ),
    ).toEqual([{ characters: 200, bytes: Buffer.byteLength(page) }]);
  });
});
