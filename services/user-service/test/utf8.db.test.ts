// Text outside ASCII through the user service, on a database the project created: it must round-trip whatever
// the locale the tests run under (CI runs the database tests under LC_ALL=C, where a server initialised by
// default is SQL_ASCII and counts bytes, not characters).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestService, type TestService } from './support/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await startTestService('utf8');
});
afterAll(() => service.close());

describe('a full name in Cyrillic', () => {
  it('of 200 characters (400 bytes in UTF-8) is created, read back and stored as 200 characters', async () => {
    const name = [...'Жанна Ёлкина-'.repeat(16)].slice(0, 200).join('');
    expect([...name]).toHaveLength(200);
    const email = 'zhanna@example.com';

    const created = await service.app.inject({
      method: 'POST',
      url: '/users',
      ...json({ email, full_name: name }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ full_name: name });
    const fetched = await service.app.inject({ url: `/users/${encodeURIComponent(email)}` });
    expect(fetched.json()).toMatchObject({ full_name: name });

    expect(
      await service.sql(
        "SELECT current_setting('server_encoding') AS encoding, length(full_name) AS characters, " +
          'octet_length(full_name) AS bytes FROM users WHERE email = $1',
        [email],
      ),
    ).toEqual([{ encoding: 'UTF8', characters: 200, bytes: Buffer.byteLength(name) }]);
  });
});
