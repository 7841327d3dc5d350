import { z } from 'zod';
import { parseMoney } from '@notify-stats/money';
import { isIsoDay } from '@notify-stats/london';

// Any 8-4-4-4-12 hex id: producers' ids are not always RFC 9562 v4 (fixtures use 1111...-style ids).
export const uuid = z.guid({ error: 'must be a UUID' }).transform((s) => s.toLowerCase());

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;
// Outside this window a timestamp is a producer bug, not a notification (and would not fit the engine's types).
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

export interface Timestamp {
  /** UTC ISO string with `Z`, sub-millisecond digits kept when the input was already UTC. */
  iso: string;
  /** Epoch milliseconds. */
  ms: number;
}

const TIMESTAMP_FORMAT = 'must be an ISO-8601 timestamp like 2024-04-15T10:11:12.123Z';
const TIMESTAMP_RANGE = 'is out of range (2000-01-01 to 2099-12-31)';

/**
 * ISO-8601 in UTC; a missing offset means UTC (events.md). An explicit offset is converted to UTC.
 * Returns the reason as a string when `s` is not one. Shared by the zod schema and the hot path.
 */
export function parseTimestamp(s: string): Timestamp | string {
  const fast = canonicalUtc(s);
  if (fast !== undefined) return fast;
  const m = ISO_TIMESTAMP.exec(s);
  if (!m || !realClockFields(m)) return TIMESTAMP_FORMAT;
  const offset = m[8];
  const isUtc = !offset || offset === 'Z';
  const utcText = isUtc ? `${s.replace(/Z$/, '')}Z` : s;
  const ms = Date.parse(utcText);
  if (ms < MIN_MS || ms >= MAX_MS) return TIMESTAMP_RANGE;
  return { iso: isUtc ? utcText : new Date(ms).toISOString(), ms };
}

export const timestamp = z.string().transform((s, ctx): Timestamp => {
  const t = parseTimestamp(s);
  if (typeof t === 'string') {
    ctx.addIssue({ code: 'custom', message: t });
    return z.NEVER;
  }
  return t;
});

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` read by character codes: what every producer sends, so
 * the regex and Date.parse below only see the rest. undefined means "not this form, use the
 * general path", whose result this must equal (the fields test holds it to that).
 */
function canonicalUtc(s: string): Timestamp | undefined {
  const n = s.length;
  if (n < 20 || n > 30 || s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return undefined;
  const hi = two(s, 0);
  const lo = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  let millis = 0;
  if (n > 20) {
    // A fraction of 1 to 9 digits, of which Date.parse keeps the first three (truncating).
    if (s[19] !== '.' || n < 22) return undefined;
    for (let i = 20; i < n - 1; i++) {
      const d = digit(s, i);
      if (d < 0 || d > 9) return undefined;
      if (i < 23) millis += d * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  const year = hi * 100 + lo;
  if (day > daysInMonth(year, month)) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (ms < MIN_MS || ms >= MAX_MS) return undefined;
  return { iso: s, ms };
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

// Date.parse rolls 2024-02-30 over to March: check every field is a real calendar/clock value.
function realClockFields(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i])) as [number, number, number, number, number, number];
  const offset = /^([+-])(\d{2}):(\d{2})$/.exec(m[8] ?? '');
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    (!offset || (Number(offset[2]) <= 14 && Number(offset[3]) <= 59))
  );
}

/** A London day inside the window timestamps are held to (the engine's date types hold it). */
export const isoDay = z
  .string()
  .refine(isIsoDay, { message: 'must be a date YYYY-MM-DD' })
  .refine((d) => d >= '2000-01-01' && d <= '2099-12-31', { message: 'is out of range (2000-01-01 to 2099-12-31)' });

/** True for an instant inside the window every timestamp of the contract is held to. */
export const inTimestampRange = (ms: number) => ms >= MIN_MS && ms < MAX_MS;
export { TIMESTAMP_RANGE };

/** GBP amount as a JSON number or decimal string, kept as an exact decimal string. */
export const money = z.unknown().transform((v, ctx) => {
  const parsed = parseMoney(v);
  if (parsed === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a non-negative decimal amount (number or string, at most 10 decimal places; a number of more than 15 significant digits must be a string)' });
    return z.NEVER;
  }
  return parsed;
});

export const nullableString = z.string().max(10_000).nullish().transform((v) => v ?? null);
