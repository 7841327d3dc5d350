import { addDays, addMonths, daysBetween, londonDayOf, londonOffsetString, monthsBetween, monthStart, yearStart, type IsoDay } from '@notify-stats/london';
import { fail, ok, type Result } from './result.ts';

/** How the messaging statistics group days. */
export const GROUPINGS = ['off', 'day', 'month', 'year'] as const;
export type By = (typeof GROUPINGS)[number];

/**
 * The most periods one answer holds (ten years of days). Every period costs a few London-calendar
 * computations (~0.1 ms), so this bounds the worst request to about half a second.
 */
export const MAX_PERIODS = 3660;

/** Unix seconds accepted for start and end: 1970-01-01 to 9999-12-31 (UTC). */
export const MAX_UNIX = 253_402_300_799;
const DEFAULT_SPAN_S = 7 * 86_400;

export interface DayWindow {
  first: IsoDay;
  last: IsoDay;
}

function unixSeconds(value: unknown, name: string): Result<number | undefined> {
  if (value === undefined) return ok(undefined);
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value) || Number(value) > MAX_UNIX) {
    return fail(`${name} must be a unix timestamp in seconds: a whole number from 0 to ${MAX_UNIX}`);
  }
  return ok(Number(value));
}

/**
 * `start`/`end` (unix seconds) as the London days they cover. The window is half-open,
 * [start, end): it holds every London day from the one containing `start` to the one containing
 * the last second before `end`, whole days because the facts are daily. So start and end at
 * London midnights ask for exactly the days between. Defaults: end = now, start = end - 7 days.
 */
export function resolveWindow(q: { start?: unknown; end?: unknown }, nowMs = Date.now()): Result<DayWindow> {
  const start = unixSeconds(q.start, 'start');
  if (!start.ok) return start;
  const end = unixSeconds(q.end, 'end');
  if (!end.ok) return end;
  const endS = end.value ?? Math.min(Math.floor(nowMs / 1000), MAX_UNIX);
  const startS = start.value ?? Math.max(endS - DEFAULT_SPAN_S, 0);
  if (startS >= endS) return fail('start must be before end');
  return ok({ first: londonDayOf(startS * 1000), last: londonDayOf(endS * 1000 - 1) });
}

/** The start (a London day) of the period holding `day`; `off` has one period, starting at `first`. */
export function periodOf(day: IsoDay, by: By, first: IsoDay): IsoDay {
  switch (by) {
    case 'off':
      return first;
    case 'day':
      return day;
    case 'month':
      return monthStart(day);
    case 'year':
      return yearStart(day);
  }
}

/** How many periods the window spans. */
export function periodCount(w: DayWindow, by: By): number {
  switch (by) {
    case 'off':
      return 1;
    case 'day':
      return daysBetween(w.first, w.last) + 1;
    case 'month':
      return monthsBetween(w.first, w.last) + 1;
    case 'year':
      // From one 1 January to another is a whole number of twelve months.
      return monthsBetween(yearStart(w.first), yearStart(w.last)) / 12 + 1;
  }
}

/** Every period start of the window, in order (periods with no traffic included). */
export function periodStarts(w: DayWindow, by: By): IsoDay[] {
  const out: IsoDay[] = [];
  const last = periodOf(w.last, by, w.first);
  // Stops at the last period before stepping past it: the step after 9999-12 does not exist.
  for (let p = periodOf(w.first, by, w.first); ; ) {
    out.push(p);
    if (p === last) return out;
    p = by === 'day' ? addDays(p, 1) : addMonths(p, by === 'month' ? 1 : 12);
  }
}

export function tooManyPeriods(count: number): string {
  return `The range holds ${count} periods, more than the ${MAX_PERIODS} allowed: narrow it or group by a longer period`;
}

/** A London day's midnight in the peers' format: `2014-09-19T00:00:00+0000`, `+0100` in BST. */
export function peerDate(day: IsoDay): string {
  return `${day}T00:00:00${londonOffsetString(day)}`;
}
