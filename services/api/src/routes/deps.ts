import type { FastifyRequest } from 'fastify';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import type { ReportContext } from '../http/report-reply.ts';

/** What every report route needs; passed as plugin options by buildApp. */
export interface RouteDeps extends ReportContext {
  clickhouse: ClickHouseClient;
  adminAuth: (request: FastifyRequest) => Promise<void>;
}
