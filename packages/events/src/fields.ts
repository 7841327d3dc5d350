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
  const offset = m?.[8];
  const utcText = m && (!offset || offset === 'Z') ? `${s.replace(/Z$/, '')}Z` : s;
  const ms = m ? Date.parse(utcText) : NaN;
  if (!m || Number.isNaN(ms) || !sameCalendarFields(m, ms, offset)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp like 2024-04-15T10:11:12.123Z' });
    return z.NEVER;
  }
  if (ms < MIN_MS || ms >= MAX_MS) {
    ctx.addIssue({ code: 'custom', message: 'is out of range (2000-01-01 to 2099-12-31)' });
    return z.NEVER;
  }
  return { iso: !offset || offset === 'Z' ? utcText : new Date(ms).toISOString(), ms };
});

// Date.parse rolls 2024-02-30 over to March; a real calendar date must read back unchanged.
function sameCalendarFields(m: RegExpExecArray, ms: number, offset: string | undefined): boolean {
  if (Number.isNaN(ms)) return false;
  if (offset && offset !== 'Z') return true;
  const d = new Date(ms);
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() + 1 === Number(m[2]) &&
    d.getUTCDate() === Number(m[3]) &&
    d.getUTCHours() === Number(m[4])
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
