import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DELIVERED_STATUSES, NOT_REQUESTED_STATUSES, NOTIFICATION_TYPES, PLATFORM_FAILED_STATUSES } from '@notify-stats/events';
import { dateRangeQuery } from '../http/date-range.ts';
import { sendFactReport } from '../http/report-reply.ts';
import { statusTotals, type StatusTotalRow } from '../queries/status-facts.ts';
import type { RouteDeps } from './deps.ts';

const typeStats = z.object({
  total: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
  requested: z.number().int(),
  'technical-failure': z.number().int(),
  'temporary-failure': z.number().int(),
  'permanent-failure': z.number().int(),
});
const response = z.object({ email: typeStats, sms: typeStats, letter: typeStats });

/** Folds status totals into the reference's per-type shape (reports.md, GET /platform-stats). */
export function platformStats(rows: readonly StatusTotalRow[]): z.infer<typeof response> {
  const of = (type: string) => {
    const count = (statuses: readonly string[]) =>
      rows.filter((r) => r.notification_type === type && statuses.includes(r.status)).reduce((s, r) => s + r.total, 0);
    const total = rows.filter((r) => r.notification_type === type).reduce((s, r) => s + r.total, 0);
    return {
      total,
      delivered: count(DELIVERED_STATUSES),
      failed: count(PLATFORM_FAILED_STATUSES),
      requested: total - count(NOT_REQUESTED_STATUSES),
      'technical-failure': count(['technical-failure']),
      'temporary-failure': count(['temporary-failure']),
      'permanent-failure': count(['permanent-failure']),
    };
  };
  return Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, of(t)])) as z.infer<typeof response>;
}

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Notifications by type and outcome',
        description: 'Counts of notifications created in the London date range (both default to today), by type.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: false, singleFinancialYear: false }),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      return sendFactReport(request, reply, deps, response, async () => platformStats(await statusTotals(deps.clickhouse, range)));
    },
  );
};
export default route;
