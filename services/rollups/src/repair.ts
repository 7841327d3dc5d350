import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { CyclePlan } from './cycle.ts';
import { rawDespatchesSql, rawSnapshotsSql } from './snapshot-sql.ts';

/**
 * A repair of a London day, in slices that each run as one cycle between window cycles:
 * - `raw` (only when asked, `fromRaw`): the day's raw events (one hash bucket of its
 *   notifications; the first bucket also takes the letters despatched that day) compared with
 *   what is counted, like a window: it counts whatever the change logs never carried (history
 *   from before them, a log that expired, a new snapshot column). It reads every raw row of the
 *   day, so it costs what a whole-day rebuild did;
 * - `correct`: the day's facts set to the sum of what is counted on it (status and billing by
 *   created day, despatch by despatched day), whatever they held before: the safety repair and
 *   `rollup --from --to`, and what a change to the fact tables needs.
 */
export type RepairTask = { kind: 'raw'; day: string; bucket: number; buckets: number } | { kind: 'correct'; day: string };

/** Raw rows one slice reads at most: bounded work per slice, whatever the size of the day. */
export const RAW_ROWS_PER_SLICE = 4_000_000;

export interface RepairOptions {
  /** Count the raw layer of the day again before correcting it (see RepairTask). */
  fromRaw?: boolean;
}

export async function planDay(client: ClickHouseClient, day: string, opts: RepairOptions = {}, rowsPerSlice = RAW_ROWS_PER_SLICE): Promise<RepairTask[]> {
  if (!opts.fromRaw) return [{ kind: 'correct', day }];
  const [row] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM notification_events WHERE created_day = {day: Date}`, { day });
  const buckets = Math.max(1, Math.ceil(Number(row?.n ?? 0) / rowsPerSlice));
  return [...Array.from({ length: buckets }, (_, bucket) => ({ kind: 'raw' as const, day, bucket, buckets })), { kind: 'correct', day }];
}

export function slicePlan(task: RepairTask, positions: string): CyclePlan {
  if (task.kind === 'correct') return { kind: 'correct', day: task.day, positions };
  return {
    kind: 'raw',
    snapshots: rawSnapshotsSql,
    despatches: task.bucket === 0 ? rawDespatchesSql : null,
    params: { day: task.day, bucket: task.bucket, buckets: task.buckets },
    positions,
  };
}
