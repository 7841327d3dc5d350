import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

// One registry per process so that /metrics shows ingest, rollups and api together in
// the all-in-one runner and each alone when they run as separate processes.
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const buildInfo = new Gauge({
  name: 'notify_stats_build_info',
  help: 'Always 1: the version and Node.js of this process (join on it to tell deploys apart)',
  labelNames: ['version', 'node', 'command'] as const,
  registers: [metricsRegistry],
});

/** Sets notify_stats_build_info once per process, from the CLI that started it. */
export function setBuildInfo(version: string, command: string): void {
  buildInfo.reset();
  buildInfo.set({ version, node: process.version, command }, 1);
}
