import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { z } from 'zod';
import { SINGLE_NODE, clusterSettings, type Topology } from './topology.ts';

export type { ClickHouseClient };

export interface ClickhouseConfig {
  /** A ClickHouse server over HTTP; unset means the embedded engine. */
  url?: string | undefined;
  /** Data folder of the embedded engine. */
  path: string;
  /** A cluster (CLICKHOUSE_CLUSTER) needs a server and its own query settings. */
  topology?: Topology;
}

export interface Clickhouse {
  client: ClickHouseClient;
  mode: 'server' | 'embedded';
  /** Where the data lives, for logs: the server URL without credentials, or the folder. */
  location: string;
  topology: Topology;
  close(): Promise<void>;
}

/** Settings every query needs: exact decimals as strings, timestamps read as the contract writes them. */
export const CLICKHOUSE_SETTINGS = {
  date_time_input_format: 'best_effort',
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 0,
} as const;

/**
 * The one place that decides between a server and the embedded engine. The embedded engine is
 * a process singleton bound to one data folder, so a process opens it once and shares it.
 */
export async function openClickhouse(config: ClickhouseConfig): Promise<Clickhouse> {
  const topology = config.topology ?? SINGLE_NODE;
  if (topology.kind === 'cluster' && !config.url) {
    throw new Error('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded engine is a single node');
  }
  if (config.url) {
    const url = new URL(config.url);
    const client = createClient({
      url: config.url,
      clickhouse_settings: { ...CLICKHOUSE_SETTINGS, ...clusterSettings(topology) },
      request_timeout: 120_000,
      max_open_connections: 16,
    });
    url.password = '';
    url.username = '';
    return { client, mode: 'server', location: url.toString(), topology, close: () => client.close() };
  }
  const folder = path.resolve(config.path);
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({
    // chdb builds against its own copy of @clickhouse/client-common; the interface is the same.
    connection: createChdbConnection({ path: folder }) as never,
    clickhouse_settings: CLICKHOUSE_SETTINGS,
  });
  return { client, mode: 'embedded', location: folder, topology, close: () => client.close() };
}

/**
 * A 64-bit integer from the engine (a sum, a count) too large for a JavaScript number to hold
 * exactly. Reports refuse to answer with it rather than answer with a rounded figure.
 */
export class PrecisionLostError extends Error {
  override name = 'PrecisionLostError';
  constructor(readonly column: string) {
    super(`${column} is larger than ${Number.MAX_SAFE_INTEGER} and cannot be given exactly`);
  }
}

/**
 * Throws PrecisionLostError when a row holds an integer past 2^53 - 1. 64-bit integers arrive as
 * JSON numbers (CLICKHOUSE_SETTINGS), and any integer past that bound parses to a double of at
 * least 2^53, so a rounded value is always caught here, never returned.
 */
export function assertExactIntegers(rows: readonly unknown[]): void {
  for (const row of rows) {
    if (row === null || typeof row !== 'object') continue;
    for (const [column, value] of Object.entries(row)) {
      if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER && Number.isInteger(value)) throw new PrecisionLostError(column);
    }
  }
}

/** Runs a query and returns its rows as JSON objects, every integer in them exact. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const rows = await rs.json<T>();
  assertExactIntegers(rows);
  return rows;
}

/**
 * Runs a query and parses every row with `row`, so a query's result type is checked where it is
 * read rather than assumed. Values go only through `params` (typed placeholders in the SQL).
 */
export async function queryParsed<S extends z.ZodType>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  row: S,
): Promise<z.output<S>[]> {
  const rows = await queryRows<unknown>(client, query, params);
  return rows.map((r) => row.parse(r));
}
