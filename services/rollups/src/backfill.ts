import { daysInRange } from '@notify-stats/london';
import type { RepairOptions } from './repair.ts';
import type { RepairProgress, RollupRunner } from './runner.ts';

export type BackfillProgress = RepairProgress;

/**
 * Repairs every day of a date range (newest first: those are the days people look at), through
 * the runner's queue, so a backfill takes the same path and the same lease as the cycles and
 * runs between them. Resolves once the last day is repaired; someone must be driving the
 * runner (the rollups service's loop, or `runPending`).
 */
export function backfill(
  runner: RollupRunner,
  from: string,
  to: string,
  onProgress?: (p: BackfillProgress) => void,
  options: RepairOptions = {},
): Promise<void> {
  return runner.repair(daysInRange(from, to).reverse(), onProgress, options);
}
