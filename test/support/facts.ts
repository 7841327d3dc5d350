import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';

/** Every fact table in a fixed order, as text: two dumps are equal iff the tables are identical. */
export async function dumpFacts(client: ClickHouseClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ['fact_notification_status', 'fact_billing', 'fact_letter_despatch']) {
    const rs = await client.query({ query: `SELECT * FROM ${table} ORDER BY ALL`, format: 'TabSeparated' });
    out[table] = await rs.text();
  }
  return out;
}

export async function statusCounts(client: ClickHouseClient, day: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; n: number }>(
    client,
    `SELECT status, sum(notification_count) AS n FROM fact_notification_status WHERE day = {day: Date} GROUP BY status`,
    { day },
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export interface BillingRow {
  notification_type: string;
  provider: string;
  rate: string;
  notifications_sent: number;
  billable_units: number;
  chargeable_units: number;
}

export function billingRows(client: ClickHouseClient, day: string): Promise<BillingRow[]> {
  return queryRows<BillingRow>(
    client,
    `SELECT notification_type, provider, toString(rate) AS rate, sum(notifications_sent) AS notifications_sent,
            sum(billable_units) AS billable_units, sum(chargeable_units) AS chargeable_units
     FROM fact_billing WHERE day = {day: Date}
     GROUP BY notification_type, provider, rate ORDER BY notification_type, provider, rate`,
    { day },
  );
}
