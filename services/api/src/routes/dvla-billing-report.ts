import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { moneyToNumber } from '@notify-stats/money';
import { dateRangeQuery } from '../http/date-range.ts';
import { EngineRenderedJson, formatParam, sendFactReport, type ReportFormat } from '../http/report-reply.ts';
import { despatchTotals, despatchTotalsJson } from '../queries/despatch-facts.ts';
import type { RouteDeps } from './deps.ts';

const row = z.object({
  date: z.string(),
  postage: z.string(),
  cost_threshold: z.string(),
  sheets: z.number().int(),
  rate: z.number(),
  letters: z.number().int(),
  cost: z.number(),
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/data-for-dvla-billing-report',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Letters despatched by DVLA',
        description: 'Letters despatched per day, postage, cost threshold, sheets and rate, for a range inside one financial year.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: true }, formatParam),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      // JSON straight from the engine: 18k rows a year parsed, checked and serialised again
      // cost five times the query (docs/benchmarks.md section 3). CSV is built from the rows.
      const body = async (format: ReportFormat) =>
        format === 'json'
          ? new EngineRenderedJson(await despatchTotalsJson(deps.clickhouse, range))
          : (await despatchTotals(deps.clickhouse, range)).map((r) => ({ ...r, rate: moneyToNumber(r.rate), cost: moneyToNumber(r.cost) }));
      return sendFactReport(request, reply, deps, response, body, COLUMNS);
    },
  );
};
export default route;
