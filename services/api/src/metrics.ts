import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

export const httpMetrics = {
  requestSeconds: new Histogram({
    name: 'notify_stats_http_request_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metricsRegistry],
  }),
  authRefusals: new Counter({
    name: 'notify_stats_http_auth_refusals_total',
    help: 'Requests refused by authentication (credentials) or by a limit (address-limit, key-limit, client-limit)',
    labelNames: ['reason'] as const,
    registers: [metricsRegistry],
  }),
  reportCache: new Counter({
    name: 'notify_stats_report_cache_requests_total',
    help: 'Report requests by what the cache did: hit (current rendering), stale (previous rendering sent while the new one computes), miss (computed while the asker waited)',
    labelNames: ['outcome'] as const,
    registers: [metricsRegistry],
  }),
  apiKeyLoads: new Counter({
    name: 'notify_stats_http_api_key_loads_total',
    help: 'Reads of the active API keys from ClickHouse (at most one per cache period, whatever the traffic)',
    registers: [metricsRegistry],
  }),
};
