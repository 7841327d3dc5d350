import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';

/** Named values the pipeline's processes share through the database (e.g. the freshness watermark). */
export const STATE_KEYS = { freshnessWatermark: 'freshness_watermark', rollupLease: 'rollup_lease', monthlySums: 'monthly_sums' } as const;

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
 * Whether the monthly sums (migration 0006) hold all history: the rollups fill them from the
 * daily facts once, then the views keep them. Until then readers use the daily facts alone.
 */
export async function monthlySumsFilled(client: ClickHouseClient): Promise<boolean> {
  return (await readState(client, STATE_KEYS.monthlySums)) === 'filled';
}

export async function markMonthlySumsFilled(client: ClickHouseClient): Promise<void> {
  await writeState(client, STATE_KEYS.monthlySums, 'filled');
}
