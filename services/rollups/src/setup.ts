import type { RollupsEnv } from './env.ts';
import { RollupsObserver } from './observability.ts';
import { startRollups, type RollupsHandle, type RollupsOptions } from './service.ts';

/**
 * The connections the process opened once for every service it runs: the embedded engine belongs
 * to one process, and `start` runs ingest, rollups and api in one.
 */
export type RollupsResources = Pick<RollupsOptions, 'clickhouse' | 'kafka' | 'logger'>;

export interface RollupsService {
  rollups: RollupsHandle;
  /** Its metrics (last successful cycle, failures) and readiness: cycles keep succeeding. */
  observer: RollupsObserver;
}

/** The rollups service as every command and the end-to-end tests run it, configured by its environment. */
export async function rollupsFromEnv(env: RollupsEnv, resources: RollupsResources): Promise<RollupsService> {
  // Not ready after a few intervals without a successful cycle (30 s at least: a cycle can be slow).
  const observer = new RollupsObserver(Math.max(30_000, env.ROLLUP_INTERVAL_MS * 10));
  const rollups = await startRollups({
    ...resources,
    intervalMs: env.ROLLUP_INTERVAL_MS,
    safetyCron: env.ROLLUP_SAFETY_CRON,
    safetyDays: env.ROLLUP_SAFETY_DAYS,
    restatementAgeDays: env.RESTATEMENT_AGE_DAYS,
    onCycle: observer.onCycle,
  });
  return { rollups, observer };
}
