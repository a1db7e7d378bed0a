// The user service against a real PostgreSQL: what each endpoint answers, what it leaves in the table, and the
// log events and metrics it produces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestService, type TestService } from './support/test-service.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let service: TestService;
beforeAll(async () => {
  service = await startTestService('behaviour', { poolSize: 20 });
});
afterAll(() => service.close());

const post = (body: unknown, requestId?: string) =>
  service.app.inject({
    method: 'POST',
    url: '/users',
    ...json(body),
    ...(requestId ? { headers: { 'content-type': 'application/json', 'x-request-id': requestId } } : {}),
  });
const put = (email: string, body: unknown) =>
  service.app.inject({ method: 'PUT', url: `/users/${encodeURIComponent(email)}`, ...json(body) });
const get = (email: string) => service.app.inject({ url: `/users/${encodeURIComponent(email)}` });
const del = (email: string, requestId?: string) =>
  service.app.inject({
    method: 'DELETE',
    url: `/users/${encodeURIComponent(email)}`,
    ...(requestId ? { headers: { 'x-request-id': requestId } } : {}),
  });

interface UserRow {
  id: string;
  email: string;
  full_name: string;
  deleted_since: Date | null;
}
const rowsFor = (email: string) =>
  service.sql<UserRow>(
    'SELECT id, email, full_name, deleted_since FROM users WHERE lower(email) = lower($1)',
    [email],
  );

describe('a user’s lifecycle', () => {
  it('create 201 → get → update 200 → delete 204 → get 404 → re-create 200 (same id, joined_at) → get 200', async () => {
    const created = await post({ email: 'Ada@Example.com', full_name: 'Ada Lovelace' }, 'life-create');
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/users/Ada%40Example.com');
    const user = created.json<Record<string, string>>();
    expect(Object.keys(user).sort()).toEqual(['email', 'full_name', 'id', 'joined_at']);
    expect(user).toMatchObject({ email: 'Ada@Example.com', full_name: 'Ada Lovelace' });
    expect(user.id).toMatch(UUID_V7);
    expect(user.joined_at).toMatch(UTC_ISO);
    expect(Math.abs(Date.parse(user.joined_at!) - Date.now())).toBeLessThan(60_000);

    const fetched = await get('ada@example.com');
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(user);

    const updated = await put('ADA@example.com', { full_name: 'Ada King' });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers.location).toBeUndefined();
    expect(updated.json()).toEqual({ ...user, full_name: 'Ada King' });

    const deleted = await del('ada@example.com', 'life-delete');
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const [row] = await rowsFor('ada@example.com');
    expect(row?.deleted_since).toBeInstanceOf(Date);

    const missing = await get('ada@example.com');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ status: 404, detail: 'No user with email ada@example.com' });

    const recreated = await post({ email: 'ada@example.com', full_name: 'Ada Again' }, 'life-reactivate');
    expect(recreated.statusCode).toBe(200);
    expect(recreated.json()).toEqual({ ...user, full_name: 'Ada Again' });

    const back = await get('Ada@Example.com');
    expect(back.statusCode).toBe(200);
    expect(back.json()).toEqual({ ...user, full_name: 'Ada Again' });
    expect(await rowsFor('ada@example.com')).toEqual([
      { id: user.id, email: 'Ada@Example.com', full_name: 'Ada Again', deleted_since: null },
    ]);

    // One event per outcome, with the user id, the request id and a masked email (a local part of three
    // characters is masked whole: its first one would give away too much of it).
    expect(service.events('user.created')).toContainEqual(
      expect.objectContaining({ userId: user.id, requestId: 'life-create', email: '***@Example.com' }),
    );
    expect(service.events('user.updated')).toContainEqual(expect.objectContaining({ userId: user.id }));
    expect(service.events('user.soft_deleted')).toContainEqual(
      expect.objectContaining({ userId: user.id, requestId: 'life-delete', email: '***@example.com' }),
    );
    expect(service.events('user.reactivated')).toContainEqual(
      expect.objectContaining({ userId: user.id, requestId: 'life-reactivate', email: '***@Example.com' }),
    );
    expect(JSON.stringify(service.lines()).toLowerCase()).not.toContain('ada@example.com');
  });

  it('deletes idempotently: 204 again, and for an email nobody has, logged as user.delete_noop', async () => {
    const { id } = (await post({ email: 'twice@example.com', full_name: 'Twice' })).json<{ id: string }>();
    expect((await del('twice@example.com')).statusCode).toBe(204);
    const [first] = await rowsFor('twice@example.com');

    expect((await del('twice@example.com', 'again')).statusCode).toBe(204);
    expect((await del('nobody@example.com', 'nobody')).statusCode).toBe(204);

    // The second delete left the first deletion's time alone.
    expect(await rowsFor('twice@example.com')).toEqual([first]);
    expect(await rowsFor('nobody@example.com')).toEqual([]);
    const noops = service.events('user.delete_noop');
    expect(noops).toContainEqual(
      expect.objectContaining({ userId: id, requestId: 'again', email: 't***@example.com' }),
    );
    expect(noops).toContainEqual(
      expect.objectContaining({ userId: null, requestId: 'nobody', email: 'n***@example.com' }),
    );
  });

  it('counts outcomes and shows the pool in /metrics', async () => {
    const email = 'counted@example.com';
    const metric = async (name: string) => {
      const text = (await service.app.inject({ url: '/metrics' })).body;
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    };
    const before = {
      created: await metric('users_created_total'),
      reactivated: await metric('users_reactivated_total'),
      deleted: await metric('users_soft_deleted_total'),
    };
    await post({ email, full_name: 'Counted' });
    await del(email);
    await del(email);
    await post({ email, full_name: 'Counted' });

    expect(await metric('users_created_total')).toBe(before.created + 1);
    expect(await metric('users_reactivated_total')).toBe(before.reactivated + 1);
    expect(await metric('users_soft_deleted_total')).toBe(before.deleted + 1);
    expect(await metric('db_pool_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('db_pool_idle')).toBeGreaterThanOrEqual(0);
    expect(await metric('db_pool_waiting')).toBe(0);
  });
});

describe('emails', () => {
  it('are matched case-insensitively: A@x.io and a@x.io are one user', async () => {
    const first = await post({ email: 'A@x.io', full_name: 'Upper' });
    const second = await post({ email: 'a@x.io', full_name: 'Lower' });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json<{ id: string }>().id, email: 'A@x.io' });
    expect(await rowsFor('a@x.io')).toHaveLength(1);
    expect((await get('a@X.IO')).json()).toMatchObject({ full_name: 'Lower' });
  });

  it('of 200 characters work in bodies and paths, Location included', async () => {
    const email = `${'l'.repeat(200 - '@example.com'.length)}@example.com`;
    const created = await post({ email, full_name: 'Long' });
    expect(created.statusCode).toBe(201);
    const location = created.headers.location as string;
    expect((await service.app.inject({ url: location })).json()).toMatchObject({ email });
    expect((await put(email, { full_name: 'Longer' })).statusCode).toBe(200);
    expect((await del(email)).statusCode).toBe(204);
  });

  it('with characters that need encoding in a path round-trip through Location', async () => {
    const email = "o'neil+tag/x%y@example.com";
    const created = await post({ email, full_name: 'Encoded' });
    expect(created.statusCode).toBe(201);
    const fetched = await service.app.inject({ url: created.headers.location as string });
    expect(fetched.json()).toMatchObject({ email });
  });
});

describe('PUT /users/:email', () => {
  it('creates with 201 and Location, then updates with 200', async () => {
    const created = await put('put@example.com', { full_name: 'Put' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/users/put%40example.com');
    const updated = await put('put@example.com', { email: 'PUT@example.com', full_name: '  Put Again ' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ email: 'put@example.com', full_name: 'Put Again' });
  });
});

describe('full names', () => {
  it.each([
    ['emoji', '👩🏽‍💻 Grace 🚀'],
    ['CJK', '山田 太郎'],
    ['combining marks', 'Zoe\u0308 Me\u0301lanie Nguye\u0302\u0303n'],
    ['right-to-left text', 'مريم الأحمد'],
    ['mixed scripts', 'Ελένη Δημητρίου-Smith'],
  ])('round-trip exactly with %s', async (_kind, name) => {
    const email = `unicode-${[...name].length}-${name.length}@example.com`;
    const created = await post({ email, full_name: name });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ full_name: name });
    expect((await get(email)).json()).toMatchObject({ full_name: name });
    const [row] = await service.sql<{ full_name: string; characters: number }>(
      'SELECT full_name, length(full_name) AS characters FROM users WHERE lower(email) = lower($1)',
      [email],
    );
    expect(row).toEqual({ full_name: name, characters: [...name].length });
  });

  it('are stored trimmed, and may have 200 characters (code points) after trimming', async () => {
    const emoji = '😀'.repeat(200); // 400 UTF-16 units
    const padded = `\t  ${'n'.repeat(200)} \n`;
    const first = await post({ email: 'emoji200@example.com', full_name: emoji });
    const second = await post({ email: 'padded200@example.com', full_name: padded });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ full_name: emoji });
    expect(second.json()).toMatchObject({ full_name: 'n'.repeat(200) });
    expect((await rowsFor('padded200@example.com'))[0]?.full_name).toBe('n'.repeat(200));
  });
});

describe('joined_at', () => {
  it('leaves as UTC ISO-8601 ending in Z, the instant PostgreSQL stored', async () => {
    const created = (await post({ email: 'when@example.com', full_name: 'When' })).json<{
      joined_at: string;
    }>();
    const [row] = await service.sql<{ joined_at: Date }>(
      "SELECT date_trunc('milliseconds', joined_at) AS joined_at FROM users WHERE email = 'when@example.com'",
    );
    expect(created.joined_at).toMatch(UTC_ISO);
    expect(created.joined_at).toBe(row?.joined_at.toISOString());
  });
});

describe('50 concurrent identical POSTs for a new email', () => {
  it('leave exactly one row and get exactly one 201', async () => {
    const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const body = JSON.stringify({ email: 'Rush@Example.com', full_name: 'Rush' });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${address}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id)),
    );

    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(49);
    expect(ids.size).toBe(1);
    expect(await rowsFor('rush@example.com')).toHaveLength(1);
    expect(service.events('user.created').filter((line) => line.email === 'R***@Example.com')).toHaveLength(
      1,
    );
  });
});

describe('many GETs at once', () => {
  // Lookups made while others are out share statements (users/user-store.ts): each must still get its own user.
  it('each get the user of their own email, in any case; a missing or deleted one is a 404', async () => {
    const emails = ['Many0@Example.com', "o'brien{1}@example.com", 'many+2@example.com', 'gone@example.com'];
    for (const [index, email] of emails.entries()) {
      expect((await post({ email, full_name: `Many ${index}` })).statusCode).toBe(201);
    }
    expect((await del('gone@example.com')).statusCode).toBe(204);

    const asked = Array.from({ length: 120 }, (_, index) => {
      const email = [...emails, 'nobody@example.com'][index % 5]!;
      return index % 2 === 0 ? email : email.toUpperCase();
    });
    const answers = await Promise.all(asked.map((email) => get(email)));
    for (const [index, answer] of answers.entries()) {
      const which = index % 5;
      if (which >= 3) {
        expect(answer.statusCode).toBe(404);
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        continue;
      }
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ email: emails[which], full_name: `Many ${which}` });
    }
  });

  it('see a write that finished before they were asked, while earlier lookups are still out', async () => {
    await post({ email: 'fresh@example.com', full_name: 'Old Name' });
    const earlier = Array.from({ length: 40 }, () => get('fresh@example.com'));
    expect((await put('fresh@example.com', { full_name: 'New Name' })).statusCode).toBe(200);
    const later = await Promise.all(Array.from({ length: 40 }, () => get('Fresh@example.com')));
    for (const answer of later) expect(answer.json()).toMatchObject({ full_name: 'New Name' });
    for (const answer of await Promise.all(earlier)) expect(answer.statusCode).toBe(200);
  });
});
