import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../client.ts';

/**
 * A rollup cycle's record (services/rollups/src/cycle.ts): written when its work is staged and
 * again when it is applied. `positions` is JSON of `topic:partition` -> offset processed after it.
 */
export interface CycleRecord {
  cycle: number;
  phase: 'staged' | 'done';
  /** window (change logs between Kafka positions), raw (a repair slice), correct (a repair's fact correction) */
  kind: string;
  positions: string;
  changed: number;
  runner: string;
  token: string;
}

export async function recordCycle(client: ClickHouseClient, record: CycleRecord): Promise<void> {
  await client.insert({ table: 'rollup_cycles', values: [record], format: 'JSONEachRow' });
}

/** The newest cycle in its newest phase, or null before the first cycle. */
export async function lastCycle(client: ClickHouseClient): Promise<CycleRecord | null> {
  const [row] = await queryRows<CycleRecord>(
    client,
    `SELECT cycle, phase, kind, positions, changed, runner, token FROM rollup_cycles FINAL ORDER BY cycle DESC LIMIT 1`,
  );
  return row ? { ...row, cycle: Number(row.cycle), changed: Number(row.changed) } : null;
}
