import { STATE_KEYS, readState, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { Logger } from '@notify-stats/runtime';
import { buildApp, type AppDeps } from './app.ts';

export interface ApiOptions extends Omit<AppDeps, 'dataAsOf'> {
  port: number;
  host?: string;
  logger: Logger;
  /** Defaults to reading the watermark the rollups service stores. */
  dataAsOf?: AppDeps['dataAsOf'];
}

export interface ApiHandle {
  url: string;
  stop(): Promise<void>;
}

/** Reads the stored watermark, at most once per `ttlMs`: every report asks for it. */
export function storedWatermark(client: ClickHouseClient, ttlMs = 250): () => Promise<string | null> {
  let cached: { at: number; value: Promise<string | null> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      cached = { at: Date.now(), value: readState(client, STATE_KEYS.freshnessWatermark) };
    }
    return cached.value;
  };
}

export async function startApi(opts: ApiOptions): Promise<ApiHandle> {
  const app = await buildApp({ ...opts, dataAsOf: opts.dataAsOf ?? storedWatermark(opts.clickhouse) });
  const address = await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  opts.logger.info({ address }, 'api listening');
  return { url: address, stop: () => app.close() };
}
