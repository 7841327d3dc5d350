export { buildApp, type AppDeps } from './app.ts';
export { startApi, storedWatermark, type ApiHandle, type ApiOptions } from './service.ts';
export { ApiError } from './errors.ts';
export { MESSAGES } from './http/date-range.ts';
export type { RollupControl } from './routes/admin-rollups.ts';
export type { IngestControl } from './routes/admin-pipeline.ts';
