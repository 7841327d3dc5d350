import { z } from 'zod';
import { FACT_BILLING, FACT_BILLING_MONTH, REF_ANNUAL_BILLING, queryParsed, type ClickHouseClient } from '@notify-stats/clickhouse';
import { addDays } from '@notify-stats/london';
import { dayRangeParams, factDays, financialYearFactStart, monthSpan, type DayRange } from './day-range.ts';
import { monthlySumsReadable } from './query-days.ts';

const count = z.coerce.number();
const money = z.string(); // exact decimal text (output_format_json_quote_decimals)

/*
 * SMS charged after the free allowance (reports.md section 3), per service, day and rate.
 * A = the service's free_sms_fragment_limit for the day's financial year (0 if none; the newest
 * message wins). C is the running total of chargeable units from that year's 1 April, in (day,
 * rate) order; a fact row of u units charges max(C - A, 0) - max(C - u - A, 0), priced at its
 * rate: Int64 x Decimal(38, 10), never a float. Rows of one (day, rate) sit together, so their
 * charges add up to that (day, rate)'s, whatever their order and sign (the sum telescopes), and a
 * (day, rate) whose units sum to zero charges nothing. Days before {start} only use the
 * allowance up. The day's financial year is plain calendar arithmetic on a London date
 * (FY(d) = year if month >= 4, else year - 1).
 *
 * Each service's year is one sorted array: 2,000 services x 366 days is 2,000 groups rather
 * than 732,000 rows through a window function and a join (a whole-year billing report: 740 ms
 * down to 170 ms; bench/report-cost.ts). The allowance is joined to the 2,000 groups, not to
 * the rows. `{service_filter}` is either empty or a bound `service_id = {service_id: UUID}`.
 */
const chargedSql = (serviceFilter: string, lines: string) => `
  WITH allowance AS (
    SELECT service_id, toInt32(financial_year_start) AS fy, argMax(free_sms_fragment_limit, version) AS free_limit
    FROM ${REF_ANNUAL_BILLING.name} FINAL
    WHERE 1 ${serviceFilter}
    GROUP BY service_id, financial_year_start
  ),
  years AS (
    SELECT service_id, toInt32(toYear(day)) - if(toMonth(day) < 4, 1, 0) AS fy,
           arraySort(l -> (l.1, l.2), groupArray((day, rate, units))) AS lines
    FROM (${lines})
    GROUP BY service_id, fy
  )
  SELECT y.service_id AS service_id, y.lines AS lines, toInt64(ifNull(a.free_limit, 0)) AS free,
         arrayCumSum(arrayMap(l -> l.3, lines)) AS used,
         arrayMap((l, c) -> if(l.1 >= {start: Date}, greatest(c - free, 0) - greatest(c - l.3 - free, 0), 0), lines, used) AS charged
  FROM years AS y
  LEFT JOIN allowance AS a ON a.service_id = y.service_id AND a.fy = y.fy`;

/** Every sms fact row from the window's first day as a line (day, rate, units). */
const dayLines = (serviceFilter: string) => `
  SELECT service_id, day, rate, toInt64(chargeable_units) AS units
  FROM ${FACT_BILLING.name}
  WHERE notification_type = 'sms' AND day BETWEEN {fy_start: Date} AND {end: Date} ${serviceFilter}`;

/** The whole months before the range (from its financial year's 1 April) and inside it. */
const MONTH_SPANS = (column: string) =>
  `(${column} BETWEEN {before_from: Date} AND {before_to: Date} OR ${column} BETWEEN {months_from: Date} AND {months_to: Date})`;

/** The monthly sms sums of those months. */
const SMS_MONTHS = `FROM ${FACT_BILLING_MONTH.name} WHERE notification_type = 'sms' AND ${MONTH_SPANS('month')}`;

/*
 * The same lines, with a service's month as one line wherever that is exact: a month lying
 * wholly before {start} or wholly inside the range (the months_* spans), in which the service has
 * one rate (its lowest and highest rate are equal). Its days are then one contiguous block of the
 * sorted lines, all at that rate, and a block's charges telescope to
 * max(C_end - A, 0) - max(C_begin - A, 0): the month's line charges exactly what its days would.
 * A month with two rates (a rate that changed inside it) keeps its days, since where the
 * allowance runs out among them decides which rate is paid. A year is then 12 lines per service
 * instead of 366 (bench/report-cost.ts).
 *
 * Each part filters the table itself, where the key (day first) skips what the filter excludes:
 * the engine inlines a WITH subquery wherever it is named and reads a subquery whole before a
 * filter on its result. One grouping per (service, month) tells one rate from two by its lowest
 * and highest rate, where grouping per rate and counting the rates groups twice. A whole-year
 * range's charges, 2,000 services: 67-71 ms as one CTE named three times, 36 ms as written here
 * (docs/benchmarks.md section 3).
 */
const MONTH_OR_DAY_LINES = `
  SELECT service_id, month AS day, lowest AS rate, units
  FROM (
    SELECT service_id, month, min(rate) AS lowest, max(rate) AS highest, sum(chargeable_units) AS units
    ${SMS_MONTHS}
    GROUP BY service_id, month
  )
  WHERE lowest = highest
  UNION ALL
  ${dayLines(`AND NOT ${MONTH_SPANS('day')}`)}
  UNION ALL
  ${dayLines(`AND ${MONTH_SPANS('day')} AND (service_id, toStartOfMonth(day)) IN (
      SELECT service_id, month ${SMS_MONTHS}
      GROUP BY service_id, month
      HAVING min(rate) != max(rate))`)}`;

const ALL_SERVICES_SQL = `
  SELECT toString(service_id) AS service_id, sum(arraySum(charged)) AS sms_chargeable_units,
         sum(arraySum(arrayMap((n, l) -> n * l.2, charged, lines))) AS sms_cost
  FROM (${chargedSql('', MONTH_OR_DAY_LINES)})
  GROUP BY service_id
  HAVING sms_chargeable_units != 0 OR sms_cost != 0
  SETTINGS join_use_nulls = 1`;

// Every (day, rate) in the range with units, also those the allowance covers (charged 0).
const ONE_SERVICE_SQL = `
  SELECT toString(line.1) AS day, line.2 AS rate, sum(n) AS charged_units, sum(n * line.2) AS cost
  FROM (${chargedSql('AND service_id = {service_id: UUID}', dayLines('AND service_id = {service_id: UUID}'))})
  ARRAY JOIN lines AS line, charged AS n
  WHERE line.1 >= {start: Date}
  GROUP BY line.1, line.2
  HAVING sum(line.3) != 0
  ORDER BY line.1, line.2
  SETTINGS join_use_nulls = 1`;

/** The window the running totals need: from the range's first financial year's 1 April. */
function window(range: DayRange) {
  const { start, end } = dayRangeParams.parse(range);
  const days = factDays({ start, end });
  const from = factDays({ start: financialYearFactStart(start), end });
  return days && from ? { fy_start: from.start, start: days.start, end: days.end } : null;
}

/** The whole months before the range (from its year's 1 April) and inside it, for MONTH_OR_DAY_LINES. */
async function monthSpans(client: ClickHouseClient, w: { fy_start: string; start: string; end: string }) {
  const readable = await monthlySumsReadable(client);
  const before = monthSpan(readable ? { start: w.fy_start, end: addDays(w.start, -1) } : null);
  return { before_from: before.months_from, before_to: before.months_to, ...monthSpan(readable ? { start: w.start, end: w.end } : null) };
}

export const smsChargedRow = z.object({ service_id: z.string(), sms_chargeable_units: count, sms_cost: money });
export type SmsChargedRow = z.infer<typeof smsChargedRow>;

/** Sms units and cost per service after the free allowance (the billing report: a range in one FY). */
export async function smsChargedByService(client: ClickHouseClient, range: DayRange): Promise<SmsChargedRow[]> {
  const params = window(range);
  if (!params) return [];
  return queryParsed(client, ALL_SERVICES_SQL, { ...params, ...(await monthSpans(client, params)) }, smsChargedRow);
}

export const smsChargedDayRow = z.object({ day: z.string(), rate: money, charged_units: count, cost: money });
export type SmsChargedDayRow = z.infer<typeof smsChargedDayRow>;

/** One service's sms units and cost charged per day (and rate) after the free allowance; any range. */
export async function smsChargedByDay(client: ClickHouseClient, serviceId: string, range: DayRange): Promise<SmsChargedDayRow[]> {
  const params = window(range);
  if (!params) return [];
  return queryParsed(client, ONE_SERVICE_SQL, { ...params, service_id: z.guid().parse(serviceId) }, smsChargedDayRow);
}
