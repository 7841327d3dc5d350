import { STATE_KEYS, factsVersion, readState, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@notify-stats/runtime';
import { buildApp, type AppDeps } from './app.ts';
import { buildOpsApp } from './ops.ts';

export interface ApiOptions extends Omit<AppDeps, 'dataAsOf' | 'factsVersion'> {
  port: number;
  host?: string;
  /** Port of the operations server (/metrics, /docs); null: none. */
  metricsPort?: number | null;
  /** Where the operations server listens (default 127.0.0.1: only this machine can scrape it). */
  metricsHost?: string;
  logger: Logger;
  /** Defaults to reading the watermark the rollups service stores. */
  dataAsOf?: AppDeps['dataAsOf'];
  /** Defaults to the newest build in `day_builds` (read at most every 250 ms); null turns the report cache off. */
  factsVersion?: AppDeps['factsVersion'] | null;
}

export interface ApiHandle {
  /** The listening app, for in-process requests (app.inject) in tests. */
  app: FastifyInstance;
  url: string;
  /** The operations server (/metrics, /docs), when there is one. */
  metricsUrl: string | null;
  stop(): Promise<void>;
}

/** `read` at most once per `ttlMs`: every report asks for the watermark and the facts version. */
export function everyAtMost<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      cached = { at: Date.now(), value: read() };
      // A failed read is not kept for the next caller.
      cached.value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}

/** The watermark the rollups service stores. */
export const storedWatermark = (client: ClickHouseClient, ttlMs = 250) => everyAtMost(ttlMs, () => readState(client, STATE_KEYS.freshnessWatermark));

export async function startApi(opts: ApiOptions): Promise<ApiHandle> {
  let docsUrl: string | null = null;
  const app = await buildApp({
    ...opts,
    docsUrl: () => docsUrl,
    dataAsOf: opts.dataAsOf ?? storedWatermark(opts.clickhouse),
    factsVersion: opts.factsVersion === undefined ? everyAtMost(250, () => factsVersion(opts.clickhouse)) : opts.factsVersion,
    warmReportsEveryMs: opts.warmReportsEveryMs ?? 1000,
  });
  const ops = opts.metricsPort === null || opts.metricsPort === undefined ? null : await buildOpsApp(app, opts.logger);
  try {
    const address = await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
    const metricsUrl = ops ? await ops.listen({ port: opts.metricsPort ?? 0, host: opts.metricsHost ?? '127.0.0.1' }) : null;
    docsUrl = metricsUrl && `${metricsUrl}/docs`;
    opts.logger.info({ address, metrics: metricsUrl }, 'api listening');
    return { app, url: address, metricsUrl, stop: async () => Promise.all([app.close(), ops?.close()]).then(() => undefined) };
  } catch (err) {
    await Promise.all([app.close(), ops?.close()]);
    throw err;
  }
}
