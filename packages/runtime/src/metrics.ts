import { Registry, collectDefaultMetrics } from 'prom-client';

// One registry per process so that /metrics shows ingest, rollups and api together in
// the all-in-one runner and each alone when they run as separate processes.
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
