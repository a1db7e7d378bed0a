// Every validation rule of the contract: bad input is a 400 (or 415) problem+json naming what was wrong, and it
// never reaches the database — the pool is not even asked for a connection, and the table stays empty.
import type { MockInstance } from 'vitest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestService, type TestService } from './support/test-service.js';

let service: TestService;
let queries: MockInstance;
let connects: MockInstance;
beforeAll(async () => {
  service = await startTestService('validation');
  queries = vi.spyOn(service.pool, 'query');
  connects = vi.spyOn(service.pool, 'connect');
});
beforeEach(() => {
  queries.mockClear();
  connects.mockClear();
});
afterAll(() => service.close());

const email201 = `${'x'.repeat(201 - '@example.com'.length)}@example.com`;
const name = 'Valid Name';
const emailPath = (email: string) => `/users/${encodeURIComponent(email)}`;

interface Case {
  method: 'POST' | 'PUT' | 'GET' | 'DELETE';
  url: string;
  /** a JSON body, unless `raw` is given */
  body?: unknown;
  raw?: { payload: string; contentType?: string };
  status: 400 | 414 | 415;
  /** text the problem's detail must contain */
  detail: string;
}

const postCase = (body: unknown, detail: string): Case => ({
  method: 'POST',
  url: '/users',
  body,
  status: 400,
  detail,
});

const cases: Record<string, Case> = {
  'missing email': postCase({ full_name: name }, 'body/email is required'),
  'missing full_name': postCase({ email: 'a@example.com' }, 'body/full_name is required'),
  'empty body object': postCase({}, 'is required'),
  'empty email': postCase({ email: '', full_name: name }, 'body/email'),
  'empty full_name': postCase({ email: 'a@example.com', full_name: '' }, 'body/full_name must not be empty'),
  'whitespace-only full_name': postCase(
    { email: 'a@example.com', full_name: ' \t\n\u00a0\u3000 ' },
    'body/full_name must not be empty',
  ),
  'email of 201 characters': postCase(
    { email: email201, full_name: name },
    'body/email must NOT have more than 200',
  ),
  'full_name of 201 characters': postCase(
    { email: 'a@example.com', full_name: 'n'.repeat(201) },
    'body/full_name must be at most 200 characters after trimming, got 201',
  ),
  'full_name of 201 emoji': postCase(
    { email: 'a@example.com', full_name: `  ${'😀'.repeat(201)}  ` },
    'got 201',
  ),
  'full_name with NUL': postCase({ email: 'a@example.com', full_name: 'a\u0000b' }, 'NUL'),
  'full_name with an unpaired surrogate': postCase(
    { email: 'a@example.com', full_name: 'a\ud800b' },
    'unpaired surrogate',
  ),
  'email without @': postCase(
    { email: 'plainaddress', full_name: name },
    'body/email must match format "email"',
  ),
  'email without a dotted domain': postCase({ email: 'a@localhost', full_name: name }, 'format "email"'),
  'email with a space': postCase({ email: 'a b@example.com', full_name: name }, 'format "email"'),
  'email with surrounding spaces': postCase({ email: ' a@example.com ', full_name: name }, 'format "email"'),
  'email with two @': postCase({ email: 'a@b@example.com', full_name: name }, 'format "email"'),
  'email with an empty local part': postCase({ email: '@example.com', full_name: name }, 'format "email"'),
  'email with consecutive dots': postCase({ email: 'a..b@example.com', full_name: name }, 'format "email"'),
  'unknown field': postCase(
    { email: 'a@example.com', full_name: name, nickname: 'x' },
    'body/nickname is not allowed',
  ),
  'id sent by the client': postCase(
    { email: 'a@example.com', full_name: name, id: 'x' },
    'body/id is not allowed',
  ),
  'email as a number': postCase({ email: 42, full_name: name }, 'body/email must be string'),
  'full_name as a number': postCase(
    { email: 'a@example.com', full_name: 42 },
    'body/full_name must be string',
  ),
  'full_name as null': postCase({ email: 'a@example.com', full_name: null }, 'body/full_name must be string'),
  'full_name as an array': postCase(
    { email: 'a@example.com', full_name: ['a'] },
    'body/full_name must be string',
  ),
  'body as an array': postCase([{ email: 'a@example.com', full_name: name }], 'body must be object'),
  'body as a JSON string': postCase('a@example.com', 'body must be object'),
  'no body at all': { method: 'POST', url: '/users', status: 400, detail: 'body must be object' },
  'malformed JSON': {
    method: 'POST',
    url: '/users',
    raw: { payload: '{"email": "a@example.com", ', contentType: 'application/json' },
    status: 400,
    detail: 'JSON',
  },
  'empty JSON body': {
    method: 'POST',
    url: '/users',
    raw: { payload: '', contentType: 'application/json' },
    status: 400,
    detail: 'empty',
  },
  'text/plain body': {
    method: 'POST',
    url: '/users',
    raw: { payload: '{"email":"a@example.com","full_name":"x"}', contentType: 'text/plain' },
    status: 415,
    detail: 'Content-Type "text/plain" is not supported',
  },
  'form body': {
    method: 'POST',
    url: '/users',
    raw: { payload: 'email=a%40example.com&full_name=x', contentType: 'application/x-www-form-urlencoded' },
    status: 415,
    detail: 'not supported',
  },
  'PUT with a body email that differs from the path': {
    method: 'PUT',
    url: emailPath('a@example.com'),
    body: { email: 'b@example.com', full_name: name },
    status: 400,
    detail: 'body/email (b@example.com) differs from the email in the path (a@example.com)',
  },
  'PUT without full_name': {
    method: 'PUT',
    url: emailPath('a@example.com'),
    body: { email: 'a@example.com' },
    status: 400,
    detail: 'body/full_name is required',
  },
  'PUT with an unknown field': {
    method: 'PUT',
    url: emailPath('a@example.com'),
    body: { full_name: name, admin: true },
    status: 400,
    detail: 'body/admin is not allowed',
  },
  'PUT to a malformed email': {
    method: 'PUT',
    url: emailPath('not-an-email'),
    body: { full_name: name },
    status: 400,
    detail: 'must match format "email"',
  },
  'PUT to an email of 201 characters': {
    method: 'PUT',
    url: emailPath(email201),
    body: { full_name: name },
    status: 400,
    detail: 'must NOT have more than 200',
  },
  'PUT with a non-JSON body': {
    method: 'PUT',
    url: emailPath('a@example.com'),
    raw: { payload: 'x', contentType: 'text/plain' },
    status: 415,
    detail: 'not supported',
  },
  'GET of an email of 1,000 characters': {
    method: 'GET',
    url: emailPath(`${'x'.repeat(1000 - '@example.com'.length)}@example.com`),
    status: 400,
    detail: 'params/email must NOT have more than 200',
  },
  'GET of a path far longer than any email': {
    method: 'GET',
    url: emailPath(`${'x'.repeat(5000)}@example.com`),
    status: 414,
    detail: '',
  },
  'GET of a malformed email': {
    method: 'GET',
    url: '/users/not-an-email',
    status: 400,
    detail: 'format "email"',
  },
  'GET of an email of 201 characters': {
    method: 'GET',
    url: emailPath(email201),
    status: 400,
    detail: '200',
  },
  'DELETE of a malformed email': { method: 'DELETE', url: '/users/x', status: 400, detail: 'format "email"' },
  'list with limit=0': {
    method: 'GET',
    url: '/users?limit=0',
    status: 400,
    detail: 'querystring/limit must be >= 1',
  },
  'list with limit=101': {
    method: 'GET',
    url: '/users?limit=101',
    status: 400,
    detail: 'querystring/limit must be <= 100',
  },
  'list with limit=abc': {
    method: 'GET',
    url: '/users?limit=abc',
    status: 400,
    detail: 'querystring/limit must be integer',
  },
  'list with limit=2.5': {
    method: 'GET',
    url: '/users?limit=2.5',
    status: 400,
    detail: 'querystring/limit must be integer',
  },
  'list with a cursor that is not base64url JSON': {
    method: 'GET',
    url: '/users?cursor=not-a-cursor',
    status: 400,
    detail: 'query/cursor is not a cursor of this service',
  },
  'list with a cursor of the wrong shape': {
    method: 'GET',
    url: `/users?cursor=${Buffer.from('{"j":1,"i":2}').toString('base64url')}`,
    status: 400,
    detail: 'query/cursor',
  },
  'list with a cursor holding SQL': {
    method: 'GET',
    url: `/users?cursor=${Buffer.from(`{"j":"2024-01-01T00:00:00.000000Z","i":"'; DROP TABLE users; --"}`).toString('base64url')}`,
    status: 400,
    detail: 'query/cursor',
  },
  'list with a cursor holding February 30th': {
    method: 'GET',
    url: `/users?cursor=${Buffer.from('{"j":"2024-02-30T00:00:00.000000Z","i":"01890a5d-ac96-774b-bcce-b302099a8057"}').toString('base64url')}`,
    status: 400,
    detail: 'query/cursor',
  },
};

describe('invalid requests', () => {
  it.each(Object.entries(cases))(
    '%s → problem+json, nothing reaches the database',
    async (_name, testCase) => {
      const response = await service.app.inject({
        method: testCase.method,
        url: testCase.url,
        ...(testCase.raw
          ? {
              payload: testCase.raw.payload,
              headers: testCase.raw.contentType ? { 'content-type': testCase.raw.contentType } : {},
            }
          : testCase.body !== undefined
            ? { payload: JSON.stringify(testCase.body), headers: { 'content-type': 'application/json' } }
            : {}),
      });

      expect(response.statusCode).toBe(testCase.status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = response.json<{ status: number; detail: string }>();
      expect(problem.status).toBe(testCase.status);
      expect(problem.detail).toContain(testCase.detail);
      expect(queries).not.toHaveBeenCalled();
      expect(connects).not.toHaveBeenCalled();
    },
  );
});

it('left the table empty', async () => {
  expect(await service.sql('SELECT * FROM users')).toEqual([]);
});
