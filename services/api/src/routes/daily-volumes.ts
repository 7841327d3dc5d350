import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { dateRangeQuery } from '../http/date-range.ts';
import { formatParam, sendFactReport } from '../http/report-reply.ts';
import { dailyVolumes } from '../queries/billing-facts.ts';
import type { RouteDeps } from './deps.ts';

const row = z.object({
  day: z.string(),
  sms_totals: z.number().int(),
  sms_fragment_totals: z.number().int(),
  sms_chargeable_units: z.number().int(),
  email_totals: z.number().int(),
  letter_totals: z.number().int(),
  letter_sheet_totals: z.number().int(),
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/daily-volumes-report',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Platform volumes per day',
        description: 'Sms, email and letter volumes for every day in the range that has any billable notification.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: false }, formatParam),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      return sendFactReport(request, reply, deps, response, () => dailyVolumes(deps.clickhouse, range), COLUMNS);
    },
  );
};
export default route;
