import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isPositiveMoney, moneyToNumber } from '@notify-stats/money';
import { dateRangeQuery } from '../http/date-range.ts';
import { formatParam, sendFactReport } from '../http/report-reply.ts';
import { letterBreakdown } from '../letter-breakdown.ts';
import { letterLinesByService, type LetterLineRow } from '../queries/billing-facts.ts';
import { smsChargedByService, type SmsChargedRow } from '../queries/sms-charges.ts';
import { byOrganisationThenService, serviceDirectory, type ServiceRow } from '../queries/services.ts';
import type { RouteDeps } from './deps.ts';

const row = z.object({
  organisation_id: z.string(),
  organisation_name: z.string(),
  service_id: z.string(),
  service_name: z.string(),
  sms_cost: z.number(),
  sms_chargeable_units: z.number().int(),
  total_letters: z.number().int(),
  letter_cost: z.number(),
  letter_breakdown: z.string(),
  purchase_order_number: z.string().nullable(),
  contact_names: z.string().nullable(),
  contact_email_addresses: z.string().nullable(),
  billing_reference: z.string().nullable(),
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

/** Joins sms (after allowance) and letters per service to the directory; only services that cost something. */
export function billingReport(sms: readonly SmsChargedRow[], letters: readonly LetterLineRow[], services: readonly ServiceRow[]) {
  const directory = new Map(services.map((s) => [s.service_id, s]));
  const smsBy = new Map(sms.map((s) => [s.service_id, s]));
  const lettersBy = new Map<string, LetterLineRow[]>();
  for (const l of letters) {
    const list = lettersBy.get(l.service_id);
    if (list) list.push(l);
    else lettersBy.set(l.service_id, [l]);
  }
  const ids = new Set([...smsBy.keys(), ...lettersBy.keys()]);
  const out = [];
  for (const id of ids) {
    const s = smsBy.get(id);
    const lines = lettersBy.get(id) ?? [];
    const smsCost = s?.sms_cost ?? '0';
    const letterCost = lines[0]?.service_cost ?? '0';
    if (!isPositiveMoney(smsCost) && !isPositiveMoney(letterCost)) continue;
    // A service whose reference data has not arrived yet still bills, under an empty name.
    const svc = directory.get(id);
    out.push({
      organisation_id: svc?.organisation_id ?? '',
      organisation_name: svc?.organisation_name ?? '',
      service_id: id,
      service_name: svc?.service_name ?? '',
      sms_cost: moneyToNumber(smsCost),
      sms_chargeable_units: s?.sms_chargeable_units ?? 0,
      total_letters: lines.reduce((n, l) => n + l.letters, 0),
      letter_cost: moneyToNumber(letterCost),
      letter_breakdown: letterBreakdown(lines),
      purchase_order_number: svc?.purchase_order_number ?? null,
      contact_names: svc?.contact_names ?? null,
      contact_email_addresses: svc?.contact_email_addresses ?? null,
      billing_reference: svc?.billing_reference ?? null,
    });
  }
  return out.sort(byOrganisationThenService);
}

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/data-for-billing-report',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Billing data per service',
        description: 'Sms cost after the free allowance and letter cost per service, for a range inside one financial year.',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: true }, formatParam),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      const body = async () => {
        const [sms, letters, services] = await Promise.all([
          smsChargedByService(deps.clickhouse, range),
          letterLinesByService(deps.clickhouse, range),
          serviceDirectory(deps.clickhouse, { live: false }),
        ]);
        return billingReport(sms, letters, services);
      };
      return sendFactReport(request, reply, deps, response, body, COLUMNS);
    },
  );
};
export default route;
