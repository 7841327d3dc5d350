export { startRollups, type RollupsHandle, type RollupsOptions } from './service.ts';
export { backfill, type BackfillProgress } from './backfill.ts';
export { RollupRunner, type RunnerOptions, type RunOnceResult, type RepairProgress } from './runner.ts';
export { RollupLease, LeaseHeldError } from './lease.ts';
export type { RepairOptions } from './repair.ts';
export { IngestProgress } from './freshness.ts';
export { FACT_TABLES, VERSION, DESPATCH_VERSION } from './snapshot-sql.ts';
export { WINDOW_TOPICS, type Positions } from './positions.ts';
export { RollupsObserver, type CycleOutcome } from './observability.ts';
