import { isFilled, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';

/**
 * Migration 0007 made created_at a snapshot field. A delivered notification counted before it has
 * a created_at of 0 ("not known") and no latency bucket, until the day it was created on is
 * counted again from the raw layer (a `fromRaw` repair: the raw events know their created_at, and
 * snapshot-sql.ts counts such a snapshot again, moving the latency facts alone).
 *
 * The days that still need it, or null once the fill is marked done. Only delivered snapshots
 * need it (a snapshot of any other status is in no latency bucket), so a deployment whose
 * history holds none has nothing to repair. A start cut short before the mark asks again and
 * finds the days not yet done.
 */
export async function daysAwaitingLatency(client: ClickHouseClient): Promise<string[] | null> {
  if (await isFilled(client, 'deliveryLatency')) return null;
  const rows = await queryRows<{ day: string }>(
    client,
    `SELECT DISTINCT toString(created_day) AS day FROM counted_notifications
     WHERE live = 1 AND status = 'delivered' AND toUnixTimestamp64Micro(created_at) = 0 ORDER BY day`,
  );
  return rows.map((r) => r.day);
}
