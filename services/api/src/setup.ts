import type { ApiEnv } from './env.ts';
import { startApi, type ApiHandle, type ApiOptions } from './service.ts';

/**
 * The connection the process opened once for every service it runs: the embedded engine belongs
 * to one process, and `start` runs ingest, rollups and api in one.
 */
export type ApiResources = Pick<ApiOptions, 'clickhouse' | 'logger'>;

/**
 * What the API says about the rest of the pipeline, which depends on where that runs: in this
 * process (`start`: its handles) or elsewhere (`api`: read from Kafka and ClickHouse).
 */
export type ApiWiring = Pick<ApiOptions, 'readiness' | 'dataAsOf' | 'rollups' | 'ingest' | 'pipelineStatus'>;

/**
 * Seams for the end-to-end tests: `factsVersion: null` turns the report cache off, for tests that
 * read a report right after the facts change (the cache answers with the previous rendering
 * while it computes the new one; its own tests are in test/report-cache.test.ts).
 */
export type ApiSeams = Pick<ApiOptions, 'factsVersion'>;

/** The report API as every command and the end-to-end tests run it, configured by its environment. */
export function apiFromEnv(env: ApiEnv, resources: ApiResources, wiring: ApiWiring, seams: ApiSeams = {}): Promise<ApiHandle> {
  return startApi({
    ...resources,
    ...wiring,
    ...seams,
    admin: { clientId: env.ADMIN_CLIENT_ID, secret: env.ADMIN_CLIENT_SECRET },
    operator: { clientId: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET },
    rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
    provisionalAgeDays: env.RESTATEMENT_AGE_DAYS,
    authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
    port: env.PORT,
    host: env.HOST,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST,
  });
}
