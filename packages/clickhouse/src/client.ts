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
  /**
   * A client whose queries run beside this one's. The embedded engine runs one query at a time
   * per session, in the order asked: a second session on the same folder sees the same tables and
   * runs its queries at the same time, so a service given its own (the ingest's writes, the
   * rollups' cycles) no longer waits behind another's. A server runs a client's queries side by
   * side already: the same client. Closed with this one.
   */
  session(): ClickHouseClient;
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
    return { client, mode: 'server', location: url.toString(), topology, session: () => client, close: () => client.close() };
  }
  const folder = path.resolve(config.path);
  const { createChdbConnection } = await import('chdb/connection');
  const open = () =>
    createClient({
      // chdb builds against its own copy of @clickhouse/client-common; the interface is the same.
      connection: createChdbConnection({ path: folder }) as never,
      clickhouse_settings: CLICKHOUSE_SETTINGS,
    });
  const client = open();
  const sessions: ClickHouseClient[] = [];
  return {
    client,
    mode: 'embedded',
    location: folder,
    topology,
    session: () => {
      const session = open();
      sessions.push(session);
      return session;
    },
    // The first session last: the engine's folder is released with it.
    close: async () => {
      await Promise.all(sessions.splice(0).map((s) => s.close()));
      await client.close();
    },
  };
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
    // for...in rather than Object.entries: no pair arrays for every cell of a report's rows.
    for (const column in row) {
      const value = (row as Record<string, unknown>)[column];
      if (typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER && Number.isInteger(value)) throw new PrecisionLostError(column);
    }
  }
}

// Rows as JSON.stringify would write their values: decimals as numbers with their exact digits
// (a reader's JSON parser gives the same double as Number() of the decimal's string) and "/"
// unescaped. SETTINGS in the statement, not the client's settings: chdb makes those sticky. Not
// output_format_json_array_of_rows: when a query fails, chdb hands the "[" and "]" it had written
// to the next query of the session as the start of its result.
const JSON_ROWS = 'SETTINGS output_format_json_quote_decimals = 0, output_format_json_escape_forward_slashes = 0 FORMAT JSONEachRow';
const NEWLINE = 0x0a;

/**
 * Runs a query and returns its rows as the bytes of one JSON array of objects, rendered by the
 * engine: for a report body with many rows, which then never become JavaScript objects or even a
 * string (parsed, checked and serialised again, the DVLA report's 18k rows cost about five times
 * its query). The query has no SETTINGS or FORMAT clause of its own. `integerColumns` are
 * checked as assertExactIntegers checks rows.
 */
export async function queryJsonArray(client: ClickHouseClient, query: string, params: Record<string, unknown>, integerColumns: readonly string[]): Promise<Buffer> {
  // exec: the engine's bytes as they are, where query() would decode them into a string. A
  // server holds the answer until the query ends (wait_end_of_query), so that a failure comes as
  // an error status, not appended to a body already begun; the embedded engine drops the setting.
  const { stream } = await client.exec({ query: `${query}\n${JSON_ROWS}`, query_params: params, clickhouse_settings: { wait_end_of_query: 1 } });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const lines = Buffer.concat(chunks);
  for (const column of integerColumns) assertExactIntegersInJson(lines, column);
  if (lines.length === 0) return Buffer.from('[]');
  // One object a line (JSON escapes every newline inside a string): "[" + lines joined by "," + "]".
  const array = Buffer.allocUnsafe(lines.length + 1);
  array[0] = 0x5b;
  lines.copy(array, 1);
  for (let at = array.indexOf(NEWLINE, 1); at !== -1; at = array.indexOf(NEWLINE, at + 1)) array[at] = 0x2c;
  array[array.length - 1] = 0x5d;
  return array;
}

/**
 * Throws PrecisionLostError when `"column":` in the engine's JSON holds an integer past 2^53 - 1.
 * A string value cannot hold `"column":` (its quotes are escaped), and only integers of 16 digits
 * or more can pass the bound.
 */
function assertExactIntegersInJson(json: Buffer, column: string): void {
  const key = Buffer.from(`"${column}":`);
  for (let at = json.indexOf(key); at !== -1; at = json.indexOf(key, at + key.length)) {
    let from = at + key.length;
    if (json[from] === 0x2d) from++; // "-"
    let to = from;
    while (to < json.length && (json[to] as number) >= 0x30 && (json[to] as number) <= 0x39) to++;
    if (to - from >= 16 && BigInt(json.toString('latin1', from, to)) > BigInt(Number.MAX_SAFE_INTEGER)) throw new PrecisionLostError(column);
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
