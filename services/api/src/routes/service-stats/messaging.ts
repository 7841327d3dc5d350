import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MESSAGING_STATUS_BUCKETS } from '@notify-stats/events';
import { authenticatedService, serviceAuth } from '../../auth/service-key.ts';
import { sendReport } from '../../http/report-reply.ts';
import { smsChargedByDay } from '../../queries/sms-charges.ts';
import { serviceBillingByDay, serviceInboundByDay, serviceStatusByDay } from '../../queries/service-stats.ts';
import { MESSAGING_TYPES, messagingPeriods, resolveMessagingQuery, type MessagingPeriod } from '../../service-stats/messaging.ts';
import { GROUPINGS } from '../../service-stats/periods.ts';
import { SERVICE_AUTH_DOC, serviceIdParam, unixParam, type ServiceStatsDeps } from './context.ts';
import { resolvedQuery } from './query.ts';

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
const response: z.ZodType<MessagingPeriod[]> = z.array(period);

const query = resolvedQuery(
  {
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
      .meta({ type: 'string', enum: [...MESSAGING_TYPES] }),
    ...serviceIdParam,
  },
  (q) => resolveMessagingQuery(q),
);

// Written from the groupings themselves, so the document cannot drift from what is counted.
const BUCKETS_DOC = Object.entries(MESSAGING_STATUS_BUCKETS)
  .map(([bucket, statuses]) => `- \`${bucket}\` = ${statuses.join(' + ')}`)
  .join('\n');

const DESCRIPTION = `Numbers for the authenticated service, in the shape of a peer's messaging statistics: one element per
London period (\`by=day|month|year\`, every period of the range, traffic or not) or one for the whole range (\`by=off\`,
\`date\` empty). \`date\` is the period's start, London midnight with its offset (\`2024-04-01T00:00:00+0100\` in BST).

Our statuses map to the peer's fields:
${BUCKETS_DOC}

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
      const q = request.query;
      const range = { start: q.window.first, end: q.window.last };
      const [statuses, billing, charged, inbound] = await Promise.all([
        serviceStatusByDay(deps.clickhouse, serviceId, q.type, range),
        serviceBillingByDay(deps.clickhouse, serviceId, q.type, range),
        q.type === 'sms' ? smsChargedByDay(deps.clickhouse, serviceId, range) : Promise.resolve([]),
        q.type === 'sms' ? serviceInboundByDay(deps.clickhouse, serviceId, range) : Promise.resolve([]),
      ]);
      return sendReport(request, reply, deps, response, messagingPeriods(q, { statuses, billing, charged, inbound }));
    },
  );
};
export default route;
