import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';

// The facts are signed sums (services/rollups): rows of one key add up, and a key whose counters
// sum to zero is no fact at all, as in every report.
const FACTS = {
  fact_notification_status: { keys: 'day, service_id, template_id, job_id, notification_type, key_type, status', sums: ['notification_count'] },
  fact_billing: {
    keys: 'day, service_id, template_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets',
    sums: ['notifications_sent', 'billable_units', 'chargeable_units'],
  },
  fact_letter_despatch: { keys: 'day, postage, cost_threshold, sheets, rate', sums: ['letters'] },
} as const;

/** Every fact table summed per key in a fixed order, as text: two dumps are equal iff the facts are. */
export async function dumpFacts(client: ClickHouseClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, { keys, sums }] of Object.entries(FACTS)) {
    const query = `SELECT ${keys}, ${sums.map((c) => `sum(${c}) AS s_${c}`).join(', ')} FROM ${table}
                   GROUP BY ${keys} HAVING ${sums.map((c) => `s_${c} != 0`).join(' OR ')} ORDER BY ALL`;
    const rs = await client.query({ query, format: 'TabSeparated' });
    out[table] = await rs.text();
  }
  return out;
}

export async function statusCounts(client: ClickHouseClient, day: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ status: string; n: number }>(
    client,
    `SELECT status, sum(notification_count) AS n FROM fact_notification_status WHERE day = {day: Date} GROUP BY status HAVING n != 0`,
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
     GROUP BY notification_type, provider, rate
     HAVING notifications_sent != 0 OR billable_units != 0 OR chargeable_units != 0
     ORDER BY notification_type, provider, rate`,
    { day },
  );
}
