import type { ClickHouseClient } from '@clickhouse/client';

/** A row of `notification_events`, as the ingest worker writes it. */
export interface NotificationEventRow {
  event_id: string;
  notification_id: string;
  service_id: string;
  template_id: string | null;
  job_id: string | null;
  notification_type: string;
  key_type: string;
  status: string;
  status_rank: number;
  created_at: string;
  created_day: string;
  updated_at: string;
  billable_units: number;
  rate_multiplier: number | null;
  international: boolean | null;
  sent_by: string | null;
  postage: string | null;
  source_partition: number;
  source_offset: string;
}

export interface LetterDespatchRow {
  event_id: string;
  notification_id: string;
  despatched_on: string;
  cost_threshold: string;
}

export interface InboundSmsRow {
  event_id: string;
  inbound_sms_id: string;
  service_id: string;
  created_at: string;
  created_day: string;
  provider: string;
}

export const RAW_TABLES = {
  notificationEvents: 'notification_events',
  letterDespatches: 'letter_despatches',
  inboundSms: 'inbound_sms',
} as const;

/** One INSERT per table per batch: ClickHouse wants few large inserts, not many small ones. */
export async function insertRows(client: ClickHouseClient, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
}
