import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { daysBetween } from '@notify-stats/london';
import { ApiError } from '../errors.ts';
import { checkDateRange } from '../http/date-range.ts';
import type { RouteDeps } from './deps.ts';

/** The part of the rollups service the API can drive when both run in one process. */
export interface RollupControl {
  backfill(
    from: string,
    to: string,
    /** Days repaired so far, of how many; `day` is the one just finished. */
    onProgress?: (p: { done: number; total: number; day?: string }) => void,
    /** `fromRaw`: count the days' raw layer again first (history the change logs never carried). */
    options?: { fromRaw?: boolean },
  ): Promise<unknown>;
  status(): Promise<unknown>;
}

// A backfill is work an operator asks for; a year is 365 days, ten years is plenty.
export const MAX_BACKFILL_DAYS = 3700;

const dayParam = (what: string) => z.unknown().describe(what).meta({ type: 'string', format: 'date' });

/**
 * from..to as the reports check dates (date-range.ts: format of each, then order, same messages),
 * then the size; the parsed output is the range and the flag, so the handler reads typed values.
 */
const backfillQuery = z
  .object({
    from: dayParam('First London day to rebuild, YYYY-MM-DD'),
    to: dayParam('Last London day to rebuild, YYYY-MM-DD (inclusive)'),
    from_raw: z.enum(['true', 'false']).optional(),
  })
  .transform((q, ctx) => {
    const checked = checkDateRange({ start_date: q.from, end_date: q.to }, { required: true, singleFinancialYear: false }, new Date());
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', path: [checked.path === 'start_date' ? 'from' : 'to'], message: checked.message });
      return z.NEVER;
    }
    if (daysBetween(checked.range.start, checked.range.end) + 1 > MAX_BACKFILL_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `A backfill covers at most ${MAX_BACKFILL_DAYS} days` });
      return z.NEVER;
    }
    return { range: checked.range, fromRaw: q.from_raw === 'true' };
  });

const route: FastifyPluginAsyncZod<RouteDeps & { rollups?: RollupControl | undefined }> = async (app, deps) => {
  const control = (): RollupControl => {
    if (!deps.rollups) throw new ApiError(503, 'The rollups service does not run in this process');
    return deps.rollups;
  };

  app.post(
    '/admin/rollups/backfill',
    {
      preValidation: deps.operatorAuth,
      schema: {
        tags: ['admin'],
        summary: 'Rebuild the facts of a date range (streams progress as NDJSON)',
        querystring: backfillQuery,
      },
    },
    async (request, reply) => {
      const { range, fromRaw } = request.query;
      const rollups = control();
      const stream = new Readable({ read() {} });
      const write = (o: unknown) => stream.push(`${JSON.stringify(o)}\n`);
      rollups
        .backfill(range.start, range.end, (p) => write({ done: p.done, total: p.total, day: p.day }), { fromRaw })
        .then(() => write({ finished: true }))
        .catch((err: unknown) => {
          request.log.error({ err }, 'backfill failed');
          write({ error: 'backfill failed; see the service log' });
        })
        .finally(() => stream.push(null));
      return reply.type('application/x-ndjson').send(stream);
    },
  );

  app.get(
    '/admin/rollups/status',
    { preValidation: deps.operatorAuth, schema: { tags: ['admin'], summary: 'Freshness watermark, dirty days and last builds' } },
    async () => control().status(),
  );
};
export default route;
