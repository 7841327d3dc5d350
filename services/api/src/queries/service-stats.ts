import { z } from 'zod';
import { FACT_NOTIFICATION_STATUS, FACT_BILLING, INBOUND_SMS, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { DayRange } from './day-range.ts';
import { queryDays } from './query-days.ts';

const count = z.coerce.number();
const money = z.string(); // exact decimal text (output_format_json_quote_decimals)
const serviceParam = z.guid();
const typeParam = z.enum(['email', 'sms', 'letter']);

/*
 * One service's daily numbers for the service-scoped statistics. `day` is selected as a Date,
 * which JSON prints as YYYY-MM-DD (an alias `toString(day) AS day` would shadow the column in
 * WHERE). Every query is filtered by the one service the caller was authenticated for.
 */

export const serviceStatusRow = z.object({ day: z.string(), status: z.string(), total: count });
export type ServiceStatusRow = z.infer<typeof serviceStatusRow>;

/** Notifications of one type created per London day and current status; test keys never count. */
export async function serviceStatusByDay(
  client: ClickHouseClient,
  serviceId: string,
  notificationType: string,
  range: DayRange,
): Promise<ServiceStatusRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT day, status, sum(notification_count) AS total
       FROM ${FACT_NOTIFICATION_STATUS.name}
       WHERE service_id = {service_id: UUID} AND notification_type = {notification_type: String}
         AND key_type != 'test' AND day BETWEEN {start: Date} AND {end: Date}
       GROUP BY day, status
       HAVING total != 0
       ORDER BY day, status`,
    params: { service_id: serviceParam.parse(serviceId), notification_type: typeParam.parse(notificationType) },
    row: serviceStatusRow,
  });
}

// Aliases must not reuse column names: ClickHouse would read sum(x) AS x inside sum(x * rate).
export const serviceBillingDayRow = z.object({ day: z.string(), sent: count, units: count, cost: money });
export type ServiceBillingDayRow = z.infer<typeof serviceBillingDayRow>;

/**
 * Billing facts of one type per day: notifications sent (billable statuses), gross chargeable
 * units (sms fragments x rate multiplier, letter sheets) and the gross cost (sent x rate, which is
 * what letters cost; sms are charged after the allowance, see sms-charges.ts).
 */
export async function serviceBillingByDay(
  client: ClickHouseClient,
  serviceId: string,
  notificationType: string,
  range: DayRange,
): Promise<ServiceBillingDayRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT day, sum(notifications_sent) AS sent, sum(chargeable_units) AS units, sum(notifications_sent * rate) AS cost
       FROM ${FACT_BILLING.name}
       WHERE service_id = {service_id: UUID} AND notification_type = {notification_type: String}
         AND day BETWEEN {start: Date} AND {end: Date}
       GROUP BY day
       HAVING sent != 0 OR units != 0 OR cost != 0
       ORDER BY day`,
    params: { service_id: serviceParam.parse(serviceId), notification_type: typeParam.parse(notificationType) },
    row: serviceBillingDayRow,
  });
}

export const serviceLetterDayRow = z.object({ day: z.string(), postage: z.string(), rate: money, letters: count, cost: money });
export type ServiceLetterDayRow = z.infer<typeof serviceLetterDayRow>;

/** Letters per day, postage and rate with their exact cost (the billing report's letter lines, per day). */
export async function serviceLettersByDay(client: ClickHouseClient, serviceId: string, range: DayRange): Promise<ServiceLetterDayRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT day, postage, rate, sum(notifications_sent) AS letters, sum(notifications_sent * rate) AS cost
       FROM ${FACT_BILLING.name}
       WHERE service_id = {service_id: UUID} AND notification_type = 'letter' AND day BETWEEN {start: Date} AND {end: Date}
       GROUP BY day, postage, rate
       HAVING letters != 0 OR cost != 0
       ORDER BY day, postage, rate`,
    params: { service_id: serviceParam.parse(serviceId) },
    row: serviceLetterDayRow,
  });
}

export const serviceInboundDayRow = z.object({ day: z.string(), received: count });
export type ServiceInboundDayRow = z.infer<typeof serviceInboundDayRow>;

/**
 * Inbound sms per London day, once per inbound_sms_id (events.md section 4): the raw table holds a
 * row per event, so a redelivered message is one row more but the same id. Should two events of
 * one id disagree on the day, the earliest counts, so the id is counted in exactly one day.
 */
export async function serviceInboundByDay(client: ClickHouseClient, serviceId: string, range: DayRange): Promise<ServiceInboundDayRow[]> {
  return queryDays(client, {
    range,
    sql: `SELECT first_day AS day, count() AS received
       FROM (
         SELECT inbound_sms_id, min(created_day) AS first_day
         FROM ${INBOUND_SMS.name}
         WHERE service_id = {service_id: UUID}
         GROUP BY inbound_sms_id
       )
       WHERE first_day BETWEEN {start: Date} AND {end: Date}
       GROUP BY first_day
       ORDER BY first_day`,
    params: { service_id: serviceParam.parse(serviceId) },
    row: serviceInboundDayRow,
  });
}
