import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';

/** Named values the pipeline's processes share through the database (e.g. the freshness watermark). */
export const STATE_KEYS = { freshnessWatermark: 'freshness_watermark', rollupLease: 'rollup_lease', monthlySums: 'monthly_sums', deliveryLatency: 'delivery_latency' } as const;

export async function writeState(client: ClickHouseClient, name: string, value: string): Promise<void> {
  await client.insert({ table: 'pipeline_state', values: [{ name, value }], format: 'JSONEachRow' });
}

export async function readState(client: ClickHouseClient, name: string): Promise<string | null> {
  const rows = await queryRows<{ value: string }>(
    client,
    `SELECT argMax(value, updated_at) AS value FROM pipeline_state WHERE name = {name: String} GROUP BY name`,
    { name },
  );
  return rows[0]?.value ?? null;
}

/**
 * One-off fills a migration asks of the rollups, and whether each is done; until then readers do
 * without what it fills:
 * - `monthlySums` (migration 0006): the monthly sums hold all history, filled from the daily facts
 *   once, then kept by the views. Until then reports read the daily facts alone.
 * - `deliveryLatency` (migration 0007): the latency facts hold the notifications counted before
 *   created_at was a snapshot field, counted again from the raw layer once. Until then the
 *   delivery latency report is not served.
 */
export type Fill = 'monthlySums' | 'deliveryLatency';

export async function isFilled(client: ClickHouseClient, fill: Fill): Promise<boolean> {
  return (await readState(client, STATE_KEYS[fill])) === 'filled';
}

export async function markFilled(client: ClickHouseClient, fill: Fill): Promise<void> {
  await writeState(client, STATE_KEYS[fill], 'filled');
}
