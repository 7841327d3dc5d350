import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import type { Logger } from '@notify-stats/runtime';
import { PlatformClients, type ClientCredential } from './auth/clients.ts';
import { Access } from './auth/guard.ts';
import { registerErrorHandler } from './errors.ts';
import { AccessLimits, DEFAULT_RATE_LIMIT_PER_MINUTE } from './http/limits.ts';
import { ReportCache } from './http/report-cache.ts';
import { completeOpenApi } from './http/openapi.ts';
import { registerRequestLog, requestId } from './http/request-log.ts';
import { httpMetrics } from './metrics.ts';
import adminPipeline, { type IngestControl } from './routes/admin-pipeline.ts';
import adminRollups, { type RollupControl } from './routes/admin-rollups.ts';
import authSession from './routes/auth-session.ts';
import dashboard from './routes/dashboard.ts';
import health, { type HealthDeps } from './routes/health.ts';
import home from './routes/home.ts';
import { REPORT_ROUTES } from './routes/index.ts';
import type { RouteDeps } from './routes/deps.ts';
import serviceStats from './routes/service-stats/index.ts';

export interface AppDeps {
  clickhouse: ClickHouseClient;
  /** The report reader (ADMIN_CLIENT_ID / ADMIN_CLIENT_SECRET): reports and any service's statistics. */
  admin: ClientCredential;
  /** The operator (OPERATOR_CLIENT_ID / OPERATOR_CLIENT_SECRET): /admin/* as well; without it nobody operates. */
  operator?: ClientCredential | undefined;
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
  /** A report cache built by the caller (tests, benchmarks); otherwise one is built from factsVersion. */
  reportCache?: ReportCache | undefined;
  /**
   * How often the cache looks for a new facts version and recomputes the reports read under the
   * previous one (ReportCache.warm); 0 or unset: only when asked.
   */
  warmReportsEveryMs?: number;
  /** Requests per minute per verified client (platform client or service), every authenticated route; 0 turns it off. */
  rateLimitPerMinute?: number;
  /** Refused or missing credentials per source address per minute (then 429 before anything); 0 turns it off. */
  authFailuresPerMinute?: number;
  /** Refused secrets per API key id or service id per minute (then 429 for it); 0 turns it off. */
  keyFailuresPerMinute?: number;
  /** How long the active API keys read from ClickHouse are reused (default SERVICE_KEY_CACHE_MS). */
  apiKeyCacheMs?: number;
  /** A London day is final once older than this many days (default 2): `X-Data-Provisional`. */
  provisionalAgeDays?: number;
  /** The OpenAPI UI's address on the operations server, for GET /docs (null: none). */
  docsUrl?: () => string | null;
}

export { DEFAULT_RATE_LIMIT_PER_MINUTE };

function reportCache(app: FastifyInstance, deps: AppDeps): ReportCache | undefined {
  const onError = (err: unknown) => app.log.warn({ err }, 'report recomputation failed; the previous one is still served');
  const cache = deps.reportCache ?? (deps.factsVersion ? new ReportCache({ factsVersion: deps.factsVersion, dataAsOf: deps.dataAsOf, onError }) : undefined);
  if (cache && deps.warmReportsEveryMs) {
    const timer = setInterval(() => void cache.warm().catch(onError), deps.warmReportsEveryMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  return cache;
}

/** Builds the HTTP app without listening, so tests drive it with `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
    // Fastify's own two lines per request are replaced by http/request-log.ts (one line, levelled).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    // Over-long query strings are refused by Node's header limit (431) before they reach a route.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  registerRequestLog(app);

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
          'Every report needs `Authorization: Bearer <JWT>`: HS256 signed by a platform client (iss = its client id, ' +
          'iat within 30 s), or a session token from POST /auth/session. The report reader (ADMIN_CLIENT_*) reads; ' +
          'the operator (OPERATOR_CLIENT_*) reads and operates (/admin/*). Every authenticated route is limited per ' +
          'client; refused credentials are limited per source address and per API key id.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
    // Security, error answers, report headers and CSV, which the zod schemas do not say.
    transformObject: (documents) => completeOpenApi('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject),
  });
  // The document is built here from the routes' schemas, and served by the operations server
  // (ops.ts: METRICS_PORT), not on this port.

  await app.register(health, { readiness: deps.readiness });
  await app.register(dashboard);
  await app.register(home, { docsUrl: deps.docsUrl ?? (() => null) });

  const access = new Access(
    new AccessLimits({
      requestsPerMinute: deps.rateLimitPerMinute,
      authFailuresPerMinute: deps.authFailuresPerMinute,
      keyFailuresPerMinute: deps.keyFailuresPerMinute,
    }),
    new PlatformClients({ reader: deps.admin, operator: deps.operator }),
  );
  const routeDeps: RouteDeps = {
    clickhouse: deps.clickhouse,
    adminAuth: access.client('read'),
    operatorAuth: access.client('operate'),
    access,
    dataAsOf: deps.dataAsOf,
    reportCache: reportCache(app, deps),
    provisionalAgeDays: deps.provisionalAgeDays ?? 2,
  };
  await app.register(authSession, routeDeps);
  for (const route of REPORT_ROUTES) await app.register(route, routeDeps);
  await app.register(adminRollups, { ...routeDeps, rollups: deps.rollups });
  await app.register(adminPipeline, { ...routeDeps, ingest: deps.ingest, pipelineStatus: deps.pipelineStatus });
  // Service-scoped statistics (service API keys; the cost summary has a per-key limit of its own too).
  await app.register(serviceStats, { ...routeDeps, apiKeyCacheMs: deps.apiKeyCacheMs });
  return app;
}
