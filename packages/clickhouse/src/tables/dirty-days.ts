import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';

/**
 * What a dirty mark asks the rollups to rebuild:
 * - `day`: status and billing facts of a London report day (created day);
 * - `despatch`: despatch facts of a despatch day;
 * - `letters`: letters created that day changed, so their despatch days must be rebuilt;
 * - `sms_rate` / `letter_rate`: prices from that day on changed.
 * - `alert_thresholds`: a free allowance or spend threshold of the financial year starting that day changed (alerts).
 */
export const DIRTY_SCOPES = ['day', 'despatch', 'letters', 'sms_rate', 'letter_rate', 'alert_thresholds'] as const;
export type DirtyScope = (typeof DIRTY_SCOPES)[number];

export interface DirtyMark {
  scope: DirtyScope;
  day: string;
}

/** `marked_at` is left to the server clock so marks and builds are compared on one clock. */
export async function markDirty(client: ClickHouseClient, marks: readonly DirtyMark[]): Promise<void> {
  if (marks.length === 0) return;
  await client.insert({ table: 'dirty_days', values: marks as DirtyMark[], format: 'JSONEachRow' });
}

export interface PendingDay extends DirtyMark {
  marked_at: string;
}

/** Days whose newest mark is later than the start of their last build. */
export async function pendingDays(client: ClickHouseClient): Promise<PendingDay[]> {
  return queryRows<PendingDay>(
    client,
    `SELECT d.scope AS scope, toString(d.day) AS day, toString(d.marked_at) AS marked_at
     FROM (SELECT scope, day, max(marked_at) AS marked_at FROM dirty_days GROUP BY scope, day) AS d
     LEFT JOIN (SELECT scope, day, max(started_at) AS started_at FROM day_builds GROUP BY scope, day) AS b
       ON b.scope = d.scope AND b.day = d.day
     WHERE d.marked_at > b.started_at OR b.started_at IS NULL OR b.started_at = toDateTime64(0, 6, 'UTC')
     ORDER BY d.day, d.scope`,
  );
}
