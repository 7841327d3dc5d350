import { addDays, addMonths, compareDays, isIsoDay, londonMidnightUtc, monthStart, todayInLondon, type IsoDay } from '@notify-stats/london';
import { sumMoney } from '@notify-stats/money';
import { MAX_PERIODS, periodCount, periodStarts, type DayWindow } from './periods.ts';
import { fail, ok, type Result } from './result.ts';

export const INTERVALS = ['last_month', 'last_twelve_months', 'custom'] as const;
type Interval = (typeof INTERVALS)[number];

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** One month of GET /v1/statistics/cost-resume, in the peer's strings. */
export interface CostResumeMonth {
  month: string;
  year: string;
  m: string;
  date: number;
  type: 'month';
  cost: string;
  nb_send: string;
}

export interface CostResumeQuery {
  interval: Interval;
  window: DayWindow;
}

const FIRST_DAY = '1970-01-01';

/** DD-MM-YYYY, zero-padded, a real date from 01-01-1970, as YYYY-MM-DD. */
function peerDay(value: unknown): IsoDay | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(value);
  if (!m) return null;
  const day = `${m[3]}-${m[2]}-${m[1]}`;
  return isIsoDay(day) && compareDays(day, FIRST_DAY) >= 0 ? day : null;
}

/**
 * The London days asked for. last_month: the previous calendar month; last_twelve_months: the
 * twelve months before the current one (so its last month is last_month); custom: from..to,
 * both inclusive. `from`/`to` are only read for custom.
 */
export function resolveCostResumeQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<CostResumeQuery> {
  const interval = q.interval;
  if (typeof interval !== 'string' || !(INTERVALS as readonly string[]).includes(interval)) {
    return fail(`interval is required, one of ${INTERVALS.join(', ')}`);
  }
  const thisMonth = monthStart(todayInLondon(new Date(nowMs)));
  const lastDay = addDays(thisMonth, -1);
  if (interval === 'last_month') return ok({ interval, window: { first: monthStart(lastDay), last: lastDay } });
  if (interval === 'last_twelve_months') return ok({ interval, window: { first: addMonths(thisMonth, -12), last: lastDay } });
  const from = peerDay(q.from);
  if (!from) return fail('from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970');
  const to = peerDay(q.to);
  if (!to) return fail('to is required with interval=custom, a date DD-MM-YYYY from 01-01-1970');
  if (compareDays(from, to) > 0) return fail('from must not be after to');
  const window = { first: from, last: to };
  const n = periodCount(window, 'month');
  if (n > MAX_PERIODS) return fail(`from..to holds ${n} months, more than the ${MAX_PERIODS} allowed: narrow it`);
  return ok({ interval: 'custom', window });
}

export interface CostResumeInputs {
  charged: ReadonlyArray<{ day: string; cost: string }>;
  billing: ReadonlyArray<{ day: string; sent: number }>;
}

/** One entry per calendar month of the window, traffic or not, in the peer's strings. */
export function costResumeMonths(window: DayWindow, input: CostResumeInputs): CostResumeMonth[] {
  const costs = new Map<string, string[]>();
  const sent = new Map<string, number>();
  for (const c of input.charged) {
    const key = monthStart(c.day);
    const list = costs.get(key);
    if (list) list.push(c.cost);
    else costs.set(key, [c.cost]);
  }
  for (const b of input.billing) sent.set(monthStart(b.day), (sent.get(monthStart(b.day)) ?? 0) + b.sent);
  return periodStarts(window, 'month').map((start) => {
    const m = Number(start.slice(5, 7));
    return {
      month: MONTHS[m - 1] ?? '',
      year: start.slice(0, 4),
      m: start.slice(5, 7),
      date: londonMidnightUtc(start).getTime() / 1000,
      type: 'month' as const,
      cost: sumMoney(costs.get(start) ?? []),
      nb_send: String(sent.get(start) ?? 0),
    };
  });
}
