import { z } from 'zod';
import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { dayRangeParams, factDays, financialYearFactStart, type DayRange } from './day-range.ts';

const count = z.coerce.number();
const money = z.string(); // exact decimal text (output_format_json_quote_decimals)

/*
 * SMS charged after the free allowance (reports.md section 3), per service, day and rate.
 * A = the service's free_sms_fragment_limit for the day's financial year (0 if none; the newest
 * message wins). C(day) is the running total of chargeable units from that year's 1 April
 * (partitioned by service and year, so it restarts every April); C(day - 1) is `used - units`
 * because days without facts add nothing. charged_day = max(C(day) - A, 0) - max(C(day - 1) - A, 0),
 * priced at the day's rate: Int64 x Decimal(38, 10), never a float. Days before {start} only use
 * the allowance up and are dropped after the window has seen them. The day's financial year is
 * plain calendar arithmetic on a London date (FY(d) = year if month >= 4, else year - 1).
 * `{service_filter}` is either empty or a bound `service_id = {service_id: UUID}` condition.
 */
const chargedSql = (serviceFilter: string) => `
  WITH allowance AS (
    SELECT service_id, toInt32(financial_year_start) AS fy, argMax(free_sms_fragment_limit, version) AS free_limit
    FROM ref_annual_billing FINAL
    WHERE 1 ${serviceFilter}
    GROUP BY service_id, financial_year_start
  ),
  daily AS (
    SELECT service_id, day, rate, toInt64(sum(chargeable_units)) AS units,
           toInt32(toYear(day)) - if(toMonth(day) < 4, 1, 0) AS fy
    FROM fact_billing
    WHERE notification_type = 'sms' AND day BETWEEN {fy_start: Date} AND {end: Date} ${serviceFilter}
    GROUP BY service_id, day, rate
    HAVING sum(notifications_sent) != 0 OR units != 0
  ),
  running AS (
    SELECT service_id, day, rate, units, fy,
           sum(units) OVER (PARTITION BY service_id, fy ORDER BY day, rate ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS used
    FROM daily
  )
  SELECT r.service_id AS service_id, r.day AS day, r.rate AS rate,
         greatest(r.used - toInt64(ifNull(a.free_limit, 0)), 0)
           - greatest(r.used - r.units - toInt64(ifNull(a.free_limit, 0)), 0) AS charged_units
  FROM running AS r
  LEFT JOIN allowance AS a ON a.service_id = r.service_id AND a.fy = r.fy
  WHERE r.day >= {start: Date}
  SETTINGS join_use_nulls = 1`;

const ALL_SERVICES_SQL = `
  SELECT toString(service_id) AS service_id, sum(charged_units) AS sms_chargeable_units, sum(charged_units * rate) AS sms_cost
  FROM (${chargedSql('')})
  GROUP BY service_id`;

const ONE_SERVICE_SQL = `
  SELECT toString(day) AS day, rate, charged_units, charged_units * rate AS cost
  FROM (${chargedSql('AND service_id = {service_id: UUID}')})
  ORDER BY day, rate`;

/** The window the running totals need: from the range's first financial year's 1 April. */
function window(range: DayRange) {
  const { start, end } = dayRangeParams.parse(range);
  const days = factDays({ start, end });
  const from = factDays({ start: financialYearFactStart(start), end });
  return days && from ? { fy_start: from.start, start: days.start, end: days.end } : null;
}

export const smsChargedRow = z.object({ service_id: z.string(), sms_chargeable_units: count, sms_cost: money });
export type SmsChargedRow = z.infer<typeof smsChargedRow>;

/** Sms units and cost per service after the free allowance (the billing report: a range in one FY). */
export async function smsChargedByService(client: ClickHouseClient, range: DayRange): Promise<SmsChargedRow[]> {
  const params = window(range);
  if (!params) return [];
  return (await queryRows<unknown>(client, ALL_SERVICES_SQL, params)).map((r) => smsChargedRow.parse(r));
}

export const smsChargedDayRow = z.object({ day: z.string(), rate: money, charged_units: count, cost: money });
export type SmsChargedDayRow = z.infer<typeof smsChargedDayRow>;

/** One service's sms units and cost charged per day (and rate) after the free allowance; any range. */
export async function smsChargedByDay(client: ClickHouseClient, serviceId: string, range: DayRange): Promise<SmsChargedDayRow[]> {
  const params = window(range);
  if (!params) return [];
  const rows = await queryRows<unknown>(client, ONE_SERVICE_SQL, { ...params, service_id: z.guid().parse(serviceId) });
  return rows.map((r) => smsChargedDayRow.parse(r));
}
