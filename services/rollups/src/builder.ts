import { recordBuilds, serverNow, type ClickHouseClient, type DirtyScope } from '@notify-stats/clickhouse';
import { londonMidnightUtc } from '@notify-stats/london';
import { billingFactsSql, currentNotificationsSql, despatchFactsSql, statusFactsSql } from './day-sql.ts';
import { rollupMetrics } from './metrics.ts';
import type { Staging } from './staging.ts';

export type BuildScope = Extract<DirtyScope, 'day' | 'despatch'>;

export interface BuiltDay {
  scope: BuildScope;
  day: string;
  rows: number;
  durationMs: number;
}

// ClickHouse's DateTime64 text form, for the {midnight} parameter.
const chTimestamp = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Rebuilds one day of one scope from the raw layer and records the build. The build's start is
 * read from the server before anything is read, so every mark older than it is covered.
 */
export async function buildDay(client: ClickHouseClient, staging: Staging, scope: BuildScope, day: string): Promise<BuiltDay> {
  const startedAt = await serverNow(client);
  const started = performance.now();
  const params = { day, midnight: chTimestamp(londonMidnightUtc(day)) };
  let rows = 0;
  if (scope === 'day') {
    await staging.clearCurrent();
    await client.command({ query: currentNotificationsSql(staging.current), query_params: params });
    await client.command({ query: statusFactsSql(staging.names.fact_notification_status, staging.current), query_params: params });
    await client.command({ query: billingFactsSql(staging.names.fact_billing, staging.current), query_params: params });
    await staging.clearCurrent();
    rows += await staging.publish('fact_notification_status', day);
    rows += await staging.publish('fact_billing', day);
  } else {
    await client.command({ query: despatchFactsSql(staging.names.fact_letter_despatch), query_params: params });
    rows += await staging.publish('fact_letter_despatch', day);
  }
  const durationMs = Math.round(performance.now() - started);
  await recordBuilds(client, [
    { scope, day, started_at: startedAt, finished_at: await serverNow(client), rows, duration_ms: durationMs },
  ]);
  rollupMetrics.dayBuildSeconds.observe({ scope }, durationMs / 1000);
  return { scope, day, rows, durationMs };
}
