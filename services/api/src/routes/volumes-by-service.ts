import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { financialYearOf } from '@notify-stats/london';
import { moneyToNumber } from '@notify-stats/money';
import { dateRangeQuery } from '../http/date-range.ts';
import { formatParam, sendFactReport } from '../http/report-reply.ts';
import { volumesByService, type ServiceVolumeRow } from '../queries/billing-facts.ts';
import { byOrganisationThenService, freeAllowances, serviceDirectory, type ServiceRow } from '../queries/services.ts';
import type { RouteDeps } from './deps.ts';

const row = z.object({
  service_name: z.string(),
  service_id: z.string(),
  organisation_name: z.string(),
  organisation_id: z.string(),
  free_allowance: z.number().int(),
  sms_notifications: z.number().int(),
  sms_chargeable_units: z.number().int(),
  email_totals: z.number().int(),
  letter_totals: z.number().int(),
  letter_sheet_totals: z.number().int(),
  letter_cost: z.number(),
});
const response = z.array(row);
const COLUMNS = Object.keys(row.shape);

/** Every live service, with zeros where it had no traffic. */
export function serviceVolumes(live: readonly ServiceRow[], volumes: readonly ServiceVolumeRow[], allowances: ReadonlyMap<string, number>) {
  const volumeBy = new Map(volumes.map((v) => [v.service_id, v]));
  return live
    .map((s) => {
      const v = volumeBy.get(s.service_id);
      return {
        service_name: s.service_name,
        service_id: s.service_id,
        organisation_name: s.organisation_name,
        organisation_id: s.organisation_id,
        free_allowance: allowances.get(s.service_id) ?? 0,
        sms_notifications: v?.sms_notifications ?? 0,
        sms_chargeable_units: v?.sms_chargeable_units ?? 0,
        email_totals: v?.email_totals ?? 0,
        letter_totals: v?.letter_totals ?? 0,
        letter_sheet_totals: v?.letter_sheet_totals ?? 0,
        letter_cost: moneyToNumber(v?.letter_cost ?? '0'),
      };
    })
    .sort(byOrganisationThenService);
}

const route: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/platform-stats/volumes-by-service',
    {
      preValidation: deps.adminAuth,
      schema: {
        summary: 'Volumes per live service',
        description: 'Gross volumes and letter cost in the range for every live service, with its free sms allowance for FY(end_date).',
        tags: ['platform-stats'],
        querystring: dateRangeQuery({ required: true, singleFinancialYear: false }, formatParam),
        response: { 200: response },
      },
    },
    async (request, reply) => {
      const { range } = request.query;
      const body = async () => {
        const [live, volumes, allowances] = await Promise.all([
          serviceDirectory(deps.clickhouse, { live: true }),
          volumesByService(deps.clickhouse, range),
          freeAllowances(deps.clickhouse, financialYearOf(range.end)),
        ]);
        return serviceVolumes(live, volumes, allowances);
      };
      return sendFactReport(request, reply, deps, response, body, COLUMNS);
    },
  );
};
export default route;
