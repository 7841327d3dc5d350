import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MESSAGING_STATUS_BUCKETS, type MessagingBucket } from '@notify-stats/events';
import { moneyToNumber, sumMoney } from '@notify-stats/money';
import { authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { ApiError } from '../../errors.ts';
import { sendReport } from '../../http/report-reply.ts';
import { smsChargedByDay } from '../../queries/sms-charges.ts';
import { serviceBillingByDay, serviceInboundByDay, serviceStatusByDay } from '../../queries/service-stats.ts';
import { SERVICE_AUTH_DOC, serviceIdParam, unixParam, type ServiceStatsDeps } from './context.ts';
import { GROUPINGS, MAX_PERIODS, periodCount, periodOf, periodStarts, peerDate, resolveWindow, tooManyPeriods, type By, type DayWindow } from './periods.ts';

const TYPES = ['sms', 'email', 'letter'] as const;
type NotificationType = (typeof TYPES)[number];

type Bucket = MessagingBucket;
const BUCKET_OF = new Map<string, Bucket>(
  Object.entries(MESSAGING_STATUS_BUCKETS).flatMap(([bucket, statuses]) => statuses.map((s) => [s, bucket as Bucket] as const)),
);

const period = z.object({
  date: z.string(),
  costs: z.number(),
  deliveryRate: z.number(),
  replyRate: z.number(),
  messagesReceived: z.number().int(),
  messagesSentParts: z.number().int(),
  messagesSentDelivered: z.number().int(),
  messagesSentAccepted: z.number().int(),
  messagesSentBuffered: z.number().int(),
  messagesSentFailed: z.number().int(),
  messagesSentRejected: z.number().int(),
});
const response = z.array(period);
export type MessagingPeriod = z.infer<typeof period>;

interface MessagingQuery {
  by: By;
  type: NotificationType;
  window: DayWindow;
}

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

/** The query's values, or the first problem with it (by, start, end, their order, type, size). */
export function resolveMessagingQuery(q: Record<string, unknown>, nowMs = Date.now()): Result<MessagingQuery> {
  const by = q.by ?? 'off';
  if (typeof by !== 'string' || !(GROUPINGS as readonly string[]).includes(by)) {
    return { ok: false, message: `by must be one of ${GROUPINGS.join(', ')}` };
  }
  const window = resolveWindow(q, nowMs);
  if (!window.ok) return window;
  const type = q.notification_type ?? 'sms';
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    return { ok: false, message: `notification_type must be one of ${TYPES.join(', ')}` };
  }
  const n = periodCount(window.value, by as By);
  if (n > MAX_PERIODS) return { ok: false, message: tooManyPeriods(n) };
  return { ok: true, value: { by: by as By, type: type as NotificationType, window: window.value } };
}

const query = z
  .object({
    by: z
      .unknown()
      .optional()
      .describe('off (default): one element for the whole range; day, month or year: one element per London period')
      .meta({ type: 'string', enum: [...GROUPINGS] }),
    start: unixParam('Range start, unix seconds (default: end - 7 days); its London day is the first day counted'),
    end: unixParam('Range end, unix seconds, exclusive (default: now); the London day of the second before it is the last day counted'),
    notification_type: z
      .unknown()
      .optional()
      .describe('sms (default), email or letter')
      .meta({ type: 'string', enum: [...TYPES] }),
    ...serviceIdParam,
  })
  .superRefine((q, ctx) => {
    const r = resolveMessagingQuery(q);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
  });

interface Totals {
  costs: string[];
  parts: number;
  received: number;
  buckets: Record<Bucket, number>;
}

const empty = (): Totals => ({
  costs: [],
  parts: 0,
  received: 0,
  buckets: { messagesSentDelivered: 0, messagesSentAccepted: 0, messagesSentBuffered: 0, messagesSentFailed: 0, messagesSentRejected: 0 },
});

export interface MessagingInputs {
  statuses: ReadonlyArray<{ day: string; status: string; total: number }>;
  billing: ReadonlyArray<{ day: string; units: number; cost: string }>;
  /** Sms charged after the allowance (empty for other types). */
  charged: ReadonlyArray<{ day: string; cost: string }>;
  inbound: ReadonlyArray<{ day: string; received: number }>;
}

/** Folds daily numbers into the peer's periods: every period of the window, traffic or not. */
export function messagingPeriods(q: MessagingQuery, input: MessagingInputs): MessagingPeriod[] {
  const starts = periodStarts(q.window, q.by);
  const totals = new Map(starts.map((p) => [p, empty()]));
  const at = (day: string) => totals.get(periodOf(day, q.by, q.window.first));
  for (const s of input.statuses) {
    const bucket = BUCKET_OF.get(s.status);
    const t = at(s.day);
    if (bucket && t) t.buckets[bucket] += s.total;
  }
  for (const b of input.billing) {
    const t = at(b.day);
    if (!t) continue;
    t.parts += b.units;
    if (q.type !== 'sms') t.costs.push(b.cost);
  }
  for (const c of input.charged) at(c.day)?.costs.push(c.cost);
  // Inbound texts answer sms; they are no reply to an email or a letter.
  if (q.type === 'sms') for (const i of input.inbound) {
    const t = at(i.day);
    if (t) t.received += i.received;
  }
  return starts.map((p) => {
    const t = totals.get(p) ?? empty();
    const sent = Object.values(t.buckets).reduce((a, b) => a + b, 0);
    return {
      date: q.by === 'off' ? '' : peerDate(p),
      costs: moneyToNumber(sumMoney(t.costs)),
      deliveryRate: sent === 0 ? 0 : t.buckets.messagesSentDelivered / sent,
      replyRate: sent === 0 ? 0 : t.received / sent,
      messagesReceived: t.received,
      messagesSentParts: t.parts,
      ...t.buckets,
    };
  });
}

const DESCRIPTION = `Numbers for the authenticated service, in the shape of a peer's messaging statistics: one element per
London period (\`by=day|month|year\`, every period of the range, traffic or not) or one for the whole range (\`by=off\`,
\`date\` empty). \`date\` is the period's start, London midnight with its offset (\`2024-04-01T00:00:00+0100\` in BST).

Our statuses map to the peer's fields:
- \`messagesSentDelivered\` = delivered + sent
- \`messagesSentAccepted\` = created + sending + pending-virus-check
- \`messagesSentBuffered\` = pending
- \`messagesSentFailed\` = technical-failure + temporary-failure + permanent-failure + failed + virus-scan-failed + returned-letter
- \`messagesSentRejected\` = validation-failed + cancelled

Notifications count on the London day they were created, with their current status; test-key notifications never count.
\`messagesSentParts\` = chargeable units (sms fragments x rate multiplier; letter sheets; 0 for email).
\`costs\` = what the service is charged: sms after its free allowance (the billing report's sms_cost for the same days),
letters at their rates, email 0. \`deliveryRate\` = delivered / all five buckets, \`replyRate\` = inbound sms (each
inbound_sms_id once) / all five buckets; both 0 when nothing was sent, and inbound sms count only for notification_type sms.

${SERVICE_AUTH_DOC}`;

const route: FastifyPluginAsyncZod<ServiceStatsDeps> = async (app, deps) => {
  app.get(
    '/v2/stats/messaging',
    {
      preValidation: serviceAuth({ keys: deps.keys, access: deps.access, apiKeyParam: false }),
      schema: {
        summary: 'Messaging statistics of one service',
        description: DESCRIPTION,
        tags: ['service-stats'],
        security: [{ bearer: [] }],
        querystring: query,
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { serviceId } = authenticatedService(request);
      const q = resolveMessagingQuery(request.query as Record<string, unknown>);
      if (!q.ok) throw new ApiError(400, q.message);
      const range = { start: q.value.window.first, end: q.value.window.last };
      const [statuses, billing, charged, inbound] = await Promise.all([
        serviceStatusByDay(deps.clickhouse, serviceId, q.value.type, range),
        serviceBillingByDay(deps.clickhouse, serviceId, q.value.type, range),
        q.value.type === 'sms' ? smsChargedByDay(deps.clickhouse, serviceId, range) : Promise.resolve([]),
        q.value.type === 'sms' ? serviceInboundByDay(deps.clickhouse, serviceId, range) : Promise.resolve([]),
      ]);
      return sendReport(request, reply, deps, response, messagingPeriods(q.value, { statuses, billing, charged, inbound }));
    },
  );
};
export default route;
