import { z } from 'zod';
import { compareDays, financialYearOf, isIsoDay, todayInLondon } from '@notify-stats/london';
import type { DayRange } from '../queries/day-range.ts';

/** Messages exactly as reports.md section 3 words them. */
export const MESSAGES = {
  format: 'Input must be a date in the format: YYYY-MM-DD',
  order: 'Start date must be before end date',
  financialYear: 'Date must be in a single financial year.',
} as const;

export interface DateRangeRules {
  /** Both dates must be given (else they default to today in London). */
  required: boolean;
  singleFinancialYear: boolean;
}

// Raw values are taken as they come (an array when a name repeats, "" when empty) so that any
// of them fails with the spec's format message rather than zod's own words.
const dateParam = z
  .unknown()
  .optional()
  .describe('London date, YYYY-MM-DD (inclusive)')
  .meta({ type: 'string', format: 'date' });

type Check = { ok: true; range: DayRange } | { ok: false; message: string; path: 'start_date' | 'end_date' };

/**
 * The spec's checks in its order (reports.md section 3: start format, end format, order,
 * financial year), first failure only, and the range they leave: today's London date stands in
 * for a bound that may be and is missing.
 */
export function checkDateRange(q: { start_date?: unknown; end_date?: unknown }, rules: DateRangeRules, now: Date): Check {
  const today = todayInLondon(now);
  const day = (v: unknown) => (v === undefined && !rules.required ? today : typeof v === 'string' && isIsoDay(v) ? v : null);
  const start = day(q.start_date);
  if (start === null) return { ok: false, message: MESSAGES.format, path: 'start_date' };
  const end = day(q.end_date);
  if (end === null) return { ok: false, message: MESSAGES.format, path: 'end_date' };
  if (compareDays(start, end) > 0) return { ok: false, message: MESSAGES.order, path: 'start_date' };
  if (rules.singleFinancialYear && financialYearOf(start) !== financialYearOf(end)) {
    return { ok: false, message: MESSAGES.financialYear, path: 'start_date' };
  }
  return { ok: true, range: { start, end } };
}

/**
 * Query schema for a date-range report whose parsed output is `{ range, ...extra }`: the handler
 * gets the validated range, typed, and never looks at the raw dates again. The OpenAPI document
 * is generated from the schema's input side (start_date, end_date and the extra parameters).
 */
export function dateRangeQuery<Extra extends z.ZodRawShape = Record<never, never>>(rules: DateRangeRules, extra?: Extra, now: () => Date = () => new Date()) {
  type Parsed = z.output<z.ZodObject<Extra>> & { range: DayRange };
  return z.object({ start_date: dateParam, end_date: dateParam, ...extra }).transform((q, ctx): Parsed => {
    const checked = checkDateRange(q, rules, now());
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message, path: [checked.path] });
      return z.NEVER;
    }
    const { start_date: _start, end_date: _end, ...rest } = q as Record<string, unknown>;
    // What is left is exactly the extra parameters, as their schemas parsed them.
    return { ...(rest as z.output<z.ZodObject<Extra>>), range: checked.range };
  });
}
