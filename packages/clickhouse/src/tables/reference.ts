import type { ClickHouseClient } from '@clickhouse/client';
import type { ReferenceType } from '@notify-stats/events';
import { col, defineTable } from './table.ts';

// Reference data, newest version per Kafka key (migrations/0002): every table carries the key,
// the message's offset as `version` and a tombstone flag besides its own fields. A UInt64 offset
// reads back as a number and is written as the offset's text.
const base = { key: col.string() };
const tail = { version: col.uint64(), is_deleted: col.uint8() };
const billing = {
  purchase_order_number: col.nullableString(),
  billing_contact_names: col.nullableString(),
  billing_contact_email_addresses: col.nullableString(),
  billing_reference: col.nullableString(),
};

export const REF_ORGANISATIONS = defineTable('ref_organisations', { ...base, id: col.uuid(), name: col.string(), ...billing, ...tail });

export const REF_SERVICES = defineTable('ref_services', {
  ...base,
  id: col.uuid(),
  name: col.string(),
  organisation_id: col.nullableUuid(),
  restricted: col.bool(),
  active: col.bool(),
  count_as_live: col.bool(),
  ...billing,
  ...tail,
});

export const REF_ANNUAL_BILLING = defineTable('ref_annual_billing', {
  ...base,
  service_id: col.uuid(),
  financial_year_start: col.uint16(),
  free_sms_fragment_limit: col.uint64(),
  ...tail,
});

/** Spend thresholds services set per financial year (migration 0009, docs/alerts.md). */
export const REF_SPEND_THRESHOLDS = defineTable('ref_spend_thresholds', {
  ...base,
  service_id: col.uuid(),
  financial_year_start: col.uint16(),
  amount: col.money(),
  ...tail,
});

export const REF_SMS_RATES = defineTable('ref_sms_rates', { ...base, valid_from: col.timestamp(), rate: col.money(), ...tail });

export const REF_LETTER_RATES = defineTable('ref_letter_rates', {
  ...base,
  start_date: col.timestamp(),
  end_date: col.nullableTimestamp(),
  sheet_count: col.uint32(),
  post_class: col.lowCardinality(),
  rate: col.money(),
  ...tail,
});

export const REF_API_KEYS = defineTable('ref_api_keys', {
  ...base,
  id: col.uuid(),
  service_id: col.uuid(),
  secret: col.string(),
  revoked: col.bool(),
  ...tail,
});

/** The table that holds the newest version of each reference-data key of a type. */
export const REFERENCE = {
  organisation: REF_ORGANISATIONS,
  service: REF_SERVICES,
  annual_billing: REF_ANNUAL_BILLING,
  spend_threshold: REF_SPEND_THRESHOLDS,
  sms_rate: REF_SMS_RATES,
  letter_rate: REF_LETTER_RATES,
  api_key: REF_API_KEYS,
} as const satisfies Record<ReferenceType, unknown>;

export const REFERENCE_TABLES = Object.fromEntries(Object.entries(REFERENCE).map(([type, t]) => [type, t.name])) as Record<ReferenceType, string>;

/** Columns every reference row carries besides its own fields. */
export interface ReferenceRowBase {
  key: string;
  version: string;
  is_deleted: 0 | 1;
}

export type ReferenceRow = ReferenceRowBase & Record<string, unknown>;

export async function insertReferenceRows(
  client: ClickHouseClient,
  rowsByType: ReadonlyMap<ReferenceType, ReferenceRow[]>,
): Promise<void> {
  await Promise.all(
    [...rowsByType].map(([type, rows]) =>
      rows.length ? client.insert({ table: REFERENCE_TABLES[type], values: rows, format: 'JSONEachRow' }) : undefined,
    ),
  );
}
