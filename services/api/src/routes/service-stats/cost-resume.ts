import type { FastifyError } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUTH_MESSAGES, authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { ApiError } from '../../errors.ts';
import { sendReport } from '../../http/report-reply.ts';
import { smsChargedByDay } from '../../queries/sms-charges.ts';
import { serviceBillingByDay } from '../../queries/service-stats.ts';
import { costResumeMonths, INTERVALS, resolveCostResumeQuery, type CostResumeMonth } from '../../service-stats/cost-resume.ts';
import { serviceIdParam, type ServiceStatsDeps } from './context.ts';
import { PEER_CODES, peerError } from './peer-error.ts';
import { resolvedQuery } from './query.ts';

/** The peer's limit: 5 requests a minute per API key. */
export const RATE_LIMIT = { max: 5, timeWindowMs: 60_000 } as const;

const month: z.ZodType<CostResumeMonth> = z.object({
  month: z.string(),
  year: z.string(),
  m: z.string(),
  date: z.number().int(),
  type: z.literal('month'),
  cost: z.string(),
  nb_send: z.string(),
});
const response = z.object({ success: z.literal(true), datas: z.array(month) });
const errorResponse = z.object({ success: z.literal(false), code: z.number().int(), message: z.string() });

const query = resolvedQuery(
  {
    apiKey: z
      .unknown()
      .optional()
      .describe('`<key id>:<secret>` of one of the service\'s API keys (or send a bearer token instead)')
      .meta({ type: 'string' }),
    interval: z
      .unknown()
      .optional()
      .describe('last_month (the previous month), last_twelve_months (the twelve months before this one) or custom (from..to)')
      .meta({ type: 'string', enum: [...INTERVALS] }),
    from: z.unknown().optional().describe('custom only: first day, DD-MM-YYYY (London)').meta({ type: 'string', pattern: '^\\d{2}-\\d{2}-\\d{4}$' }),
    to: z.unknown().optional().describe('custom only: last day, DD-MM-YYYY (London), inclusive').meta({ type: 'string', pattern: '^\\d{2}-\\d{2}-\\d{4}$' }),
    ...serviceIdParam,
  },
  (q) => resolveCostResumeQuery(q),
);

const DESCRIPTION = `Sms sent and their cost per London month for the authenticated service, in the shape of a peer's
cost summary. One entry per calendar month of the interval, traffic or not: \`month\` (English, lower case), \`year\`,
\`m\` (two digits), \`date\` (the month's first London midnight, unix seconds), \`type\` "month", \`cost\` (sms charged
after the free allowance, exact decimal text, the billing report's sms_cost for those days), \`nb_send\` (sms sent:
the billable ones, as the billing facts count them). A custom interval's first and last months only count the days
from..to. At most ${RATE_LIMIT.max} requests a minute per API key (429 with Retry-After beyond; an admin token counts per
service it reads), within the service's limit for every route; a refused key uses no key's budget, but counts against the
source address and the key id it tried (too many failures: 429 until the minute is over).

Authenticate with \`apiKey=<key id>:<secret>\` or a bearer token (HS256 with the key's secret, \`iss\` = service id,
\`iat\` within 30 s), not both; admin tokens add \`service_id\`. Errors: \`{"success": false, "code", "message"}\`,
code ${PEER_CODES.apiKeyRequired} "${AUTH_MESSAGES.apiKeyRequired}" (401), ${PEER_CODES.apiKeyIncorrect} for a wrong, revoked or malformed
key or token (403), otherwise the HTTP status (400 for a bad query, 429 when over the limit).`;

const route: FastifyPluginAsyncZod<ServiceStatsDeps> = async (app, deps) => {
  // Everything here answers in the peer's envelope; this plugin's scope only.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = peerError(err);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    return reply.code(e.status).headers(e.headers).send({ success: false, code: e.code, message: e.message });
  });

  // The peer's own per-key limit, on top of the service's limit every route has. Registered inside
  // this plugin, so only this route has it. It runs after authentication (both at preValidation,
  // auth first), so it counts per verified key, and a stranger sending someone's key id with a
  // wrong secret cannot use their quota up (failures have limits of their own: auth/guard.ts).
  await app.register(fastifyRateLimit, {
    global: false,
    hook: 'preValidation',
    keyGenerator: (request) => authenticatedService(request).rateKey,
    errorResponseBuilder: (_request, ctx) =>
      new ApiError(ctx.statusCode, `Rate limit exceeded: at most ${ctx.max} requests per minute per API key, retry in ${ctx.after}`),
  });

  app.get(
    '/v1/statistics/cost-resume',
    {
      preValidation: serviceAuth({ keys: deps.keys, access: deps.access, apiKeyParam: true }),
      config: { rateLimit: { max: RATE_LIMIT.max, timeWindow: RATE_LIMIT.timeWindowMs } },
      schema: {
        summary: 'Monthly sms cost summary of one service',
        description: DESCRIPTION,
        tags: ['service-stats'],
        security: [{ bearer: [] }],
        querystring: query,
        response: { 200: response, '4xx': errorResponse },
      },
    },
    async (request, reply) => {
      const { serviceId } = authenticatedService(request);
      const { window } = request.query;
      const range = { start: window.first, end: window.last };
      const [charged, billing] = await Promise.all([
        smsChargedByDay(deps.clickhouse, serviceId, range),
        serviceBillingByDay(deps.clickhouse, serviceId, 'sms', range),
      ]);
      return sendReport(request, reply, deps, response, { success: true, datas: costResumeMonths(window, { charged, billing }) });
    },
  );
};
export default route;
