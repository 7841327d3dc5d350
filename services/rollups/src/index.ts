export { startRollups, type RollupsHandle, type RollupsOptions } from './service.ts';
export { backfill, backfillMarks, type BackfillProgress } from './backfill.ts';
export { RollupRunner } from './runner.ts';
export { buildDay, type BuiltDay, type BuildScope } from './builder.ts';
export { Staging, FACT_TABLES, type FactTable } from './staging.ts';
export { IngestProgress } from './freshness.ts';
export { RollupsObserver, type CycleOutcome } from './observability.ts';
