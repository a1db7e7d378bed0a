// The logger writes each line itself (json-line-text.ts) instead of through winston's format chain (jsonLine and
// winston's json format): the two must give the same bytes for every entry the fast one accepts, and it must
// accept the entries services log.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonLine } from '../src/json-line.js';
import { isoTimestamp, jsonLineText, serviceJson } from '../src/json-line-text.js';
import type { LogFields } from '../src/logger.js';

const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');

// What winston does with `logger.log({ ...fields, level, message })` and defaultMeta { service }.
function chainLine(level: string, service: string, message: string, fields: LogFields): string {
  const info: Record<string | symbol, unknown> = { ...fields, level, message };
  info[LEVEL] = level;
  Object.assign(info, { service });
  const formatted = jsonLine.transform(info as never, jsonLine.options) as Record<symbol, unknown>;
  return formatted[MESSAGE] as string;
}

function fastLine(level: string, service: string, message: string, fields: LogFields): string | undefined {
  return jsonLineText(isoTimestamp(), level, serviceJson(service), message, fields);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-03T12:00:00.123Z'));
});
afterEach(() => vi.useRealTimers());

const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'jane@example.com',
    'a jane%40example.com b',
    'x%2540y.z',
    '"q"@[127.0.0.1]',
    '\u2028\ud800',
    '',
  ),
);
const circular = (): Record<string, unknown> => {
  const node: Record<string, unknown> = { id: 1 };
  node.self = node;
  return node;
};
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constantFrom(null, undefined, -0, Number.NaN, Infinity, 10n, Symbol('s'), () => 1),
    fc.date({ noInvalidDate: true }),
    fc.constant(new Error('boom jane@example.com', { cause: new Error('inner') })),
    fc.constant(Object.assign(new Error('with code'), { code: 'ENOSPC' })),
    fc.constant(new URL('https://example.com/?owner=jane@example.com')),
    fc.constant(Buffer.from('ab')),
    fc.constant(new Map([['k', 1]])),
    fc.constant(circular()),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(text, tie('value'), { maxKeys: 3 }),
  ),
})).value;
const key = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'err',
    'level',
    'message',
    'service',
    'timestamp',
    'jane@example.com',
    '1',
    'params',
    '__proto__',
  ),
);

describe('jsonLineText', () => {
  it('writes the bytes winston’s format chain writes, whenever it writes a line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('error', 'warn', 'info', 'debug'),
        text,
        text,
        fc.dictionary(key, value, { maxKeys: 6 }),
        (level, service, message, fields) => {
          const fast = fastLine(level, service, message, fields);
          if (fast !== undefined) expect(fast).toBe(chainLine(level, service, message, fields));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('writes the lines services log itself', () => {
    const entries: LogFields[] = [
      {},
      { method: 'GET', route: '/hello', requestId: 'r-1', statusCode: 200, responseTimeMs: 0.41 },
      { method: 'GET', route: '/users/:email', params: { email: 'j***@example.com' }, query: 'a=1' },
      { err: new Error('write failed'), status: 500 },
      { err: 'socket hang up', big: 12n, skipped: undefined },
      { config: { PORT: 3000, DATABASE_URL: 'postgres://u:***@db/x' }, owner: 'jane@example.com' },
    ];
    for (const fields of entries) {
      const fast = fastLine('info', 'kit', 'request completed jane@example.com', fields);
      expect(fast).toBeDefined();
      expect(fast).toBe(chainLine('info', 'kit', 'request completed jane@example.com', fields));
    }
  });

  it('leaves to the chain what only the chain orders right', () => {
    for (const fields of [{ 'jane@example.com': 1 }, { 1: 'one' }, { timestamp: 'mine' }]) {
      expect(fastLine('info', 's', 'm', fields)).toBeUndefined();
    }
  });
});
