import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger, { type StaticDocumentSpec } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { metricsRegistry, type Logger } from '@notify-stats/runtime';
import { registerErrorHandler } from './errors.ts';

/**
 * The operations server, on a port of its own (METRICS_PORT, bound to loopback unless
 * METRICS_HOST says otherwise): `GET /metrics` for Prometheus, `GET /docs` (UI) and `GET /docs/json`
 * (the OpenAPI document of `api`). Nothing on it needs a credential, as scrapers expect: it is
 * kept off the report port and reachable only where the operator lets it be (loopback, a private
 * network, a scrape job's firewall rule). It serves no report data.
 */
export async function buildOpsApp(api: FastifyInstance, logger?: Logger): Promise<FastifyInstance> {
  await api.ready();
  const document = api.swagger() as StaticDocumentSpec['document'];
  const ops = Fastify({
    loggerInstance: logger as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerErrorHandler(ops);
  await ops.register(fastifySwagger, { mode: 'static', specification: { document } });
  await ops.register(fastifySwaggerUi, { routePrefix: '/docs' });
  ops.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );
  return ops;
}
