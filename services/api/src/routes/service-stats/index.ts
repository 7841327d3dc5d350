import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiKeyCache } from '../../auth/service-key.ts';
import type { RouteDeps } from '../deps.ts';
import costResume from './cost-resume.ts';
import messaging from './messaging.ts';
import spending from './spending.ts';

/**
 * The service-scoped statistics (issue 7): messaging and spending in one peer's shapes, the
 * monthly cost summary in another's. Each route is its own plugin (the cost summary carries its
 * own error envelope and rate limit); they share one API key cache.
 */
const serviceStats: FastifyPluginAsyncZod<RouteDeps & { apiKeyCacheMs?: number | undefined }> = async (app, deps) => {
  const shared = { ...deps, keys: new ApiKeyCache(deps.clickhouse, deps.apiKeyCacheMs) };
  await app.register(messaging, shared);
  await app.register(spending, shared);
  await app.register(costResume, shared);
};
export default serviceStats;
