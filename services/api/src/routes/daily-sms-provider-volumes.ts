import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { moneyToNumber } from '@notify-stats/money';
import { dateRangeQuery } from '../http/date-range.ts';
import { formatParam, sendFactReport } from '../http/report-reply.ts';
import { dailySmsProviderVolumes } from '../queries/billing-facts.ts';
import type { RouteDeps } from './deps.ts';

const row = z.object({
  day: z.string(),
  provider: z.string(),
  sms_totals: z.number().int(),
  sms_fragment_totals: z.number().int(),
  sms_chargeable_units: z.number().int(),
  sms_cost: z.number(),
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/daily-sms-provider-volumes-report',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Sms volumes per day and provider',
        description: 'Sms volumes and gross cost (no free allowance) per day and provider.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: false }, formatParam),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      const body = async () => (await dailySmsProviderVolumes(deps.clickhouse, range)).map((r) => ({ ...r, sms_cost: moneyToNumber(r.sms_cost) }));
      return sendFactReport(request, reply, deps, response, body, COLUMNS);
    },
  );
};
export default route;
