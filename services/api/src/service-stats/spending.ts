import { financialYearOf, financialYearStart } from '@notify-stats/london';
import { moneyToNumber, multiplyMoney, parseMoney, sumMoney } from '@notify-stats/money';
import { letterBreakdown } from '../letter-breakdown.ts';
import type { DayRange } from '../queries/day-range.ts';
import type { ServiceLetterDayRow } from '../queries/service-stats.ts';
import type { SmsChargedDayRow } from '../queries/sms-charges.ts';
import { peerDate, resolveWindow, type DayWindow } from './periods.ts';
import { fail, ok, type Result } from './result.ts';
import { uuidV5 } from './uuid-v5.ts';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

/** One statement of GET /v2/stats/spending. */
export interface Statement {
  id: string;
  date: string;
  balance: number;
  delta: number;
  type: 'sms' | 'letter';
  value: number;
  comment: string;
}

export interface SpendingQuery {
  page: number;
  limit: number;
  window: DayWindow;
}

function wholeNumber(value: unknown, fallback: number, max: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= max ? n : null;
}

/** The query's values, or the first problem with it (page, limit, start, end, their order). */
export function resolveSpendingQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<SpendingQuery> {
  const page = wholeNumber(q.page, 1, Number.MAX_SAFE_INTEGER);
  if (page === null) return fail('page must be a whole number from 1');
  const limit = wholeNumber(q.limit, DEFAULT_LIMIT, MAX_LIMIT);
  if (limit === null) return fail(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  const window = resolveWindow(q, nowMs);
  if (!window.ok) return window;
  return ok({ page, limit, window: window.value });
}

interface Charge {
  day: string;
  type: 'sms' | 'letter';
  value: number;
  cost: string;
  comment: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The rows that charge something, grouped by day in the order the days first appear. */
function chargedByDay<R extends { day: string }>(rows: readonly R[], charged: (r: R) => number): Array<[string, R[]]> {
  const byDay = new Map<string, R[]>();
  for (const r of rows) {
    if (charged(r) <= 0) continue;
    const list = byDay.get(r.day);
    if (list) list.push(r);
    else byDay.set(r.day, [r]);
  }
  return [...byDay];
}

function smsCharges(rows: readonly SmsChargedDayRow[]): Charge[] {
  return chargedByDay(rows, (r) => r.charged_units).map(([day, list]) => ({
    day,
    type: 'sms' as const,
    value: list.reduce((n, r) => n + r.charged_units, 0),
    cost: sumMoney(list.map((r) => r.cost)),
    comment: `${list.map((r) => `${plural(r.charged_units, 'text message unit', 'text message units')} at £${parseMoney(r.rate) ?? r.rate}`).join(', ')} beyond the free allowance`,
  }));
}

function letterCharges(rows: readonly ServiceLetterDayRow[]): Charge[] {
  return chargedByDay(rows, (r) => r.letters).map(([day, list]) => ({
    day,
    type: 'letter' as const,
    value: list.reduce((n, r) => n + r.letters, 0),
    cost: sumMoney(list.map((r) => r.cost)),
    // The billing report's breakdown lines, on one line.
    comment: letterBreakdown(list).trimEnd().split('\n').join(', '),
  }));
}

/**
 * One statement per charged day and type, oldest first (sms before letters on a day). The
 * balance is the spend of the statement's financial year up to and including it, so charges
 * before the window (back to its FY's 1 April) count; only statements inside the window are kept.
 */
export function statements(
  serviceId: string,
  window: DayWindow,
  sms: readonly SmsChargedDayRow[],
  letters: readonly ServiceLetterDayRow[],
): Statement[] {
  const charges = [...smsCharges(sms), ...letterCharges(letters)].sort(
    (a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) || (a.type === b.type ? 0 : a.type === 'sms' ? -1 : 1),
  );
  const out: Statement[] = [];
  let fy: number | null = null;
  let balance = '0';
  for (const c of charges) {
    const cfy = financialYearOf(c.day);
    if (cfy !== fy) {
      fy = cfy;
      balance = '0';
    }
    balance = sumMoney([balance, c.cost]);
    if (c.day < window.first || c.day > window.last) continue;
    out.push({
      id: uuidV5(serviceId, `${c.day}:${c.type}`),
      date: peerDate(c.day),
      balance: moneyToNumber(balance),
      delta: moneyToNumber(multiplyMoney(c.cost, -1)),
      type: c.type,
      value: c.value,
      comment: c.comment,
    });
  }
  return out;
}

/**
 * The days whose charges a window's statements need: its own, and before them its financial
 * year's from 1 April, because a statement's balance is the spend of its financial year so far.
 */
export function statementHistory(window: DayWindow): DayRange {
  return { start: financialYearStart(financialYearOf(window.first)), end: window.last };
}

/** The page asked for; `pageCount` is 0 when there is no statement, a page past the end is empty. */
export function statementPage(all: readonly Statement[], q: Pick<SpendingQuery, 'page' | 'limit'>) {
  return {
    page: q.page,
    limit: q.limit,
    pageCount: Math.ceil(all.length / q.limit),
    resources: all.slice((q.page - 1) * q.limit, q.page * q.limit),
  };
}
