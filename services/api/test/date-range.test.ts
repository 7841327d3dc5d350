import { describe, expect, it } from 'vitest';
import { dateRangeQuery } from '../src/http/date-range.ts';
import { formatParam } from '../src/http/report-reply.ts';

// The query schema is the one place a report's dates are checked (reports.md section 3): its
// parsed output is the range the handler uses, so what it answers is pinned here directly.

// 23:30 UTC on 29 June is already 30 June in London (BST).
const LATE_EVENING = () => new Date('2024-06-29T23:30:00Z');
const FORMAT = 'Input must be a date in the format: YYYY-MM-DD';
const ORDER = 'Start date must be before end date';
const FY = 'Date must be in a single financial year.';

const optional = dateRangeQuery({ required: false, singleFinancialYear: false }, undefined, LATE_EVENING);
const billing = dateRangeQuery({ required: true, singleFinancialYear: true }, formatParam, LATE_EVENING);

const firstMessage = (r: { success: boolean; error?: { issues: Array<{ message: string }> } }) => r.error?.issues[0]?.message;

describe('dateRangeQuery', () => {
  it('parses to the range alone: the raw dates are gone, the extra parameters stay', () => {
    expect(billing.parse({ start_date: '2024-04-01', end_date: '2024-04-30', format: 'csv', other: 'x' })).toEqual({
      format: 'csv',
      range: { start: '2024-04-01', end: '2024-04-30' },
    });
  });

  it("puts today's London date in for a missing bound where the dates are optional", () => {
    expect(optional.parse({})).toEqual({ range: { start: '2024-06-30', end: '2024-06-30' } });
    expect(optional.parse({ start_date: '2024-06-01' })).toEqual({ range: { start: '2024-06-01', end: '2024-06-30' } });
    expect(firstMessage(optional.safeParse({ start_date: '2024-07-01' }))).toBe(ORDER);
  });

  it('answers a missing required date, an empty one or a malformed one with the format message', () => {
    for (const bad of [undefined, '', '2024-4-01', '2023-02-29', '2024-04-01T00:00:00Z', ['2024-04-01', '2024-04-02']]) {
      expect(firstMessage(billing.safeParse({ start_date: bad, end_date: '2024-04-30' })), String(bad)).toBe(FORMAT);
      expect(firstMessage(billing.safeParse({ start_date: '2024-04-01', end_date: bad })), String(bad)).toBe(FORMAT);
    }
  });

  it('runs the checks in the spec order and answers only the first failure', () => {
    const issues = (q: object) => billing.safeParse(q).error?.issues.map((i) => i.message);
    expect(issues({ start_date: 'x', end_date: 'y' })).toEqual([FORMAT]);
    // Reversed and across a financial year: the order check answers.
    expect(issues({ start_date: '2024-04-02', end_date: '2023-04-01' })).toEqual([ORDER]);
    expect(issues({ start_date: '2024-03-31', end_date: '2024-04-01' })).toEqual([FY]);
    expect(billing.parse({ start_date: '2024-04-01', end_date: '2024-04-01' }).range).toEqual({ start: '2024-04-01', end: '2024-04-01' });
  });

  it('only checks the financial year where the report asks for it', () => {
    expect(optional.parse({ start_date: '2024-03-31', end_date: '2024-04-01' }).range).toEqual({ start: '2024-03-31', end: '2024-04-01' });
  });
});
