import { addDays, addMonths, londonDayOf, londonOffsetString, monthStart, type IsoDay } from '@notify-stats/london';

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

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

function unixSeconds(value: unknown, name: string): Result<number | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value) || Number(value) > MAX_UNIX) {
    return { ok: false, message: `${name} must be a unix timestamp in seconds: a whole number from 0 to ${MAX_UNIX}` };
  }
  return { ok: true, value: Number(value) };
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
  if (startS >= endS) return { ok: false, message: 'start must be before end' };
  return { ok: true, value: { first: londonDayOf(startS * 1000), last: londonDayOf(endS * 1000 - 1) } };
}

const yearOf = (day: IsoDay) => Number(day.slice(0, 4));
const monthOf = (day: IsoDay) => Number(day.slice(5, 7));

/** Whole days from a to b (b - a), calendar arithmetic that never sees DST. */
function daysBetween(a: IsoDay, b: IsoDay): number {
  const utc = (d: IsoDay) => {
    const t = new Date(0);
    t.setUTCFullYear(yearOf(d), monthOf(d) - 1, Number(d.slice(8, 10)));
    return t.getTime();
  };
  return Math.round((utc(b) - utc(a)) / 86_400_000);
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
      return `${day.slice(0, 4)}-01-01`;
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
      return (yearOf(w.last) - yearOf(w.first)) * 12 + monthOf(w.last) - monthOf(w.first) + 1;
    case 'year':
      return yearOf(w.last) - yearOf(w.first) + 1;
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
    p = by === 'day' ? addDays(p, 1) : by === 'month' ? addMonths(p, 1) : `${String(yearOf(p) + 1).padStart(4, '0')}-01-01`;
  }
}

export function tooManyPeriods(count: number): string {
  return `The range holds ${count} periods, more than the ${MAX_PERIODS} allowed: narrow it or group by a longer period`;
}

/** A London day's midnight in the peers' format: `2014-09-19T00:00:00+0000`, `+0100` in BST. */
export function peerDate(day: IsoDay): string {
  return `${day}T00:00:00${londonOffsetString(day)}`;
}
