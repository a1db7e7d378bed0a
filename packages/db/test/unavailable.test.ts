// Which errors count as the database being unavailable (a 503 to retry) rather than a bug, and what a 503's
// detail says happened.
import { describe, expect, it } from 'vitest';
import { describeUnavailable, isDatabaseUnavailable } from '../src/unavailable.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    [
      'a server shutting down (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['a server starting up (57P03)', withCode('57P03')],
    ['a connection exception (08006)', withCode('08006')],
    ['too many connections (53300)', withCode('53300')],
    [
      'a statement past statement_timeout (57014)',
      withCode('57014', 'canceling statement due to statement timeout'),
    ],
    ['a lock wait past lock_timeout (55P03)', withCode('55P03', 'canceling statement due to lock timeout')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
    ['a query without an answer', new Error('Query read timeout')],
    ['every address refusing', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('is true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError('x is undefined')],
    ['a thrown string', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('describeUnavailable', () => {
  it.each([
    [
      'a statement past statement_timeout',
      withCode('57014', 'canceling statement due to statement timeout'),
      'The user database did not finish in time (statement timeout)',
    ],
    [
      'a statement cancelled by another session',
      withCode('57014', 'canceling statement due to user request'),
      'The user database cancelled the statement',
    ],
    [
      'a lock wait past lock_timeout',
      withCode('55P03', 'canceling statement due to lock timeout'),
      'The user database waited too long for a lock: another request held it longer than the lock timeout',
    ],
    ['a refused connection', withCode('ECONNREFUSED'), 'The user database cannot be reached right now'],
    ['a server shutting down', withCode('57P01'), 'The user database cannot be reached right now'],
    [
      'a cut connection',
      new Error('Connection terminated unexpectedly'),
      'The user database cannot be reached right now',
    ],
  ])('says what happened for %s', (_what, error, detail) => {
    expect(describeUnavailable(error, 'The user database')).toBe(detail);
  });
});
