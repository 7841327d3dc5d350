import { z } from 'zod';
import { compareDays, financialYearOf, isIsoDay, todayInLondon } from '@notify-stats/london';

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

const dateParam = z
  .unknown()
  .optional()
  .describe('London date, YYYY-MM-DD (inclusive)')
  .meta({ type: 'string', format: 'date' });

/**
 * Query schema for a date-range report. The checks run in the spec's order (start format, end
 * format, order, financial year) and only the first failure is reported, as the reference does.
 */
export function dateRangeQuery(rules: DateRangeRules, extra: z.ZodRawShape = {}) {
  return z
    .object({ start_date: dateParam, end_date: dateParam, ...extra })
    .superRefine((q, ctx) => {
      for (const name of ['start_date', 'end_date'] as const) {
        const v = q[name];
        if (v === undefined && !rules.required) continue;
        if (typeof v !== 'string' || !isIsoDay(v)) {
          ctx.addIssue({ code: 'custom', message: MESSAGES.format, path: [name] });
          return;
        }
      }
      const { start, end } = resolveRange(q as { start_date?: string; end_date?: string });
      if (compareDays(start, end) > 0) {
        ctx.addIssue({ code: 'custom', message: MESSAGES.order, path: ['start_date'] });
        return;
      }
      if (rules.singleFinancialYear && financialYearOf(start) !== financialYearOf(end)) {
        ctx.addIssue({ code: 'custom', message: MESSAGES.financialYear, path: ['start_date'] });
      }
    });
}

/** The validated range, with today's London date for a missing bound. */
export function resolveRange(q: { start_date?: unknown; end_date?: unknown }, now = new Date()): { start: string; end: string } {
  const today = todayInLondon(now);
  return {
    start: typeof q.start_date === 'string' ? q.start_date : today,
    end: typeof q.end_date === 'string' ? q.end_date : today,
  };
}
