import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';
import { pendingDays, type DirtyScope, type PendingDay } from './dirty-days.ts';

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

export interface PendingMarks {
  marks: PendingDay[];
  /** The server's time before the marks are handled ('' when there are none). */
  startedAt: string;
}

/** The pending marks of `scopes`, to hand to `markHandled` once what they ask for is done. */
export async function takePendingMarks(client: ClickHouseClient, scopes: readonly DirtyScope[]): Promise<PendingMarks> {
  const marks = (await pendingDays(client)).filter((m) => scopes.includes(m.scope));
  return { marks, startedAt: marks.length > 0 ? await serverNow(client) : '' };
}

/** Records the marks handled, built from before their handling began: a mark written meanwhile stays pending. */
export async function markHandled(client: ClickHouseClient, pending: PendingMarks): Promise<void> {
  if (pending.marks.length === 0) return;
  const finishedAt = await serverNow(client);
  await recordBuilds(
    client,
    pending.marks.map((m) => ({ scope: m.scope, day: m.day, started_at: pending.startedAt, finished_at: finishedAt, rows: 0, duration_ms: 0 })),
  );
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
 * Changes whenever the facts may have changed: a rollup cycle that moved fact rows is recorded
 * done after it wrote them, and a repricing is recorded in day_builds after it wrote; both times
 * are the server's clock in microseconds. Empty before the first change.
 */
export async function factsVersion(client: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ version: string }>(
    client,
    `SELECT if(c.n + b.n = 0, '', toString(greatest(c.at, b.at))) AS version
     FROM (SELECT count() AS n, max(updated_at) AS at FROM rollup_cycles WHERE phase = 'done' AND changed > 0) AS c,
          (SELECT count() AS n, max(finished_at) AS at FROM day_builds) AS b`,
  );
  return row?.version ?? '';
}
