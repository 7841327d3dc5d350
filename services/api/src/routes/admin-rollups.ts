import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compareDays, isIsoDay } from '@notify-stats/london';
import { ApiError } from '../errors.ts';
import { MESSAGES } from '../http/date-range.ts';
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
const MAX_BACKFILL_DAYS = 3700;

const backfillQuery = z.object({ from: z.unknown(), to: z.unknown(), from_raw: z.enum(['true', 'false']).optional() }).superRefine((q, ctx) => {
  for (const name of ['from', 'to'] as const) {
    const v = q[name];
    if (typeof v !== 'string' || !isIsoDay(v)) {
      ctx.addIssue({ code: 'custom', path: [name], message: MESSAGES.format });
      return;
    }
  }
  if (compareDays(q.from as string, q.to as string) > 0) ctx.addIssue({ code: 'custom', path: ['from'], message: MESSAGES.order });
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
      const { from, to, from_raw: fromRaw } = request.query as { from: string; to: string; from_raw?: 'true' | 'false' };
      const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
      if (days > MAX_BACKFILL_DAYS) throw new ApiError(400, `A backfill covers at most ${MAX_BACKFILL_DAYS} days`);
      const rollups = control();
      const stream = new Readable({ read() {} });
      const write = (o: unknown) => stream.push(`${JSON.stringify(o)}\n`);
      rollups
        .backfill(from, to, (p) => write({ done: p.done, total: p.total, day: p.day }), { fromRaw: fromRaw === 'true' })
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
