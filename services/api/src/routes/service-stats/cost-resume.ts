import type { FastifyError } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { hasZodFastifySchemaValidationErrors, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addDays, addMonths, compareDays, isIsoDay, londonMidnightUtc, monthStart, todayInLondon, type IsoDay } from '@notify-stats/london';
import { sumMoney } from '@notify-stats/money';
import { AUTH_MESSAGES, authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { ApiError } from '../../errors.ts';
import { sendReport } from '../../http/report-reply.ts';
import { smsChargedByDay } from '../../queries/sms-charges.ts';
import { serviceBillingByDay } from '../../queries/service-stats.ts';
import { serviceIdParam, type ServiceStatsDeps } from './context.ts';
import { MAX_PERIODS, periodCount, periodStarts, type DayWindow } from './periods.ts';

/** The peer's limit: 5 requests a minute per API key. */
export const RATE_LIMIT = { max: 5, timeWindowMs: 60_000 } as const;

export const INTERVALS = ['last_month', 'last_twelve_months', 'custom'] as const;
type Interval = (typeof INTERVALS)[number];

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

// The peer's control codes; other failures carry their HTTP status as code.
export const PEER_CODES = { apiKeyRequired: 1, apiKeyIncorrect: 10 } as const;

const month = z.object({
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
export type CostResumeMonth = z.infer<typeof month>;

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

const FIRST_DAY = '1970-01-01';

/** DD-MM-YYYY, zero-padded, a real date from 01-01-1970, as YYYY-MM-DD. */
function peerDay(value: unknown): IsoDay | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(value);
  if (!m) return null;
  const day = `${m[3]}-${m[2]}-${m[1]}`;
  return isIsoDay(day) && compareDays(day, FIRST_DAY) >= 0 ? day : null;
}

/**
 * The London days asked for. last_month: the previous calendar month; last_twelve_months: the
 * twelve months before the current one (so its last month is last_month); custom: from..to,
 * both inclusive. `from`/`to` are only read for custom.
 */
export function resolveCostResumeQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<{ interval: Interval; window: DayWindow }> {
  const interval = q.interval;
  if (typeof interval !== 'string' || !(INTERVALS as readonly string[]).includes(interval)) {
    return { ok: false, message: `interval is required, one of ${INTERVALS.join(', ')}` };
  }
  const thisMonth = monthStart(todayInLondon(new Date(nowMs)));
  const lastDay = addDays(thisMonth, -1);
  if (interval === 'last_month') return { ok: true, value: { interval, window: { first: monthStart(lastDay), last: lastDay } } };
  if (interval === 'last_twelve_months') return { ok: true, value: { interval, window: { first: addMonths(thisMonth, -12), last: lastDay } } };
  const from = peerDay(q.from);
  if (!from) return { ok: false, message: 'from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970' };
  const to = peerDay(q.to);
  if (!to) return { ok: false, message: 'to is required with interval=custom, a date DD-MM-YYYY from 01-01-1970' };
  if (compareDays(from, to) > 0) return { ok: false, message: 'from must not be after to' };
  const window = { first: from, last: to };
  const n = periodCount(window, 'month');
  if (n > MAX_PERIODS) return { ok: false, message: `from..to holds ${n} months, more than the ${MAX_PERIODS} allowed: narrow it` };
  return { ok: true, value: { interval: 'custom', window } };
}

const query = z
  .object({
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
  })
  .superRefine((q, ctx) => {
    const r = resolveCostResumeQuery(q);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  });

export interface CostResumeInputs {
  charged: ReadonlyArray<{ day: string; cost: string }>;
  billing: ReadonlyArray<{ day: string; sent: number }>;
}

/** One entry per calendar month of the window, traffic or not, in the peer's strings. */
export function costResumeMonths(window: DayWindow, input: CostResumeInputs): CostResumeMonth[] {
  const costs = new Map<string, string[]>();
  const sent = new Map<string, number>();
  for (const c of input.charged) {
    const key = monthStart(c.day);
    costs.set(key, [...(costs.get(key) ?? []), c.cost]);
  }
  for (const b of input.billing) sent.set(monthStart(b.day), (sent.get(monthStart(b.day)) ?? 0) + b.sent);
  return periodStarts(window, 'month').map((start) => {
    const m = Number(start.slice(5, 7));
    return {
      month: MONTHS[m - 1] ?? '',
      year: start.slice(0, 4),
      m: start.slice(5, 7),
      date: londonMidnightUtc(start).getTime() / 1000,
      type: 'month' as const,
      cost: sumMoney(costs.get(start) ?? []),
      nb_send: String(sent.get(start) ?? 0),
    };
  });
}

/** Any failure in the peer's error envelope: 401 -> code 1, 403 -> code 10, else the HTTP status. */
function peerError(err: FastifyError | ApiError): { status: number; code: number; message: string; headers: Record<string, string> } {
  if (err instanceof ApiError) {
    const code = err.statusCode === 401 ? PEER_CODES.apiKeyRequired : err.statusCode === 403 ? PEER_CODES.apiKeyIncorrect : err.statusCode;
    return { status: err.statusCode, code, message: err.message, headers: err.headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return { status: 400, code: 400, message: err.validation[0]?.message ?? 'Invalid request', headers: {} };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, code: status, message: err.message, headers: {} };
  return { status: 500, code: 500, message: 'Internal server error', headers: {} };
}

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
      const q = resolveCostResumeQuery(request.query as Record<string, unknown>);
      if (!q.ok) throw new ApiError(400, q.message);
      const range = { start: q.value.window.first, end: q.value.window.last };
      const [charged, billing] = await Promise.all([
        smsChargedByDay(deps.clickhouse, serviceId, range),
        serviceBillingByDay(deps.clickhouse, serviceId, 'sms', range),
      ]);
      return sendReport(request, reply, deps, response, { success: true, datas: costResumeMonths(q.value.window, { charged, billing }) });
    },
  );
};
export default route;
