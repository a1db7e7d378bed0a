// The time rules without a database: the hours of a report, the days of a range. (Reading `now` is
// packages/page-views' parseTimestamp, tested there.)
import { describe, expect, it } from 'vitest';
import { dailyRange, dayOf, formatDay, parseDay } from '../src/reports/day-range.js';
import { reportHours } from '../src/reports/hour-window.js';

const at = (iso: string) => Date.parse(iso);

describe('reportHours', () => {
  it('gives the complete hours before the hour of now, oldest first, across a day boundary', () => {
    expect(reportHours(at('2025-01-02T01:30:00Z'), 3).map((hour) => new Date(hour).toISOString())).toEqual([
      '2025-01-01T22:00:00.000Z',
      '2025-01-01T23:00:00.000Z',
      '2025-01-02T00:00:00.000Z',
    ]);
    expect(reportHours(at('2025-01-02T01:00:00Z'), 1)).toEqual([at('2025-01-02T00:00:00Z')]);
    expect(reportHours(at('2025-01-02T00:59:59.999Z'), 1)).toEqual([at('2025-01-01T23:00:00Z')]);
    expect(reportHours(at('2025-01-02T01:00:00Z'), 24)).toHaveLength(24);
  });
});

describe('dailyRange', () => {
  const today = parseDay('2025-03-10');
  const range = (from?: string, to?: string) => {
    const check = dailyRange(
      {
        from: from === undefined ? undefined : parseDay(from),
        to: to === undefined ? undefined : parseDay(to),
      },
      today,
    );
    return check.ok ? [formatDay(check.from), formatDay(check.to)] : check;
  };

  it('fills in what is left out', () => {
    expect(range()).toEqual(['2025-02-09', '2025-03-10']);
    expect(range(undefined, '2025-01-31')).toEqual(['2025-01-02', '2025-01-31']);
    expect(range('2025-03-01')).toEqual(['2025-03-01', '2025-03-10']);
    expect(range('2025-03-10', '2025-03-10')).toEqual(['2025-03-10', '2025-03-10']);
  });

  it('allows 366 days, no more, and no range that ends before it starts', () => {
    expect(range('2024-01-01', '2024-12-31')).toEqual(['2024-01-01', '2024-12-31']);
    expect(range('2024-01-01', '2025-01-01')).toMatchObject({ ok: false, fields: ['from', 'to'] });
    expect(range('2025-03-02', '2025-03-01')).toMatchObject({ ok: false, fields: ['from', 'to'] });
    expect(range('2025-03-11')).toEqual({
      ok: false,
      fields: ['from'],
      problem: 'from (2025-03-11) is after to (2025-03-10, today)',
    });
  });

  it('counts days in UTC', () => {
    expect(formatDay(dayOf(at('2025-03-10T23:59:59.999Z')))).toBe('2025-03-10');
    expect(formatDay(dayOf(at('2025-03-11T00:00:00Z')))).toBe('2025-03-11');
  });
});
