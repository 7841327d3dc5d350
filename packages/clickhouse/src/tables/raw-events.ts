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
  source_partition: number;
  source_offset: string;
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
  // Despatches land in their change log in Kafka order; letter_despatches_mv copies them on.
  letterDespatches: 'despatch_changes',
  inboundSms: 'inbound_sms',
} as const;

// Column order of each raw table's INSERT. Rows go as JSONCompactEachRow (one JSON array per
// row): half the bytes of JSONEachRow, so less for the worker to build and the engine to parse.
const COLUMNS = {
  [RAW_TABLES.notificationEvents]: [
    'event_id', 'notification_id', 'service_id', 'template_id', 'job_id', 'notification_type', 'key_type', 'status',
    'status_rank', 'created_at', 'created_day', 'updated_at', 'billable_units', 'rate_multiplier', 'international',
    'sent_by', 'postage', 'source_partition', 'source_offset',
  ] satisfies (keyof NotificationEventRow)[],
  [RAW_TABLES.letterDespatches]: [
    'event_id', 'notification_id', 'despatched_on', 'cost_threshold', 'source_partition', 'source_offset',
  ] satisfies (keyof LetterDespatchRow)[],
  [RAW_TABLES.inboundSms]: ['event_id', 'inbound_sms_id', 'service_id', 'created_at', 'created_day', 'provider'] satisfies (keyof InboundSmsRow)[],
} as const;

type RawTable = (typeof RAW_TABLES)[keyof typeof RAW_TABLES];
type RowOf<T extends RawTable> = T extends typeof RAW_TABLES.notificationEvents
  ? NotificationEventRow
  : T extends typeof RAW_TABLES.letterDespatches
    ? LetterDespatchRow
    : InboundSmsRow;

/** The rows as the INSERT's JSON arrays, in the order of the table's COLUMNS. */
export function insertTuples<T extends RawTable>(table: T, rows: readonly RowOf<T>[]): unknown[][] {
  const columns: readonly string[] = COLUMNS[table];
  return rows.map((row) => {
    const tuple = new Array<unknown>(columns.length);
    for (let i = 0; i < columns.length; i++) tuple[i] = (row as unknown as Record<string, unknown>)[columns[i] as string];
    return tuple;
  });
}

// A chunk of valid events may span any number of months (notification_events is partitioned by
// month): the engine's default limit of 100 partitions per INSERT would refuse valid data.
const INSERT_SETTINGS = { max_partitions_per_insert_block: '0' } as const;

/** One INSERT per table per batch: ClickHouse wants few large inserts, not many small ones. */
export async function insertRows<T extends RawTable>(client: ClickHouseClient, table: T, rows: readonly RowOf<T>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = COLUMNS[table] as readonly string[] as [string, ...string[]];
  await client.insert({ table, columns, values: insertTuples(table, rows), format: 'JSONCompactEachRow', clickhouse_settings: INSERT_SETTINGS });
}
