import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { sendReport } from '../../http/report-reply.ts';
import { smsChargedByDay } from '../../queries/sms-charges.ts';
import { serviceLettersByDay } from '../../queries/service-stats.ts';
import { DEFAULT_LIMIT, MAX_LIMIT, resolveSpendingQuery, statementHistory, statementPage, statements, type Statement } from '../../service-stats/spending.ts';
import { SERVICE_AUTH_DOC, serviceIdParam, unixParam, type ServiceStatsDeps } from './context.ts';
import { resolvedQuery } from './query.ts';

const statement: z.ZodType<Statement> = z.object({
  id: z.string(),
  date: z.string(),
  balance: z.number(),
  delta: z.number(),
  type: z.enum(['sms', 'letter']),
  value: z.number().int(),
  comment: z.string(),
});
const response = z.object({ page: z.number().int(), limit: z.number().int(), pageCount: z.number().int(), resources: z.array(statement) });

const query = resolvedQuery(
  {
    page: z.unknown().optional().describe('Page to fetch, from 1 (default 1); a page past the end is empty').meta({ type: 'integer', minimum: 1 }),
    limit: z
      .unknown()
      .optional()
      .describe(`Statements per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`)
      .meta({ type: 'integer', minimum: 1, maximum: MAX_LIMIT }),
    start: unixParam('Range start, unix seconds (default: end - 7 days); its London day is the first day counted'),
    end: unixParam('Range end, unix seconds, exclusive (default: now); the London day of the second before it is the last day counted'),
    ...serviceIdParam,
  },
  (q) => resolveSpendingQuery(q),
);

const DESCRIPTION = `Statements of the authenticated service, in the shape of a peer's spending statistics, paginated
(\`page\`, \`limit\`, \`pageCount\` = pages in all, 0 when there is no statement, \`resources\`). One statement per London
day and type the service was charged for, oldest first, sms before letters on a day: \`type\` sms (units beyond the free
allowance: \`value\` = those units) or letter (\`value\` = letters). \`delta\` = minus the cost, \`balance\` = what the
service has spent in the statement's financial year (from 1 April) after it, \`date\` = the day's London midnight,
\`id\` = a UUID derived from service, day and type (stable across calls), \`comment\` = what was charged, at which rates.
A day whose sms stay inside the allowance has no sms statement.

${SERVICE_AUTH_DOC}`;

const route: FastifyPluginAsyncZod<ServiceStatsDeps> = async (app, deps) => {
  app.get(
    '/v2/stats/spending',
    {
      preValidation: serviceAuth({ keys: deps.keys, access: deps.access, apiKeyParam: false }),
      schema: {
        summary: 'Spending statements of one service',
        description: DESCRIPTION,
        tags: ['service-stats'],
        security: [{ bearer: [] }],
        querystring: query,
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { serviceId } = authenticatedService(request);
      const q = request.query;
      const history = statementHistory(q.window);
      const [sms, letters] = await Promise.all([
        smsChargedByDay(deps.clickhouse, serviceId, history),
        serviceLettersByDay(deps.clickhouse, serviceId, history),
      ]);
      return sendReport(request, reply, deps, response, statementPage(statements(serviceId, q.window, sms, letters), q));
    },
  );
};
export default route;
