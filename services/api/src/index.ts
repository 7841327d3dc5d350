export { buildApp, type AppDeps } from './app.ts';
export { buildOpsApp } from './ops.ts';
export { SESSION_ISSUER, SESSION_MAX_AGE_S, SESSION_TTL_S, Sessions } from './auth/session.ts';
export { IAT_TOLERANCE_S } from './auth/jwt.ts';
export { INVALID_TOKEN } from './auth/jwt.ts';
export { ROLE_MESSAGES } from './auth/guard.ts';
export type { ClientCredential, Role } from './auth/clients.ts';
export { startApi, storedWatermark, type ApiHandle, type ApiOptions } from './service.ts';
export { ApiError } from './errors.ts';
// The report cache and reply, also put in front of PostgreSQL by the report benchmark.
export { ReportCache } from './http/report-cache.ts';
export { RenderedReport } from './http/rendered-report.ts';
export { send as sendRenderedReport } from './http/report-reply.ts';
export { MESSAGES } from './http/date-range.ts';
export type { RollupControl } from './routes/admin-rollups.ts';
export type { IngestControl } from './routes/admin-pipeline.ts';
export { apiEnv, DEV_ADMIN_SECRET, DEV_OPERATOR_SECRET, type ApiEnv } from './env.ts';
export { apiFromEnv, type ApiResources, type ApiSeams, type ApiWiring } from './setup.ts';
