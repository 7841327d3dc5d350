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

/** ISO-8601 in UTC; a missing offset means UTC (events.md). An explicit offset is converted to UTC. */
export const timestamp = z.string().transform((s, ctx): Timestamp => {
  const m = ISO_TIMESTAMP.exec(s);
  if (!m || !realClockFields(m)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp like 2024-04-15T10:11:12.123Z' });
    return z.NEVER;
  }
  const offset = m[8];
  const isUtc = !offset || offset === 'Z';
  const utcText = isUtc ? `${s.replace(/Z$/, '')}Z` : s;
  const ms = Date.parse(utcText);
  if (ms < MIN_MS || ms >= MAX_MS) {
    ctx.addIssue({ code: 'custom', message: 'is out of range (2000-01-01 to 2099-12-31)' });
    return z.NEVER;
  }
  return { iso: isUtc ? utcText : new Date(ms).toISOString(), ms };
});

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

export const isoDay = z.string().refine(isIsoDay, { message: 'must be a date YYYY-MM-DD' });

/** GBP amount as a JSON number or decimal string, kept as an exact decimal string. */
export const money = z.unknown().transform((v, ctx) => {
  const parsed = parseMoney(v);
  if (parsed === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a non-negative decimal amount (number or string, at most 10 decimal places)' });
    return z.NEVER;
  }
  return parsed;
});

export const nullableString = z.string().max(10_000).nullish().transform((v) => v ?? null);
