// Which UTC hour a timestamp or a multi key counts in, and which texts are refused.
import { describe, expect, it } from 'vitest';
import { hourOfMultiKey, hourOfTimestamp } from '../src/page-views/utc-hour.js';

const hour = (iso: string) => Date.parse(iso);

describe('hourOfTimestamp', () => {
  it.each([
    ['2025-01-01T13:45:00Z', '2025-01-01T13:00:00Z'],
    ['2025-01-01T13:45:00+02:00', '2025-01-01T11:00:00Z'],
    ['2025-01-01T00:30:00+05:30', '2024-12-31T19:00:00Z'],
    ['2025-01-01T23:30:00-01:00', '2025-01-02T00:00:00Z'],
    ['2025-01-01T13:45:00+0200', '2025-01-01T11:00:00Z'],
    ['2025-01-01T13:45Z', '2025-01-01T13:00:00Z'],
    ['2025-01-01T23:59:59.999Z', '2025-01-01T23:00:00Z'],
    ['2025-01-02T00:00:00.000Z', '2025-01-02T00:00:00Z'],
    ['2025-01-01T13:59:59.999999999Z', '2025-01-01T13:00:00Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z'],
    ['1969-12-31T23:59:59Z', '1969-12-31T23:00:00Z'],
  ])('%s counts in the hour of %s', (text, expected) => {
    expect(hourOfTimestamp(text)).toMatchObject({ ok: true, hour: hour(expected) });
  });

  it('keeps the instant, milliseconds included, for the future check', () => {
    expect(hourOfTimestamp('2025-01-01T13:45:00.250+01:00')).toEqual({
      ok: true,
      instant: hour('2025-01-01T12:45:00.250Z'),
      hour: hour('2025-01-01T12:00:00Z'),
    });
  });

  it.each([
    ['no zone', '2025-01-01T13:45:00'],
    ['a date only', '2025-01-01'],
    ['a space instead of T', '2025-01-01 13:45:00Z'],
    ['February 30', '2025-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['hour 24', '2025-01-01T24:00:00Z'],
    ['minute 60', '2025-01-01T13:60:00Z'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['an offset of 24 hours', '2025-01-01T13:00:00+24:00'],
    ['words', 'yesterday'],
    ['a number as text', '1735736700000'],
  ])('refuses %s', (_what, text) => {
    expect(hourOfTimestamp(text)).toMatchObject({ ok: false });
  });
});

describe('hourOfMultiKey', () => {
  it('reads the key as UTC and ignores the minutes', () => {
    expect(hourOfMultiKey('2025-01-01_13:59')).toEqual({ ok: true, hour: hour('2025-01-01T13:00:00Z') });
    expect(hourOfMultiKey('2025-01-01_00:00')).toEqual({ ok: true, hour: hour('2025-01-01T00:00:00Z') });
  });

  it.each([
    '2025-01-01T13:00',
    '2025-01-01_13',
    '2025-1-1_13:00',
    '2025-02-30_13:00',
    '2025-01-01_24:00',
    '',
  ])('refuses %j', (text) => {
    expect(hourOfMultiKey(text)).toMatchObject({ ok: false });
  });
});
