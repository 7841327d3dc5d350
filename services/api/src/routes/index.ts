import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import platformStats from './platform-stats.ts';
import billingReport from './billing-report.ts';
import dvlaBillingReport from './dvla-billing-report.ts';
import dailyVolumes from './daily-volumes.ts';
import dailySmsProviderVolumes from './daily-sms-provider-volumes.ts';
import volumesByService from './volumes-by-service.ts';
import deliveryLatencyReport from './delivery-latency-report.ts';
import type { RouteDeps } from './deps.ts';

/** One file per report; each is registered with the same dependencies. */
export const REPORT_ROUTES: ReadonlyArray<FastifyPluginAsyncZod<RouteDeps>> = [
  platformStats,
  billingReport,
  dvlaBillingReport,
  dailyVolumes,
  dailySmsProviderVolumes,
  volumesByService,
  deliveryLatencyReport,
];
