import type { ClickHouseClient } from '@clickhouse/client';
import type { ReferenceType } from '@notify-stats/events';

/** The table that holds the newest version of each reference-data key of a type. */
export const REFERENCE_TABLES: Record<ReferenceType, string> = {
  organisation: 'ref_organisations',
  service: 'ref_services',
  annual_billing: 'ref_annual_billing',
  sms_rate: 'ref_sms_rates',
  letter_rate: 'ref_letter_rates',
  api_key: 'ref_api_keys',
};

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
