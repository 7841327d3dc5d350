import { STATE_KEYS, factsVersion, readState, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { Logger } from '@notify-stats/runtime';
import { buildApp, type AppDeps } from './app.ts';

export interface ApiOptions extends Omit<AppDeps, 'dataAsOf' | 'factsVersion'> {
  port: number;
  host?: string;
  logger: Logger;
  /** Defaults to reading the watermark the rollups service stores. */
  dataAsOf?: AppDeps['dataAsOf'];
  /** Defaults to the newest build in `day_builds` (read at most every 250 ms); null turns the report cache off. */
  factsVersion?: AppDeps['factsVersion'] | null;
}

export interface ApiHandle {
  url: string;
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
  const app = await buildApp({
    ...opts,
    dataAsOf: opts.dataAsOf ?? storedWatermark(opts.clickhouse),
    factsVersion: opts.factsVersion === undefined ? everyAtMost(250, () => factsVersion(opts.clickhouse)) : opts.factsVersion,
  });
  const address = await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  opts.logger.info({ address }, 'api listening');
  return { url: address, stop: () => app.close() };
}
