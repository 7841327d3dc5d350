import { randomBytes } from 'node:crypto';
import { SINGLE_NODE, loadMigrations, queryRows, stagingTableSql, type ClickHouseClient, type Topology } from '@notify-stats/clickhouse';

export const FACT_TABLES = ['fact_notification_status', 'fact_billing', 'fact_letter_despatch'] as const;
export type FactTable = (typeof FACT_TABLES)[number];

const STAGING_PREFIX = '_staging_';

// Columns of notification_events that make a notification's current snapshot (day-sql.ts).
const CURRENT_COLUMNS = `notification_id UUID, service_id UUID, template_id Nullable(UUID), job_id Nullable(UUID),
  notification_type LowCardinality(String), key_type LowCardinality(String), status LowCardinality(String),
  billable_units UInt32, rate_multiplier Nullable(UInt32), international Nullable(Bool),
  sent_by LowCardinality(Nullable(String)), postage LowCardinality(Nullable(String))`;
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Identifiers cannot be bound as values here, so only names this module generated are ever formatted in. */
function ident(name: string): string {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe identifier ${name}`);
  return name;
}

/**
 * Per-run copies of the fact tables. A day is built into the copy and then swapped into the fact
 * table with REPLACE PARTITION, so a reader sees the old day or the new one, never half of one;
 * each run has its own copies, so two runs never mix their rows.
 */
export class Staging {
  private constructor(
    private readonly client: ClickHouseClient,
    readonly names: Record<FactTable, string>,
    /** The day's current snapshots, computed once and read by both the status and billing facts. */
    readonly current: string,
  ) {}

  /** On a cluster the copies are plain local tables on the node this client talks to (see topology.ts). */
  static async create(client: ClickHouseClient, topology: Topology = SINGLE_NODE): Promise<Staging> {
    const run = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const names = Object.fromEntries(FACT_TABLES.map((t) => [t, `${STAGING_PREFIX}${run}_${t}`])) as Record<FactTable, string>;
    const statements = topology.kind === 'cluster' ? loadMigrations().flatMap((m) => m.statements) : [];
    for (const table of FACT_TABLES) {
      await client.command({ query: stagingTableSql(ident(names[table]), ident(table), topology, statements) });
    }
    const current = `${STAGING_PREFIX}${run}_current`;
    await client.command({ query: `CREATE TABLE IF NOT EXISTS ${ident(current)} (${CURRENT_COLUMNS}) ENGINE = Memory` });
    return new Staging(client, names, current);
  }

  /** Swaps the staged day into the fact table (or drops the day there when nothing was staged). */
  async publish(table: FactTable, day: string): Promise<number> {
    const staged = ident(this.names[table]);
    const [row] = await queryRows<{ n: number }>(this.client, `SELECT count() AS n FROM ${staged} WHERE day = {day: Date}`, { day });
    const rows = Number(row?.n ?? 0);
    const query =
      rows > 0
        ? `ALTER TABLE ${ident(table)} REPLACE PARTITION {day: Date} FROM ${staged}`
        : `ALTER TABLE ${ident(table)} DROP PARTITION {day: Date}`;
    await this.client.command({ query, query_params: { day } });
    await this.client.command({ query: `ALTER TABLE ${staged} DROP PARTITION {day: Date}`, query_params: { day } });
    return rows;
  }

  async clearCurrent(): Promise<void> {
    await this.client.command({ query: `TRUNCATE TABLE ${ident(this.current)}` });
  }

  async drop(): Promise<void> {
    for (const name of [...Object.values(this.names), this.current]) {
      await this.client.command({ query: `DROP TABLE IF EXISTS ${ident(name)}` });
    }
  }

  /** Removes copies left behind by runs that died (older than an hour, so never a live run's). */
  static async dropAbandoned(client: ClickHouseClient): Promise<number> {
    const rows = await queryRows<{ name: string }>(
      client,
      `SELECT name FROM system.tables
       WHERE database = currentDatabase() AND startsWith(name, {prefix: String})
         AND metadata_modification_time < now() - INTERVAL 1 HOUR`,
      { prefix: STAGING_PREFIX },
    );
    for (const { name } of rows) await client.command({ query: `DROP TABLE IF EXISTS ${ident(name)}` });
    return rows.length;
  }
}
