import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evaluateReadiness, type ReadinessCheck } from '@notify-stats/runtime';

export interface HealthDeps {
  /**
   * Named readiness checks; all must pass for /readyz to answer 200. A check may answer with a
   * string instead of false: it failed, and that is why (shown under `reasons`).
   */
  readiness: Record<string, ReadinessCheck>;
}

const health = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.boolean()).optional(),
  reasons: z.record(z.string(), z.string()).optional(),
});

const route: FastifyPluginAsyncZod<HealthDeps> = async (app, deps) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', response: { 200: health } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: ClickHouse answers and the pipeline is consuming', response: { 200: health, 503: health } } },
    async (_request, reply) => {
      const report = await evaluateReadiness(deps.readiness);
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );
};
export default route;
