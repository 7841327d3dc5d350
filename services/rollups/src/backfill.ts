import { markDirty, type ClickHouseClient, type DirtyMark } from '@notify-stats/clickhouse';
import { daysInRange } from '@notify-stats/london';
import type { BuiltDay } from './builder.ts';
import type { RollupRunner } from './runner.ts';

export interface BackfillProgress {
  done: number;
  total: number;
  last?: BuiltDay;
}

export const backfillMarks = (from: string, to: string): DirtyMark[] =>
  daysInRange(from, to).flatMap((day) => [
    { scope: 'day' as const, day },
    { scope: 'despatch' as const, day },
  ]);

/**
 * Rebuilds a date range by marking it dirty and draining through the runner, so a backfill
 * takes the same path (and the same lock) as the automatic rebuilds and can run beside them.
 */
export async function backfill(
  client: ClickHouseClient,
  runner: RollupRunner,
  from: string,
  to: string,
  onProgress?: (p: BackfillProgress) => void,
): Promise<BuiltDay[]> {
  const marks = backfillMarks(from, to);
  const wanted = new Set(marks.map((m) => `${m.scope}|${m.day}`));
  const total = wanted.size;
  let done = 0;
  await markDirty(client, marks);
  onProgress?.({ done, total });
  const built = await runner.runPending((b) => {
    if (wanted.delete(`${b.scope}|${b.day}`)) onProgress?.({ done: ++done, total, last: b });
  });
  // Days a concurrent cycle built first are done too.
  if (done < total) onProgress?.({ done: total, total });
  return built;
}
