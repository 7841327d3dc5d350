import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';
import type { DirtyScope } from './dirty-days.ts';

export interface DayBuild {
  scope: DirtyScope;
  day: string;
  started_at: string;
  finished_at: string;
  rows: number;
  duration_ms: number;
}

/** The server's clock, so that build starts compare with marks written by any process. */
export async function serverNow(client: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ now: string }>(client, `SELECT toString(now64(6, 'UTC')) AS now`);
  if (!row) throw new Error('ClickHouse returned no time');
  return row.now;
}

export async function recordBuilds(client: ClickHouseClient, builds: readonly DayBuild[]): Promise<void> {
  if (builds.length === 0) return;
  await client.insert({ table: 'day_builds', values: builds as DayBuild[], format: 'JSONEachRow' });
}

export async function lastBuilds(client: ClickHouseClient, limit = 20): Promise<DayBuild[]> {
  return queryRows<DayBuild>(
    client,
    `SELECT scope, toString(day) AS day, toString(started_at) AS started_at, toString(finished_at) AS finished_at, rows, duration_ms
     FROM day_builds FINAL ORDER BY finished_at DESC LIMIT {limit: UInt32}`,
    { limit },
  );
}

/**
 * Changes whenever a build has published facts: builds are recorded after they publish, and
 * `finished_at` is the server's clock in microseconds. Empty before the first build.
 */
export async function factsVersion(client: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ version: string }>(
    client,
    `SELECT if(count() = 0, '', toString(max(finished_at))) AS version FROM day_builds`,
  );
  return row?.version ?? '';
}
