// Which instant and UTC hour a timestamp or a multi key names, and which texts are refused.
import { describe, expect, it } from 'vitest';
import { floorToHour, parseMultiKey, parseTimestamp } from '../src/utc-time.js';

const at = (iso: string) => Date.parse(iso);

describe('parseTimestamp', () => {
  it.each([
    ['2025-01-01T13:30:00Z', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01t13:30:00z', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01 13:30:00Z', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T13:30Z', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T13:30:00.1Z', '2025-01-01T13:30:00.100Z'],
    ['2025-01-01T13:30:00.123456789Z', '2025-01-01T13:30:00.123Z'],
    ['2025-01-01T15:30:00+02:00', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T15:30:00+0200', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T15:30:00+02', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T08:00:00-05:30', '2025-01-01T13:30:00.000Z'],
    ['2025-01-01T00:30:00+05:30', '2024-12-31T19:00:00.000Z'],
    ['2025-01-01T23:59:59.999Z', '2025-01-01T23:59:59.999Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'], // a leap second stays in its hour
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'], // not 1999
    ['1969-12-31T23:59:59Z', '1969-12-31T23:59:59.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, value: at(iso) });
  });

  it.each([
    ['no zone', '2025-01-01T13:45:00'],
    ['a date only', '2025-01-01'],
    ['February 30', '2025-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['February 29 of 1900', '1900-02-29T00:00:00Z'],
    ['hour 24', '2025-01-01T24:00:00Z'],
    ['minute 60', '2025-01-01T13:60:00Z'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['an offset of 24 hours', '2025-01-01T13:00:00+24:00'],
    ['words', 'yesterday'],
    ['a number as text', '1735736700000'],
    ['nothing', ''],
  ])('refuses %s', (_what, text) => {
    expect(parseTimestamp(text)).toMatchObject({ ok: false });
  });
});

describe('parseMultiKey', () => {
  it('reads the key as a UTC hour and ignores the minutes', () => {
    expect(parseMultiKey('2025-01-01_13:59')).toEqual({ ok: true, value: at('2025-01-01T13:00:00Z') });
    expect(parseMultiKey('2025-01-01_00:00')).toEqual({ ok: true, value: at('2025-01-01T00:00:00Z') });
  });

  it.each([
    '2025-01-01T13:00',
    '2025-01-01_13',
    '2025-1-1_13:00',
    '2025-02-30_13:00',
    '2025-01-01_24:00',
    '',
  ])('refuses %j', (text) => {
    expect(parseMultiKey(text)).toMatchObject({ ok: false });
  });
});

describe('floorToHour', () => {
  it('puts 23:59:59.999 and the next 00:00:00.000 in different hours, before 1970 too', () => {
    expect(floorToHour(at('2025-01-01T23:59:59.999Z'))).toBe(at('2025-01-01T23:00:00Z'));
    expect(floorToHour(at('2025-01-02T00:00:00.000Z'))).toBe(at('2025-01-02T00:00:00Z'));
    expect(floorToHour(at('1969-12-31T23:59:59Z'))).toBe(at('1969-12-31T23:00:00Z'));
  });
});
