// GET /users: keyset pagination over the active users in (joined_at, id) order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestService, type TestService } from './support/test-service.js';

interface Page {
  data: { id: string; email: string; full_name: string; joined_at: string }[];
  next: string | null;
}

let service: TestService;
let activeIds: string[]; // in (joined_at, id) order, from the table itself

beforeAll(async () => {
  service = await startTestService('pagination');
  // 220 users through the API…
  for (let batch = 0; batch < 220; batch += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        service.app.inject({
          method: 'POST',
          url: '/users',
          ...json({ email: `user${batch + i}@example.com`, full_name: `User ${batch + i}` }),
        }),
      ),
    );
  }
  // …and 30 that joined in the very same microsecond, which only the id can put in order. Their time falls in
  // the middle of the others, so a page boundary is likely to cut through them.
  await service.sql(`
    INSERT INTO users (id, email, full_name, joined_at)
    SELECT gen_random_uuid(), 'tied' || n || '@example.com', 'Tied ' || n,
           (SELECT joined_at FROM users ORDER BY joined_at OFFSET 100 LIMIT 1)
    FROM generate_series(1, 30) AS n`);
  // Every 7th user is soft-deleted.
  const all = await service.sql<{ email: string }>('SELECT email FROM users ORDER BY joined_at, id');
  expect(all).toHaveLength(250);
  for (const [index, { email }] of all.entries()) {
    if (index % 7 === 0) await service.app.inject({ method: 'DELETE', url: `/users/${email}` });
  }
  activeIds = (
    await service.sql<{ id: string }>(
      'SELECT id FROM users WHERE deleted_since IS NULL ORDER BY joined_at, id',
    )
  ).map((row) => row.id);
});
afterAll(() => service.close());

async function page(query: string): Promise<Page> {
  const response = await service.app.inject({ url: `/users${query}` });
  expect(response.statusCode).toBe(200);
  return response.json<Page>();
}

describe('GET /users', () => {
  it('pages through 250 users with limit=100: each active user exactly once, in order, none deleted', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const current: Page = await page(`?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      sizes.push(current.data.length);
      seen.push(...current.data.map((user) => user.id));
      cursor = current.next;
    } while (cursor !== null);

    const deletedCount = Math.ceil(250 / 7);
    expect(activeIds).toHaveLength(250 - deletedCount);
    expect(sizes).toEqual([100, 100, 250 - deletedCount - 200]);
    expect(seen).toEqual(activeIds); // exactly once each, in (joined_at, id) order, and nothing else
  });

  it('gives 20 users when no limit is given, and a cursor to the rest', async () => {
    const first = await page('');
    expect(first.data).toHaveLength(20);
    expect(first.data.map((user) => user.id)).toEqual(activeIds.slice(0, 20));
    expect(first.next).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await page(`?cursor=${first.next}`);
    expect(second.data.map((user) => user.id)).toEqual(activeIds.slice(20, 40));
  });

  it('shows users as GET /users/:email does', async () => {
    const [user] = (await page('?limit=1')).data;
    const single = await service.app.inject({ url: `/users/${user?.email}` });
    expect(single.json()).toEqual(user);
  });

  it('gives next: null on a page that ends exactly with the last user', async () => {
    const first = await page('?limit=100');
    const second = await page(`?limit=100&cursor=${first.next}`);
    const remaining = activeIds.length - 200;
    const last = await page(`?limit=${remaining}&cursor=${second.next}`);
    expect(last.data.map((user) => user.id)).toEqual(activeIds.slice(200));
    expect(last.next).toBeNull();
  });

  it('keeps its place when users before the cursor are deleted meanwhile', async () => {
    const first = await page('?limit=10');
    for (const user of first.data)
      await service.app.inject({ method: 'DELETE', url: `/users/${user.email}` });
    const second = await page(`?limit=10&cursor=${first.next}`);
    expect(second.data.map((user) => user.id)).toEqual(activeIds.slice(10, 20));
  });
});
