import type { FastifyInstance } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import { ApiError } from '../errors.ts';

/**
 * Limits every route of the scope to `perMinute` requests per authenticated client. The hook is
 * preHandler, after authentication (preValidation), so the count is per verified client: a
 * stranger sending a client's id with a bad signature is refused without using its quota.
 * 0 turns the limit off (benchmarks).
 */
export async function limitPerClient(scope: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await scope.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => request.clientId ?? `ip:${request.ip}`,
    errorResponseBuilder: (_request, ctx) =>
      new ApiError(ctx.statusCode, `Rate limit exceeded: at most ${ctx.max} requests per minute per client, retry in ${ctx.after}`),
  });
}
