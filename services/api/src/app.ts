import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import { metricsRegistry, type Logger } from '@notify-stats/runtime';
import { adminAuth, type AdminAuthConfig } from './auth/admin.ts';
import { registerErrorHandler } from './errors.ts';
import { limitPerClient } from './http/client-rate-limit.ts';
import { ReportCache } from './http/report-cache.ts';
import { httpMetrics } from './metrics.ts';
import adminPipeline, { type IngestControl } from './routes/admin-pipeline.ts';
import adminRollups, { type RollupControl } from './routes/admin-rollups.ts';
import dashboard from './routes/dashboard.ts';
import health, { type HealthDeps } from './routes/health.ts';
import { REPORT_ROUTES } from './routes/index.ts';
import type { RouteDeps } from './routes/deps.ts';
import serviceStats from './routes/service-stats/index.ts';

export interface AppDeps {
  clickhouse: ClickHouseClient;
  admin: AdminAuthConfig;
  /** Freshness watermark (ISO) for `X-Data-As-Of`. */
  dataAsOf: () => Promise<string | null>;
  readiness: HealthDeps['readiness'];
  logger?: Logger;
  /** Present when the rollups service runs in this process (the all-in-one runner). */
  rollups?: RollupControl;
  /** Present when the ingest worker runs in this process. */
  ingest?: IngestControl;
  pipelineStatus?: () => Promise<unknown>;
  /** Changes whenever the fact tables do; when set, platform reports are cached per version. */
  factsVersion?: (() => Promise<string>) | null | undefined;
  /** Report requests per minute per admin client; 0 turns the limit off. */
  rateLimitPerMinute?: number;
}

// Generous for people and dashboards, low enough that one runaway script cannot starve the rest.
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** Builds the HTTP app without listening, so tests drive it with `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
    // Per-request lines would dominate the log under load; durations go to /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Over-long query strings are refused by Node's header limit (431) before they reach a route.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  app.addHook('onResponse', async (request, reply) => {
    httpMetrics.requestSeconds.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'notify-stats',
        version: '0.1.0',
        description:
          'Platform statistics of the notification platform, computed from its status events. ' +
          'Every report needs `Authorization: Bearer <JWT>` (HS256, iss = admin client id, iat within 30 s).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(health, { readiness: deps.readiness });
  await app.register(dashboard);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );

  const routeDeps: RouteDeps = {
    clickhouse: deps.clickhouse,
    adminAuth: adminAuth(deps.admin),
    dataAsOf: deps.dataAsOf,
    reportCache: deps.factsVersion ? new ReportCache(deps.factsVersion) : undefined,
  };
  await app.register(async (admin) => {
    await limitPerClient(admin, deps.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);
    for (const route of REPORT_ROUTES) await admin.register(route, routeDeps);
    await admin.register(adminRollups, { ...routeDeps, rollups: deps.rollups });
    await admin.register(adminPipeline, { ...routeDeps, ingest: deps.ingest, pipelineStatus: deps.pipelineStatus });
  });
  // Service-scoped statistics (service API keys; the cost summary has its own rate limit).
  await app.register(serviceStats, routeDeps);
  return app;
}
