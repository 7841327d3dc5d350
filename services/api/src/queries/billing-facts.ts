import { z } from 'zod';
import { FACT_BILLING, MONTHLY_FACTS, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { DayRange } from './day-range.ts';
import { factRows, queryDays } from './query-days.ts';

const count = z.coerce.number();
const money = z.string(); // exact decimal text (output_format_json_quote_decimals)

export const letterLineRow = z.object({ service_id: z.string(), postage: z.string(), rate: money, letters: count, cost: money, service_cost: money });
export type LetterLineRow = z.infer<typeof letterLineRow>;

/**
 * Letters sent in the range per service, postage and rate, with their exact cost, and on each
 * line its service's exact letter cost (the same on every line of a service): the engine adds
 * decimals far cheaper than decimal.js does for 2,000 services.
 */
export async function letterLinesByService(client: ClickHouseClient, range: DayRange): Promise<LetterLineRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT service_id, postage, rate, letters, cost, sum(cost) OVER (PARTITION BY service_id) AS service_cost
       FROM (
         SELECT toString(service_id) AS service_id, postage, rate,
                sum(notifications_sent) AS letters, sum(notifications_sent * rate) AS cost
         FROM ${factRows(MONTHLY_FACTS.billing, ['service_id', 'postage', 'rate', 'notifications_sent'], "notification_type = 'letter'")}
         GROUP BY service_id, postage, rate
         HAVING letters != 0 OR cost != 0
       )`,
    row: letterLineRow,
  });
}

export const dailyVolumeRow = z.object({
  day: z.string(),
  sms_totals: count,
  sms_fragment_totals: count,
  sms_chargeable_units: count,
  email_totals: count,
  letter_totals: count,
  letter_sheet_totals: count,
});
export type DailyVolumeRow = z.infer<typeof dailyVolumeRow>;

/**
 * Platform volumes per day that has any billing fact (letters' billable units are sheets). The
 * inner sums per (day, type) are what fact_billing's projection billing_by_day_provider holds
 * (migration 0010), so the engine reads its ~1.5k rows a year rather than the facts; sumIf over
 * the facts themselves would not match it. `day` is selected as a Date, which JSON prints as
 * YYYY-MM-DD: `toString(day) AS day` would shadow the column in WHERE, since ClickHouse aliases
 * are visible in the whole query.
 */
export async function dailyVolumes(client: ClickHouseClient, range: DayRange): Promise<DailyVolumeRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT day,
              sumIf(sent, notification_type = 'sms') AS sms_totals,
              sumIf(billable, notification_type = 'sms') AS sms_fragment_totals,
              sumIf(chargeable, notification_type = 'sms') AS sms_chargeable_units,
              sumIf(sent, notification_type = 'email') AS email_totals,
              sumIf(sent, notification_type = 'letter') AS letter_totals,
              sumIf(billable, notification_type = 'letter') AS letter_sheet_totals
       FROM (
         SELECT day, notification_type, sum(notifications_sent) AS sent, sum(billable_units) AS billable, sum(chargeable_units) AS chargeable
         FROM ${FACT_BILLING.name}
         WHERE day BETWEEN {start: Date} AND {end: Date}
         GROUP BY day, notification_type
       )
       GROUP BY day
       HAVING sms_totals != 0 OR sms_fragment_totals != 0 OR sms_chargeable_units != 0 OR email_totals != 0 OR letter_totals != 0 OR letter_sheet_totals != 0
       ORDER BY day`,
    row: dailyVolumeRow,
  });
}

export const smsProviderRow = z.object({
  day: z.string(),
  provider: z.string(),
  sms_totals: count,
  sms_fragment_totals: count,
  sms_chargeable_units: count,
  sms_cost: money,
});
export type SmsProviderRow = z.infer<typeof smsProviderRow>;

/**
 * Sms per day and provider; cost is gross (every chargeable unit at the day's rate). Its sums are
 * fact_billing's projection billing_by_day_provider (migration 0010), which the engine reads
 * instead of the facts: the expressions must stay those of the projection to match it.
 */
export async function dailySmsProviderVolumes(client: ClickHouseClient, range: DayRange): Promise<SmsProviderRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT day, provider,
              sum(notifications_sent) AS sms_totals,
              sum(billable_units) AS sms_fragment_totals,
              sum(chargeable_units) AS sms_chargeable_units,
              sum(chargeable_units * rate) AS sms_cost
       FROM ${FACT_BILLING.name}
       WHERE notification_type = 'sms' AND day BETWEEN {start: Date} AND {end: Date}
       GROUP BY day, provider
       HAVING sms_totals != 0 OR sms_fragment_totals != 0 OR sms_chargeable_units != 0 OR sms_cost != 0
       ORDER BY day, provider`,
    row: smsProviderRow,
  });
}

export const serviceVolumeRow = z.object({
  service_id: z.string(),
  sms_notifications: count,
  sms_chargeable_units: count,
  email_totals: count,
  letter_totals: count,
  letter_sheet_totals: count,
  letter_cost: money,
});
export type ServiceVolumeRow = z.infer<typeof serviceVolumeRow>;

/** Gross volumes per service with any billing fact in the range. */
export async function volumesByService(client: ClickHouseClient, range: DayRange): Promise<ServiceVolumeRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT toString(service_id) AS service_id,
              sumIf(notifications_sent, notification_type = 'sms') AS sms_notifications,
              sumIf(chargeable_units, notification_type = 'sms') AS sms_chargeable_units,
              sumIf(notifications_sent, notification_type = 'email') AS email_totals,
              sumIf(notifications_sent, notification_type = 'letter') AS letter_totals,
              sumIf(billable_units, notification_type = 'letter') AS letter_sheet_totals,
              sumIf(notifications_sent * rate, notification_type = 'letter') AS letter_cost
       FROM ${factRows(MONTHLY_FACTS.billing, ['service_id', 'notification_type', 'notifications_sent', 'chargeable_units', 'billable_units', 'rate'])}
       GROUP BY service_id
       HAVING sms_notifications != 0 OR sms_chargeable_units != 0 OR email_totals != 0 OR letter_totals != 0 OR letter_sheet_totals != 0 OR letter_cost != 0`,
    row: serviceVolumeRow,
  });
}
