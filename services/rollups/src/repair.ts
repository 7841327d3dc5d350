import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { CyclePlan } from './cycle.ts';
import { rawDespatchesSql, rawSnapshotsSql } from './snapshot-sql.ts';

/**
 * A repair of a London day, in slices that each run as one cycle between window cycles:
 * - `raw` (only when asked, `fromRaw`): the day's raw events (one range of its notifications; the
 *   first slice also takes the letters despatched that day) compared with what is counted, like a
 *   window: it counts whatever the change logs never carried (history from before them, a log
 *   that expired, a new snapshot column);
 * - `correct`: the day's facts set to the sum of what is counted on it (status and billing by
 *   created day, despatch by despatched day), whatever they held before: the safety repair and
 *   `rollup --from --to`, and what a change to the fact tables needs.
 */
export type RepairTask =
  | { kind: 'raw'; day: string; slice: number; from: string; to: string | null }
  | { kind: 'correct'; day: string };

/** Raw rows one slice reads at most (about): bounded work per slice, whatever the size of the day. */
export const RAW_ROWS_PER_SLICE = 4_000_000;

/** The least UUID in any order of its bits: where the first slice of a day starts. */
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/** Ids sampled per slice to place the boundaries: a slice within about a tenth of the rows asked for. */
const SAMPLES_PER_SLICE = 100;

export interface RepairOptions {
  /** Count the raw layer of the day again before correcting it (see RepairTask). */
  fromRaw?: boolean;
  /** Raw rows per slice (default RAW_ROWS_PER_SLICE); tests make many slices of a small day. */
  rowsPerSlice?: number;
}

export async function planDay(client: ClickHouseClient, day: string, opts: RepairOptions = {}): Promise<RepairTask[]> {
  if (!opts.fromRaw) return [{ kind: 'correct', day }];
  const [row] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM notification_events WHERE created_day = {day: Date}`, { day });
  const rows = Number(row?.n ?? 0);
  const slices = Math.max(1, Math.ceil(rows / (opts.rowsPerSlice ?? RAW_ROWS_PER_SLICE)));
  const bounds = [FIRST_ID, ...(slices > 1 ? await boundaries(client, day, rows, slices) : [])];
  const raw = bounds.map((from, slice): RepairTask => ({ kind: 'raw', day, slice, from, to: bounds[slice + 1] ?? null }));
  return [...raw, { kind: 'correct', day }];
}

/**
 * Where slices 2..n of a day start: ids at even steps through a sample of the day's notifications
 * (a fixed hash picks it, so a day is sliced the same way each time), sorted by the engine, whose
 * order the slices' comparisons use. Reads the id column of the day once, where hash buckets read
 * every row of the day once per slice.
 */
async function boundaries(client: ClickHouseClient, day: string, rows: number, slices: number): Promise<string[]> {
  const every = Math.max(1, Math.floor(rows / (slices * SAMPLES_PER_SLICE)));
  const sample = await queryRows<{ id: string }>(
    client,
    `SELECT DISTINCT notification_id AS id FROM notification_events
     WHERE created_day = {day: Date} AND cityHash64(notification_id) % {every: UInt64} = 0 ORDER BY id`,
    { day, every },
  );
  const ids = sample.map((r) => r.id);
  const picked = Array.from({ length: slices - 1 }, (_, k) => ids[Math.floor(((k + 1) * ids.length) / slices)]);
  // Adjacent picks can meet in a small sample; a repeated boundary would make an empty slice.
  return picked.filter((id, k): id is string => id !== undefined && id !== FIRST_ID && id !== picked[k - 1]);
}

export function slicePlan(task: RepairTask, positions: string): CyclePlan {
  if (task.kind === 'correct') return { kind: 'correct', day: task.day, positions };
  return {
    kind: 'raw',
    snapshots: rawSnapshotsSql(task.to === null),
    despatches: task.slice === 0 ? rawDespatchesSql : null,
    params: { day: task.day, from: task.from, ...(task.to !== null && { to: task.to }) },
    positions,
  };
}
