import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addDays,
  addMonths,
  compareDays,
  daysBetween,
  daysInRange,
  financialYearEnd,
  financialYearOf,
  financialYearStart,
  isIsoDay,
  londonDayOf,
  londonDayOfIso,
  londonDayRangeUtc,
  londonMidnightUtc,
  londonOffsetString,
  monthStart,
  monthsBetween,
  todayInLondon,
  firstProvisionalDay,
  wholeMonthsWithin,
  yearStart,
} from '../src/index.ts';

const ms = (iso: string): number => Date.parse(iso);
const HOUR = 3_600_000;

describe('londonDayOf (hand-written table)', () => {
  const table: Array<[string, string]> = [
    ['2024-03-30T23:30:00Z', '2024-03-30'], // GMT: UTC day = London day
    ['2024-03-31T23:30:00Z', '2024-04-01'], // BST from 2024-03-31 01:00 UTC
    ['2024-06-30T22:59:59.999Z', '2024-06-30'],
    ['2024-06-30T23:00:00Z', '2024-07-01'],
    ['2024-10-26T22:59:59.999Z', '2024-10-26'],
    ['2024-10-26T23:00:00Z', '2024-10-27'],
    ['2024-10-27T23:30:00Z', '2024-10-27'], // back to GMT
    ['2024-12-31T23:59:59.999Z', '2024-12-31'],
    ['2025-01-01T00:00:00Z', '2025-01-01'],
  ];
  it.each(table)('%s -> %s', (ts, day) => {
    expect(londonDayOf(ms(ts))).toBe(day);
    expect(londonDayOf(new Date(ts))).toBe(day);
    expect(londonDayOf(ms(ts))).toBe(day); // second call is served from the cache
  });

  it('throws on invalid instants', () => {
    expect(() => londonDayOf(Number.NaN)).toThrow(RangeError);
    expect(() => londonDayOf(new Date('nope'))).toThrow(RangeError);
  });

  it('is exact in the LMT era, where offsets are not whole hours', () => {
    // London LMT was UTC-00:01:15, so 00:00:30 UTC is still the previous London day.
    expect(londonDayOf(ms('1800-01-02T00:00:30Z'))).toBe('1800-01-01');
    expect(londonDayOf(ms('1800-01-02T00:30:00Z'))).toBe('1800-01-02');
  });
});

describe('londonDayOf matches luxon (property)', () => {
  const direct = (t: number): string | null => DateTime.fromMillis(t, { zone: 'utc' }).setZone('Europe/London').toISODate();
  const min = ms('1990-01-01T00:00:00Z');
  const max = ms('2100-12-31T23:59:59.999Z');
  // Uniform instants rarely land near a day boundary, so also aim at London midnights +/- 3 h.
  const nearMidnight = fc
    .tuple(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
    .map(([d, off]) => londonMidnightUtc(addDays('1990-01-02', d)).getTime() + off);
  const instant = fc.oneof(fc.integer({ min, max }), nearMidnight);

  it('agrees for random instants 1990..2100', () => {
    fc.assert(
      fc.property(instant, (t) => londonDayOf(t) === direct(t)),
      { numRuns: 20_000 },
    );
  });
});

describe('londonDayOfIso', () => {
  it('treats a missing offset as UTC', () => {
    expect(londonDayOfIso('2024-04-15T10:11:12.123')).toBe(londonDayOfIso('2024-04-15T10:11:12.123Z'));
    expect(londonDayOfIso('2024-06-30T23:30:00')).toBe('2024-07-01');
  });
  it('honours explicit offsets', () => {
    expect(londonDayOfIso('2024-07-01T00:30:00+01:00')).toBe('2024-07-01');
    expect(londonDayOfIso('2024-06-30T20:00:00-04:00')).toBe('2024-07-01');
  });
  it.each(['', 'nope', '2024-02-30T00:00:00Z', '10:11', '2024-04-15', '2024-04-15T25:00:00Z'])('throws on %j', (ts) => {
    expect(() => londonDayOfIso(ts)).toThrow();
  });
});

describe('London midnights and day lengths', () => {
  it('knows the spring-forward day is 23 h', () => {
    expect(londonMidnightUtc('2022-03-27').toISOString()).toBe('2022-03-27T00:00:00.000Z');
    expect(londonMidnightUtc('2022-03-28').toISOString()).toBe('2022-03-27T23:00:00.000Z');
    const { start, end } = londonDayRangeUtc('2022-03-27');
    expect(end.getTime() - start.getTime()).toBe(23 * HOUR);
  });
  it('knows the fall-back day is 25 h', () => {
    const { start, end } = londonDayRangeUtc('2022-10-30');
    expect(start.toISOString()).toBe('2022-10-29T23:00:00.000Z');
    expect(end.toISOString()).toBe('2022-10-31T00:00:00.000Z');
    expect(end.getTime() - start.getTime()).toBe(25 * HOUR);
  });
  it('gives ordinary days 24 h', () => {
    const { start, end } = londonDayRangeUtc('2024-07-01');
    expect(start.toISOString()).toBe('2024-06-30T23:00:00.000Z');
    expect(end.getTime() - start.getTime()).toBe(24 * HOUR);
  });
  it('formats the offset at London midnight', () => {
    expect(londonOffsetString('2024-01-15')).toBe('+0000');
    expect(londonOffsetString('2024-07-15')).toBe('+0100');
    expect(londonOffsetString('2022-03-27')).toBe('+0000'); // midnight precedes the 01:00 UTC change
    expect(londonOffsetString('2022-10-30')).toBe('+0100');
  });
});

describe('financial years', () => {
  it.each([
    ['2019-03-31', 2018],
    ['2019-04-01', 2019],
    ['2020-01-15', 2019],
    ['2020-03-31', 2019],
    ['2024-12-31', 2024],
  ])('%s is in FY %i', (day, fy) => {
    expect(financialYearOf(day)).toBe(fy);
  });
  it('has edges', () => {
    expect(financialYearStart(2019)).toBe('2019-04-01');
    expect(financialYearEnd(2019)).toBe('2020-03-31');
    expect(() => financialYearStart(2019.5)).toThrow(RangeError);
  });
});

describe('isIsoDay', () => {
  it.each(['2020-02-29', '2019-12-31', '2000-02-29', '0000-02-29'])('accepts %j', (s) => {
    expect(isIsoDay(s)).toBe(true);
  });
  it.each(['22-01-2019', '2019-1-01', '2019-02-29', '', '2019-02-28T00:00:00', '1900-02-29', '2019-13-01', '2019-04-31', '2019-01-00'])(
    'rejects %j',
    (s) => {
      expect(isIsoDay(s)).toBe(false);
    },
  );
});

describe('day arithmetic', () => {
  it('adds days across month, year and DST boundaries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2022-03-27', 1)).toBe('2022-03-28');
    expect(addDays('2022-10-30', -1)).toBe('2022-10-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(() => addDays('2024-03-01', 0.5)).toThrow(RangeError);
    expect(() => addDays('2024-3-01', 1)).toThrow(RangeError);
  });
  it('lists inclusive ranges', () => {
    expect(daysInRange('2022-10-29', '2022-11-01')).toEqual(['2022-10-29', '2022-10-30', '2022-10-31', '2022-11-01']);
    expect(daysInRange('2024-01-01', '2024-01-01')).toEqual(['2024-01-01']);
    expect(daysInRange('2024-01-02', '2024-01-01')).toEqual([]);
    expect(daysInRange('2024-04-01', '2025-03-31')).toHaveLength(365);
  });
  it('compares days', () => {
    expect(compareDays('2024-01-01', '2024-01-02')).toBe(-1);
    expect(compareDays('2024-01-02', '2024-01-01')).toBe(1);
    expect(compareDays('2024-01-01', '2024-01-01')).toBe(0);
  });
  it('handles months', () => {
    expect(monthStart('2024-02-29')).toBe('2024-02-01');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2024-03-15', -3)).toBe('2023-12-15');
    expect(addMonths('2024-04-01', 12)).toBe('2025-04-01');
  });
  it('computes today in London', () => {
    expect(todayInLondon(new Date('2024-06-30T23:00:00Z'))).toBe('2024-07-01');
    expect(isIsoDay(todayInLondon())).toBe(true);
  });

  it('firstProvisionalDay: today in London less the age (days before it are final)', () => {
    // 23:30 UTC on 6 June is already the 7th in London (BST).
    expect(firstProvisionalDay(2, new Date('2024-06-06T23:30:00Z'))).toBe('2024-06-05');
    expect(firstProvisionalDay(2, new Date('2024-06-06T22:30:00Z'))).toBe('2024-06-04');
    expect(firstProvisionalDay(0, new Date('2024-12-06T23:30:00Z'))).toBe('2024-12-06');
    expect(() => firstProvisionalDay(1.5)).toThrow();
  });
});

describe('calendar distances', () => {
  it('counts whole days, across DST changes, leap days and years', () => {
    const table: Array<[string, string, number]> = [
      ['2024-03-31', '2024-04-01', 1], // the spring-forward day (31 March) is 23 h long, still one day
      ['2024-10-26', '2024-10-28', 2], // across the 25 h day
      ['2024-02-28', '2024-03-01', 2], // leap day
      ['2023-02-28', '2023-03-01', 1],
      ['2024-01-01', '2025-01-01', 366],
      ['2025-01-01', '2024-01-01', -366],
      ['2024-05-05', '2024-05-05', 0],
      ['0001-01-01', '0001-12-31', 364],
      ['9999-12-30', '9999-12-31', 1],
    ];
    for (const [from, to, n] of table) expect(daysBetween(from, to), `${from}..${to}`).toBe(n);
  });

  it('is the inverse of addDays (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_900_000 }), fc.integer({ min: -40_000, max: 40_000 }), (offset, n) => {
        const from = addDays('1000-01-01', offset);
        return daysBetween(from, addDays(from, n)) === n;
      }),
    );
  });

  it('counts calendar months whatever the days', () => {
    expect(monthsBetween('2024-01-31', '2024-02-01')).toBe(1);
    expect(monthsBetween('2024-02-01', '2024-02-29')).toBe(0);
    expect(monthsBetween('2023-04-15', '2024-03-15')).toBe(11);
    expect(monthsBetween('2024-12-01', '2024-01-01')).toBe(-11);
    expect(monthsBetween('1970-01-01', '9999-12-31')).toBe(8030 * 12 - 1);
    expect(() => monthsBetween('2024-13-01', '2024-01-01')).toThrow(RangeError);
  });

  it('finds the whole months inside a range (hand-written table)', () => {
    expect(wholeMonthsWithin('2024-04-01', '2025-03-31')).toEqual({ first: '2024-04-01', last: '2025-03-31' });
    expect(wholeMonthsWithin('2024-04-02', '2025-03-30')).toEqual({ first: '2024-05-01', last: '2025-02-28' });
    expect(wholeMonthsWithin('2024-02-01', '2024-02-29')).toEqual({ first: '2024-02-01', last: '2024-02-29' });
    expect(wholeMonthsWithin('2023-02-01', '2023-02-28')).toEqual({ first: '2023-02-01', last: '2023-02-28' });
    expect(wholeMonthsWithin('2024-02-01', '2024-02-28')).toBeNull();
    expect(wholeMonthsWithin('2024-04-02', '2024-05-15')).toBeNull();
    expect(wholeMonthsWithin('2024-04-15', '2024-04-15')).toBeNull();
    expect(wholeMonthsWithin('2024-12-31', '2025-02-01')).toEqual({ first: '2025-01-01', last: '2025-01-31' });
  });

  it('whole months and the days around them make up the range exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 800 }), (offset, length) => {
        const from = addDays('2020-01-01', offset);
        const to = addDays(from, length);
        const m = wholeMonthsWithin(from, to);
        const whole = (d: string) => !!m && d >= m.first && d <= m.last;
        // Every day of a whole month is in the range, and each month is in or out as a whole.
        return daysInRange(from, to).every((d) => !whole(d) || (whole(monthStart(d)) && whole(addDays(addMonths(monthStart(d), 1), -1))))
          && (!m || (m.first === monthStart(m.first) && addDays(m.last, 1) === monthStart(addDays(m.last, 1)) && m.first >= from && m.last <= to))
          && (m !== null) === daysInRange(from, to).some((d) => d === monthStart(d) && addDays(addMonths(d, 1), -1) <= to);
      }),
    );
  });

  it('finds the first of January', () => {
    expect(yearStart('2024-07-15')).toBe('2024-01-01');
    expect(yearStart('0042-01-01')).toBe('0042-01-01');
    expect(() => yearStart('2024-02-30')).toThrow(RangeError);
  });
});
