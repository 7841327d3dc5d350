import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import platformStats from './platform-stats.ts';
import type { RouteDeps } from './deps.ts';

/** One file per report; each is registered with the same dependencies. */
export const REPORT_ROUTES: ReadonlyArray<FastifyPluginAsyncZod<RouteDeps>> = [platformStats];
