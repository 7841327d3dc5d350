import type { ClickHouseClient } from '@clickhouse/client';
import type { z } from 'zod';
import { col, column, defaulted, defineTable } from './table.ts';

// The raw layer: what the ingest worker writes. Rows are JSON as ingest sends them: timestamps
// as ISO text, a Kafka offset (UInt64) as its decimal text, exact as Kafka gives it.
const offset = () => column('UInt64', col.string().zod);

/**
 * The columns of a notification's snapshot besides its identity, day and version: the rollups
 * stage, count and compare exactly these (services/rollups/src/snapshot-sql.ts), and
 * notification_changes, counted_notifications and rollup_staged_snapshots hold them with the same
 * types (a test compares them after migrating). created_at joined them in migration 0007: rows
 * written before it read it as 0 (1970-01-01), "not known" (services/rollups/src/snapshot-sql.ts).
 */
const SNAPSHOT_COLUMNS = {
  created_at: col.timestamp(),
  service_id: col.uuid(),
  template_id: col.nullableUuid(),
  job_id: col.nullableUuid(),
  notification_type: col.lowCardinality(),
  key_type: col.lowCardinality(),
  status: col.lowCardinality(),
  billable_units: col.uint32(),
  rate_multiplier: col.nullableUint32(),
  international: col.nullableBool(),
  sent_by: col.nullableLowCardinality(),
  postage: col.nullableLowCardinality(),
};
export const SNAPSHOT_FIELDS = Object.keys(SNAPSHOT_COLUMNS) as (keyof typeof SNAPSHOT_COLUMNS)[];

export const NOTIFICATION_EVENTS = defineTable('notification_events', {
  event_id: col.uuid(),
  notification_id: col.uuid(),
  updated_at: col.timestamp(),
  ...SNAPSHOT_COLUMNS,
  // Not in the event: computed by ingest (to-rows.ts) from the event and its Kafka position.
  status_rank: col.uint8(),
  created_day: col.date(),
  source_partition: col.uint32(),
  source_offset: offset(),
});
/** A row of `notification_events`, as the ingest worker writes it. */
export type NotificationEventRow = z.infer<typeof NOTIFICATION_EVENTS.row>;

/** Columns of notification_events that the status event does not carry, and where they come from. */
export const NOTIFICATION_EVENT_DERIVED = {
  status_rank: 'statusRank(status)',
  created_day: 'the London day of created_at',
  source_partition: 'the Kafka partition',
  source_offset: 'the Kafka offset',
} as const satisfies Partial<Record<keyof NotificationEventRow, string>>;

// Despatches land in their change log in Kafka order; letter_despatches_mv copies them on.
export const DESPATCH_CHANGES = defineTable('despatch_changes', {
  source_partition: col.uint32(),
  source_offset: offset(),
  event_id: col.uuid(),
  notification_id: col.uuid(),
  despatched_on: col.date(),
  cost_threshold: col.lowCardinality(),
  landed_at: defaulted(column('DateTime', col.string().zod)),
});
export type LetterDespatchRow = Omit<z.infer<typeof DESPATCH_CHANGES.row>, 'landed_at'>;

export const INBOUND_SMS = defineTable('inbound_sms', {
  event_id: col.uuid(),
  inbound_sms_id: col.uuid(),
  service_id: col.uuid(),
  created_at: col.timestamp(),
  created_day: col.date(),
  provider: col.lowCardinality(),
});
export type InboundSmsRow = z.infer<typeof INBOUND_SMS.row>;

export const RAW_TABLES = {
  notificationEvents: NOTIFICATION_EVENTS.name,
  letterDespatches: DESPATCH_CHANGES.name,
  inboundSms: INBOUND_SMS.name,
} as const;

// Rows go as JSONCompactEachRow (one JSON array per row, in the order of the table's inserted
// columns): half the bytes of JSONEachRow, so less for the worker to build and the engine to parse.
const TABLES = {
  [NOTIFICATION_EVENTS.name]: NOTIFICATION_EVENTS,
  [DESPATCH_CHANGES.name]: DESPATCH_CHANGES,
  [INBOUND_SMS.name]: INBOUND_SMS,
};

type RawTable = (typeof RAW_TABLES)[keyof typeof RAW_TABLES];
type RowOf<T extends RawTable> = T extends typeof RAW_TABLES.notificationEvents
  ? NotificationEventRow
  : T extends typeof RAW_TABLES.letterDespatches
    ? LetterDespatchRow
    : InboundSmsRow;

const insertedColumns = (table: RawTable): readonly string[] => {
  const t = TABLES[table];
  if (!t) throw new Error(`${table} is not a raw table`);
  return t.inserted;
};

/** The rows as the INSERT's JSON arrays, in the order of the table's inserted columns. */
export function insertTuples<T extends RawTable>(table: T, rows: readonly RowOf<T>[]): unknown[][] {
  const columns = insertedColumns(table);
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
  const columns = insertedColumns(table) as [string, ...string[]];
  await client.insert({ table, columns, values: insertTuples(table, rows), format: 'JSONCompactEachRow', clickhouse_settings: INSERT_SETTINGS });
}
