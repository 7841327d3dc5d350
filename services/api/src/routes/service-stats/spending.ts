import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { financialYearOf, financialYearStart } from '@notify-stats/london';
import { moneyToNumber, multiplyMoney, parseMoney, sumMoney } from '@notify-stats/money';
import { authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { ApiError } from '../../errors.ts';
import { sendReport } from '../../http/report-reply.ts';
import { letterBreakdown } from '../../letter-breakdown.ts';
import { smsChargedByDay, type SmsChargedDayRow } from '../../queries/sms-charges.ts';
import { serviceLettersByDay, type ServiceLetterDayRow } from '../../queries/service-stats.ts';
import { SERVICE_AUTH_DOC, serviceIdParam, unixParam, type ServiceStatsDeps } from './context.ts';
import { peerDate, resolveWindow, type DayWindow } from './periods.ts';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

const statement = z.object({
  id: z.string(),
  date: z.string(),
  balance: z.number(),
  delta: z.number(),
  type: z.enum(['sms', 'letter']),
  value: z.number().int(),
  comment: z.string(),
});
const response = z.object({ page: z.number().int(), limit: z.number().int(), pageCount: z.number().int(), resources: z.array(statement) });
export type Statement = z.infer<typeof statement>;

interface SpendingQuery {
  page: number;
  limit: number;
  window: DayWindow;
}

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

function wholeNumber(value: unknown, fallback: number, max: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= max ? n : null;
}

/** The query's values, or the first problem with it (page, limit, start, end, their order). */
export function resolveSpendingQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<SpendingQuery> {
  const page = wholeNumber(q.page, 1, Number.MAX_SAFE_INTEGER);
  if (page === null) return { ok: false, message: 'page must be a whole number from 1' };
  const limit = wholeNumber(q.limit, DEFAULT_LIMIT, MAX_LIMIT);
  if (limit === null) return { ok: false, message: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
  const window = resolveWindow(q, nowMs);
  if (!window.ok) return window;
  return { ok: true, value: { page, limit, window: window.value } };
}

const query = z
  .object({
    page: z.unknown().optional().describe('Page to fetch, from 1 (default 1); a page past the end is empty').meta({ type: 'integer', minimum: 1 }),
    limit: z
      .unknown()
      .optional()
      .describe(`Statements per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`)
      .meta({ type: 'integer', minimum: 1, maximum: MAX_LIMIT }),
    start: unixParam('Range start, unix seconds (default: end - 7 days); its London day is the first day counted'),
    end: unixParam('Range end, unix seconds, exclusive (default: now); the London day of the second before it is the last day counted'),
    ...serviceIdParam,
  })
  .superRefine((q, ctx) => {
    const r = resolveSpendingQuery(q);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  });

/** An RFC 9562 version-5 (name-based, SHA-1) UUID: the same name in the same namespace is the same id. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface Charge {
  day: string;
  type: 'sms' | 'letter';
  value: number;
  cost: string;
  comment: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function smsCharges(rows: readonly SmsChargedDayRow[]): Charge[] {
  const byDay = new Map<string, SmsChargedDayRow[]>();
  for (const r of rows) {
    if (r.charged_units <= 0) continue;
    const list = byDay.get(r.day);
    if (list) list.push(r);
    else byDay.set(r.day, [r]);
  }
  return [...byDay].map(([day, list]) => ({
    day,
    type: 'sms' as const,
    value: list.reduce((n, r) => n + r.charged_units, 0),
    cost: sumMoney(list.map((r) => r.cost)),
    comment: `${list.map((r) => `${plural(r.charged_units, 'text message unit', 'text message units')} at £${parseMoney(r.rate) ?? r.rate}`).join(', ')} beyond the free allowance`,
  }));
}

function letterCharges(rows: readonly ServiceLetterDayRow[]): Charge[] {
  const byDay = new Map<string, ServiceLetterDayRow[]>();
  for (const r of rows) {
    if (r.letters <= 0) continue;
    const list = byDay.get(r.day);
    if (list) list.push(r);
    else byDay.set(r.day, [r]);
  }
  return [...byDay].map(([day, list]) => ({
    day,
    type: 'letter' as const,
    value: list.reduce((n, r) => n + r.letters, 0),
    cost: sumMoney(list.map((r) => r.cost)),
    // The billing report's breakdown lines, on one line.
    comment: letterBreakdown(list).trimEnd().split('\n').join(', '),
  }));
}

/**
 * One statement per charged day and type, oldest first (sms before letters on a day). The
 * balance is the spend of the statement's financial year up to and including it, so charges
 * before the window (back to its FY's 1 April) count; only statements inside the window are kept.
 */
export function statements(
  serviceId: string,
  window: DayWindow,
  sms: readonly SmsChargedDayRow[],
  letters: readonly ServiceLetterDayRow[],
): Statement[] {
  const charges = [...smsCharges(sms), ...letterCharges(letters)].sort(
    (a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) || (a.type === b.type ? 0 : a.type === 'sms' ? -1 : 1),
  );
  const out: Statement[] = [];
  let fy: number | null = null;
  let balance = '0';
  for (const c of charges) {
    const cfy = financialYearOf(c.day);
    if (cfy !== fy) {
      fy = cfy;
      balance = '0';
    }
    balance = sumMoney([balance, c.cost]);
    if (c.day < window.first || c.day > window.last) continue;
    out.push({
      id: uuidV5(serviceId, `${c.day}:${c.type}`),
      date: peerDate(c.day),
      balance: moneyToNumber(balance),
      delta: moneyToNumber(multiplyMoney(c.cost, -1)),
      type: c.type,
      value: c.value,
      comment: c.comment,
    });
  }
  return out;
}

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
      const q = resolveSpendingQuery(request.query as Record<string, unknown>);
      if (!q.ok) throw new ApiError(400, q.message);
      const { page, limit, window } = q.value;
      // Letters from the window's FY start too, for the balance.
      const fyStart = financialYearStart(financialYearOf(window.first));
      const [sms, letters] = await Promise.all([
        smsChargedByDay(deps.clickhouse, serviceId, { start: fyStart, end: window.last }),
        serviceLettersByDay(deps.clickhouse, serviceId, { start: fyStart, end: window.last }),
      ]);
      const all = statements(serviceId, window, sms, letters);
      const body = {
        page,
        limit,
        pageCount: Math.ceil(all.length / limit),
        resources: all.slice((page - 1) * limit, page * limit),
      };
      return sendReport(request, reply, deps, response, body);
    },
  );
};
export default route;
