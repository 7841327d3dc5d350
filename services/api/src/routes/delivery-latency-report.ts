import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOTIFICATION_TYPES } from '@notify-stats/events';
import { ApiError } from '../errors.ts';
import { dateRangeQuery } from '../http/date-range.ts';
import { formatParam, sendFactReport } from '../http/report-reply.ts';
import { latencyPercentiles } from '../latency-percentiles.ts';
import { latencyBuckets } from '../queries/latency-facts.ts';
import { fillDone } from '../queries/query-days.ts';
import type { RouteDeps } from './deps.ts';

const seconds = z.number().describe('seconds: the upper edge of the latency bucket holding this percentile');
const row = z.object({
  day: z.string(),
  notification_type: z.enum(NOTIFICATION_TYPES),
  provider: z.string(),
  delivered: z.number().int(),
  p50_seconds: seconds,
  p90_seconds: seconds,
  p95_seconds: seconds,
  p99_seconds: seconds,
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

export const TYPE_MESSAGE = `notification_type must be one of: ${NOTIFICATION_TYPES.join(', ')}`;
const typeParam = {
  notification_type: z.enum(NOTIFICATION_TYPES, { error: TYPE_MESSAGE }).optional().describe('only this type (default: all)'),
};

export const NOT_FILLED_MESSAGE = 'Delivery latency is still being counted from history; try again in a few minutes';

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/delivery-latency-report',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Delivery latency per day and provider',
        description:
          'Per London day (of created_at), type and provider: delivered notifications and the time from created_at to the updated_at ' +
          'of the delivered snapshot at p50, p90, p95 and p99, in seconds. Read from fixed log-spaced buckets (8 per doubling from ' +
          '0.1 s): each figure is the upper edge of its bucket, at most 9.1 % above the true latency (under 0.1 s in the first bucket). ' +
          'Test keys are left out. 503 until the rollups have counted the history from before this report existed.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: false }, { ...typeParam, ...formatParam }),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      if (!(await fillDone(deps.clickhouse, 'deliveryLatency'))) throw new ApiError(503, NOT_FILLED_MESSAGE, { 'retry-after': '60' });
      const { range, notification_type: type } = request.query;
      const body = async () =>
        (await latencyBuckets(deps.clickhouse, range, type)).flatMap((r) => {
          const summary = latencyPercentiles(r.buckets);
          if (!summary) return [];
          const { seconds } = summary;
          return [{ day: r.day, notification_type: r.notification_type, provider: r.provider, delivered: summary.delivered,
            p50_seconds: seconds[50], p90_seconds: seconds[90], p95_seconds: seconds[95], p99_seconds: seconds[99] }];
        });
      return sendFactReport(request, reply, deps, response, body, COLUMNS);
    },
  );
};
export default route;
