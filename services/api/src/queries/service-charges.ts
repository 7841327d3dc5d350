import { z } from 'zod';
import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { financialYearOf, financialYearStart } from '@notify-stats/london';
import { dayRangeParams, factDays, type DayRange } from './day-range.ts';

const count = z.coerce.number();
const money = z.string(); // exact decimal text (output_format_json_quote_decimals)

export const smsChargedDayRow = z.object({ day: z.string(), rate: money, charged_units: count, cost: money });
export type SmsChargedDayRow = z.infer<typeof smsChargedDayRow>;

/*
 * One service's sms charges per day and rate after its free allowance, for a range that may span
 * several financial years. It is the billing report's SMS_CHARGED_SQL (queries/billing-facts.ts)
 * per day instead of summed, with the allowance and the running total C(day) taken per financial
 * year: A = the annual_billing row of the day's FY (newest message wins, as FREE_ALLOWANCE_SQL),
 * C restarts every 1 April, charged_day = max(C(day) - A, 0) - max(C(day - 1) - A, 0), priced at
 * the day's rate as an exact Decimal. Summed over the days of a range inside one FY this is the
 * billing report's sms_chargeable_units and sms_cost for the service, by construction.
 */
const SERVICE_SMS_CHARGED_SQL = `
  WITH allowance AS (
    SELECT toInt32(financial_year_start) AS fy, argMax(free_sms_fragment_limit, version) AS free_limit
    FROM ref_annual_billing FINAL
    WHERE service_id = {service_id: UUID}
    GROUP BY financial_year_start
  ),
  daily AS (
    SELECT day, rate, toInt64(sum(chargeable_units)) AS units,
           toInt32(toYear(day)) - if(toMonth(day) < 4, 1, 0) AS fy
    FROM fact_billing
    WHERE notification_type = 'sms' AND service_id = {service_id: UUID} AND day BETWEEN {fy_start: Date} AND {end: Date}
    GROUP BY day, rate
  ),
  running AS (
    SELECT day, rate, units, fy,
           sum(units) OVER (PARTITION BY fy ORDER BY day, rate ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS used
    FROM daily
  ),
  charged AS (
    SELECT r.day AS day, r.rate AS rate,
           greatest(r.used - toInt64(ifNull(a.free_limit, 0)), 0)
             - greatest(r.used - r.units - toInt64(ifNull(a.free_limit, 0)), 0) AS charged_units
    FROM running AS r
    LEFT JOIN allowance AS a ON a.fy = r.fy
  )
  SELECT day, rate, charged_units, charged_units * rate AS cost
  FROM charged
  WHERE day >= {start: Date}
  ORDER BY day, rate
  SETTINGS join_use_nulls = 1`;

/** A service's sms units and cost charged per day (and rate) after the free allowance. */
export async function smsChargedByDay(client: ClickHouseClient, serviceId: string, range: DayRange): Promise<SmsChargedDayRow[]> {
  const { start, end } = dayRangeParams.parse(range);
  const days = factDays({ start, end });
  const window = factDays({ start: financialYearStart(financialYearOf(start)), end });
  if (!days || !window) return [];
  const rows = await queryRows<unknown>(client, SERVICE_SMS_CHARGED_SQL, {
    service_id: z.guid().parse(serviceId),
    fy_start: window.start,
    start: days.start,
    end: days.end,
  });
  return rows.map((r) => smsChargedDayRow.parse(r));
}
