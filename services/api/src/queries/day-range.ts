import { z } from 'zod';
import { financialYearOf, financialYearStart, wholeMonthsWithin } from '@notify-stats/london';

export const dayRangeParams = z.object({ start: z.iso.date(), end: z.iso.date() });
export type DayRange = z.infer<typeof dayRangeParams>;

// ClickHouse's Date spans these days and saturates anything outside them (0001-01-01 reads as
// 1970-01-01), which would wrongly pull in the edge day. Facts only exist inside, so a range is
// intersected with it instead, and a range wholly outside has no facts at all.
const FIRST_FACT_DAY = '1970-01-01';
const LAST_FACT_DAY = '2149-06-06';

export function factDays(range: DayRange): DayRange | null {
  const start = range.start < FIRST_FACT_DAY ? FIRST_FACT_DAY : range.start;
  const end = range.end > LAST_FACT_DAY ? LAST_FACT_DAY : range.end;
  return start <= end ? { start, end } : null;
}

/** 1 April of the day's financial year, or the first fact day when that lies before it. */
export function financialYearFactStart(day: string): string {
  const fy = financialYearOf(day);
  return fy < 1970 ? FIRST_FACT_DAY : financialYearStart(fy);
}

/**
 * The whole months of a range, as the placeholders `{months_from: Date}` and `{months_to: Date}`
 * (first and last day): readers take them from the monthly sums. With none (or no range), an
 * empty span (from after to), which takes no month and excludes no day.
 */
export function monthSpan(days: DayRange | null): { months_from: string; months_to: string } {
  const m = days && wholeMonthsWithin(days.start, days.end);
  return m ? { months_from: m.first, months_to: m.last } : { months_from: LAST_FACT_DAY, months_to: FIRST_FACT_DAY };
}
