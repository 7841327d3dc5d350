import type { ClickHouseClient } from '@notify-stats/clickhouse';
import type { Access, GuardHook } from '../auth/guard.ts';
import type { ReportContext } from '../http/report-reply.ts';

/** What every report route needs; passed as plugin options by buildApp. */
export interface RouteDeps extends ReportContext {
  clickhouse: ClickHouseClient;
  /** preValidation of the report routes: a platform client (reader or operator), limited per client. */
  adminAuth: GuardHook;
  /** preValidation of /admin/*: the operator client only (a report reader is refused with 403). */
  operatorAuth: GuardHook;
  /** Limits and platform clients, for routes with credentials of their own (service keys, sessions). */
  access: Access;
}
