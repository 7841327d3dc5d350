// The single home of Europe/London calendar logic. Days are `YYYY-MM-DD` strings.
import { DateTime } from 'luxon';

export type IsoDay = string;

const ZONE = 'Europe/London';
const HOUR_MS = 3_600_000;
const CACHE_LIMIT = 100_000;
const ISO_DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDay(s: string): boolean {
  const m = ISO_DAY_RE.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  // Plain arithmetic: Date.UTC maps years 0-99 to 1900-1999, which would get leap years wrong.
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const last = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= last;
}

function assertDay(day: IsoDay): void {
  if (!isIsoDay(day)) throw new RangeError(`Invalid day (expected YYYY-MM-DD): ${JSON.stringify(day)}`);
}

function assertInt(n: number, what: string): void {
  if (!Number.isInteger(n)) throw new RangeError(`${what} must be an integer, got ${n}`);
}

function parts(day: IsoDay): { year: number; month: number; day: number } {
  assertDay(day);
  return { year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)), day: Number(day.slice(8, 10)) };
}

function toDay(dt: DateTime): IsoDay {
  const iso = dt.isValid ? dt.toISODate() : null;
  if (iso === null || !isIsoDay(iso)) throw new RangeError(`Date out of supported range: ${dt.toString()}`);
  return iso;
}

function luxonLondonDay(ms: number): IsoDay {
  return toDay(DateTime.fromMillis(ms, { zone: 'utc' }).setZone(ZONE));
}

// Keyed by UTC hour bucket. Only buckets proven uniform are stored (see londonDayOf).
const dayByHour = new Map<number, IsoDay>();

export function londonDayOf(instant: Date | number): IsoDay {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const bucket = Math.floor(ms / HOUR_MS);
  const hit = dayByHour.get(bucket);
  if (hit !== undefined) return hit;

  if (!Number.isFinite(ms)) throw new RangeError(`Invalid instant: ${String(instant)}`);
  const start = DateTime.fromMillis(bucket * HOUR_MS, { zone: 'utc' }).setZone(ZONE);
  const end = DateTime.fromMillis(bucket * HOUR_MS + HOUR_MS - 1, { zone: 'utc' }).setZone(ZONE);
  // A whole-hour offset that is constant across the bucket maps the UTC hour onto one local hour,
  // hence one local day. Pre-1847 London used LMT (-00:01:15), where that fails: compute exactly.
  if (!start.isValid || start.offset !== end.offset || start.offset % 60 !== 0) return luxonLondonDay(ms);
  const day = toDay(start);
  if (dayByHour.size >= CACHE_LIMIT) dayByHour.clear();
  dayByHour.set(bucket, day);
  return day;
}

export function londonDayOfIso(ts: string): IsoDay {
  // Luxon alone would also accept time-only strings ("10:11" = today) and bare dates; neither is an instant.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(ts)) throw new RangeError(`Invalid ISO-8601 timestamp: ${JSON.stringify(ts)}`);
  const dt = DateTime.fromISO(ts, { zone: 'utc' });
  if (!dt.isValid) throw new RangeError(`Invalid ISO-8601 timestamp: ${JSON.stringify(ts)} (${dt.invalidExplanation ?? ''})`);
  return londonDayOf(dt.toMillis());
}

function londonMidnight(day: IsoDay): DateTime {
  // London clocks change at 01:00 UTC, so local midnight always exists and is unambiguous.
  const dt = DateTime.fromObject(parts(day), { zone: ZONE });
  if (!dt.isValid) throw new RangeError(`Cannot resolve London midnight of ${day}`);
  return dt;
}

export function londonMidnightUtc(day: IsoDay): Date {
  return londonMidnight(day).toJSDate();
}

export function londonDayRangeUtc(day: IsoDay): { start: Date; end: Date } {
  return { start: londonMidnightUtc(day), end: londonMidnightUtc(addDays(day, 1)) };
}

export function financialYearOf(day: IsoDay): number {
  const { year, month } = parts(day);
  return month >= 4 ? year : year - 1;
}

export function financialYearStart(fy: number): IsoDay {
  assertInt(fy, 'Financial year');
  const day = `${String(fy).padStart(4, '0')}-04-01`;
  assertDay(day);
  return day;
}

export function financialYearEnd(fy: number): IsoDay {
  assertInt(fy, 'Financial year');
  const day = `${String(fy + 1).padStart(4, '0')}-03-31`;
  assertDay(day);
  return day;
}

// Calendar arithmetic is done in UTC so it never sees DST.
function utcDay(day: IsoDay): DateTime {
  return DateTime.fromObject(parts(day), { zone: 'utc' });
}

export function addDays(day: IsoDay, n: number): IsoDay {
  assertInt(n, 'Day count');
  return toDay(utcDay(day).plus({ days: n }));
}

/** Whole days from `from` to `to` (negative when `to` is earlier), counted on the calendar, so never off by a DST hour. */
export function daysBetween(from: IsoDay, to: IsoDay): number {
  return Math.round(utcDay(to).diff(utcDay(from), 'days').days);
}

export function daysInRange(from: IsoDay, to: IsoDay): IsoDay[] {
  const out: IsoDay[] = [];
  for (let d = from; compareDays(d, to) <= 0; d = addDays(d, 1)) out.push(d);
  return out;
}

export function compareDays(a: IsoDay, b: IsoDay): number {
  assertDay(a);
  assertDay(b);
  // Fixed-width YYYY-MM-DD sorts lexicographically in date order.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function todayInLondon(now: Date = new Date()): IsoDay {
  return londonDayOf(now);
}

/**
 * The first London day that is still provisional: the figures of a day change as late events
 * arrive, and a day is final once it is older than `ageDays` London days (issue 22's
 * restatements: with 2, on the 6th the 4th, 5th and 6th are provisional and the 3rd is final).
 */
export function firstProvisionalDay(ageDays: number, now: Date = new Date()): IsoDay {
  assertInt(ageDays, 'Age in days');
  return addDays(todayInLondon(now), -ageDays);
}

export function monthStart(day: IsoDay): IsoDay {
  assertDay(day);
  return `${day.slice(0, 8)}01`;
}

/** Calendar months from the month of `from` to the month of `to`, whatever the days (2024-01-31 to 2024-02-01 is 1). */
export function monthsBetween(from: IsoDay, to: IsoDay): number {
  const a = parts(from);
  const b = parts(to);
  return (b.year - a.year) * 12 + b.month - a.month;
}

/**
 * The whole calendar months inside [from, to]: the first day of the first and the last day of
 * the last, or null when no month lies wholly inside (2024-04-02 to 2024-05-15 has none).
 */
export function wholeMonthsWithin(from: IsoDay, to: IsoDay): { first: IsoDay; last: IsoDay } | null {
  const first = from === monthStart(from) ? from : addMonths(monthStart(from), 1);
  const afterTo = addDays(to, 1);
  const last = afterTo === monthStart(afterTo) ? to : addDays(monthStart(to), -1);
  return compareDays(first, last) < 0 ? { first, last } : null;
}

/** 1 January of the day's year. */
export function yearStart(day: IsoDay): IsoDay {
  assertDay(day);
  return `${day.slice(0, 4)}-01-01`;
}

/** Clamps to the end of a shorter month (2024-01-31 + 1 month = 2024-02-29), as luxon does. */
export function addMonths(day: IsoDay, n: number): IsoDay {
  assertInt(n, 'Month count');
  return toDay(utcDay(day).plus({ months: n }));
}

export function londonOffsetString(day: IsoDay): string {
  return londonMidnight(day).toFormat('ZZZ');
}
