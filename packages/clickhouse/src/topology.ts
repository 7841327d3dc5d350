/**
 * One set of migration files, two topologies.
 *
 * Single node (the embedded engine, or one server): every statement runs exactly as written.
 *
 * Cluster (`CLICKHOUSE_CLUSTER` set): every statement is rendered `ON CLUSTER`, every MergeTree
 * becomes its `Replicated*` twin with the original engine arguments kept after the Keeper path
 * and replica name, and each table is placed by the table `PLACEMENT` below:
 *
 * - **Sharded** tables (the raw layer, which grows without bound) become `<name>_local` on every
 *   node plus a `Distributed` table under the original name, so ingest, rollups and api keep using
 *   the names they use today, for reads and writes alike.
 *   The shard key is `cityHash64(notification_id)` for everything about notifications:
 *   - the day's status and billing facts take the newest snapshot per notification (argMax per
 *     notification_id): with every event of a notification on one shard, each shard can finish
 *     that GROUP BY by itself (`optimize_distributed_group_by_sharding_key`), and `FINAL` or the
 *     ReplacingMergeTree merge collapses duplicates of an event, which always share its shard;
 *   - a table filled by a materialized view on `notification_events_local` (the change log)
 *     lives on the shard of its notification whatever its own Distributed table says; its key is
 *     declared the same so that an insert through it would land in the same place;
 *   - `letter_despatches` uses the same key, so a despatch repair's
 *     `... FROM letter_despatches WHERE notification_id IN (SELECT notification_id
 *     FROM letter_despatches ...)` stays shard-local (`distributed_product_mode = 'local'` is correct
 *     because both sides are co-sharded); the join of the two per-letter results runs on the initiator.
 *   `inbound_sms` is counted once per `inbound_sms_id` (GROUP BY inbound_sms_id), so it is
 *   sharded by `cityHash64(inbound_sms_id)`: all events of one message meet on one shard.
 * - **Replicated everywhere** (one replication group that every node joins, i.e. one shard with
 *   all nodes as replicas): the fact tables, the reference data and the bookkeeping tables. They
 *   are small next to the raw layer. The rollups write each fact table once per cycle, as one
 *   block with a deduplication token, which replication deduplicates on every replica (see
 *   services/rollups/README.md); the api reads facts and reference data locally.
 *   Their Keeper path uses the literal shard name `all` instead of `{shard}`, so the
 *   `{replica}` macro must be unique across the whole cluster (e.g. the host name).
 *
 * How the rollups run against this: the change logs and the counted snapshots are sharded by
 * notification like the raw layer (their views fire on the shard of the insert); a cycle reads
 * them through their Distributed tables and stages its work in replicated tables, so any node
 * can apply it. `clusterSettings()` lists the query settings the cluster needs.
 *
 * `renderForTopology` is a pure function of the statement text: single-node output is the input,
 * byte for byte, and a statement this module cannot place (a new table without a PLACEMENT entry,
 * an ALTER other than those renderAlter knows, a non-MergeTree engine) is refused in cluster mode
 * rather than guessed. `ALTER TABLE ... ADD COLUMN` and `DROP TABLE IF EXISTS` are rendered ON
 * CLUSTER (both tables of a sharded one); a projection or a table setting on the table that
 * stores the parts.
 */
import type { ClickHouseSettings } from '@clickhouse/client';

export type Topology = { kind: 'single' } | { kind: 'cluster'; cluster: string; database?: string };

export const SINGLE_NODE: Topology = { kind: 'single' };

export type Placement =
  /** `<name>_local` (Replicated*MergeTree per shard) + `Distributed` `<name>` with this key. */
  | { kind: 'sharded'; shardKey: string; why: string }
  /** One Replicated*MergeTree group that every node of the cluster joins. */
  | { kind: 'replicated'; why: string }
  /** A materialized view created on every node, reading and writing local tables. */
  | { kind: 'view'; why: string };

const BY_NOTIFICATION = 'cityHash64(notification_id)';

/** Every table and view the migrations create (and `schema_migrations`), with where it lives in a cluster. */
export const PLACEMENT: Readonly<Record<string, Placement>> = {
  notification_events: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'newest snapshot per notification is computed shard-locally' },
  letter_events: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'filled by letter_events_mv on the shard of its notification (dropped by 0011)' },
  letter_events_mv: { kind: 'view', why: 'notification_events_local -> letter_events_local on each node (dropped by 0011)' },
  letter_despatches: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'read by notification in a despatch repair, co-sharded with the counted snapshots' },
  inbound_sms: { kind: 'sharded', shardKey: 'cityHash64(inbound_sms_id)', why: 'counted once per inbound_sms_id' },
  ref_organisations: { kind: 'replicated', why: 'reference data, joined locally' },
  ref_services: { kind: 'replicated', why: 'reference data, joined locally' },
  ref_annual_billing: { kind: 'replicated', why: 'reference data, joined locally' },
  ref_sms_rates: { kind: 'replicated', why: 'reference data, joined locally by the billing rollup' },
  ref_letter_rates: { kind: 'replicated', why: 'reference data, joined locally by the billing and despatch rollups' },
  ref_api_keys: { kind: 'replicated', why: 'reference data, read locally by the api' },
  ref_spend_thresholds: { kind: 'replicated', why: 'reference data, read locally by the alert checks' },
  fact_notification_status: { kind: 'replicated', why: 'a cycle writes one part, deduplicated by token on every replica; reports read locally' },
  fact_billing: { kind: 'replicated', why: 'a cycle writes one part, deduplicated by token on every replica; reports read locally' },
  fact_letter_despatch: { kind: 'replicated', why: 'a cycle writes one part, deduplicated by token on every replica; reports read locally' },
  fact_notification_status_month: { kind: 'replicated', why: 'monthly sums fed by the view on the daily facts; reports read locally' },
  fact_notification_status_month_mv: { kind: 'view', why: 'fact_notification_status -> its monthly sums on the node that applies a cycle' },
  fact_billing_month: { kind: 'replicated', why: 'monthly sums fed by the view on the daily facts; reports read locally' },
  fact_billing_month_mv: { kind: 'view', why: 'fact_billing -> its monthly sums on the node that applies a cycle' },
  fact_delivery_latency: { kind: 'replicated', why: 'a cycle writes one part, deduplicated by token on every replica; reports read locally' },
  notification_changes: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'filled by notification_changes_v2_mv on the shard of its notification' },
  notification_changes_mv: { kind: 'view', why: 'notification_events_local -> notification_changes_local on each node (dropped by 0007)' },
  notification_changes_v2_mv: { kind: 'view', why: 'notification_events_local -> notification_changes_local on each node, with created_at' },
  despatch_changes: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'co-sharded with letter_despatches, which its view fills' },
  letter_despatches_mv: { kind: 'view', why: 'despatch_changes_local -> letter_despatches_local on each node' },
  counted_notifications: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'one row per notification, looked up by notification_id' },
  counted_despatches: { kind: 'sharded', shardKey: BY_NOTIFICATION, why: 'one row per letter, looked up by notification_id' },
  rollup_staged_snapshots: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_staged_despatches: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_staged_status: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_staged_billing: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_staged_despatch: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_staged_latency: { kind: 'replicated', why: "a cycle's staged work: small, read back by whichever node applies it" },
  rollup_cycles: { kind: 'replicated', why: 'bookkeeping: small, read by rollups and api' },
  dirty_days: { kind: 'replicated', why: 'bookkeeping: small, read by every rollup' },
  day_builds: { kind: 'replicated', why: 'bookkeeping: small, read by rollups and api' },
  pipeline_state: { kind: 'replicated', why: 'bookkeeping: small' },
  restatement_baselines: { kind: 'replicated', why: 'bookkeeping: one row per final day, read by the runner' },
  alert_log: { kind: 'replicated', why: 'bookkeeping: the alerts published, read by the runner' },
  schema_migrations: { kind: 'replicated', why: 'migrate() records each migration once for the whole cluster' },
};

/** Name of the per-node table behind a table: `<name>_local` when sharded, the name itself otherwise. */
export function localTableName(table: string): string {
  return PLACEMENT[table]?.kind === 'sharded' ? `${table}_local` : table;
}

/** Keeper path of a table's replication group: per shard for sharded tables, one group (`all`) otherwise. */
export function replicationPath(table: string): string {
  const shard = PLACEMENT[table]?.kind === 'sharded' ? '{shard}' : 'all';
  return `/clickhouse/tables/${shard}/{database}/${localTableName(table)}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A cluster name from remote_servers, or a macro such as {cluster}.
const CLUSTER_NAME = /^[A-Za-z0-9_.{}-]+$/;

/** `CLICKHOUSE_CLUSTER` set means cluster mode; the database is the path of `CLICKHOUSE_URL` when it has one. */
export function topologyFromEnv(env: { CLICKHOUSE_CLUSTER?: string | undefined; CLICKHOUSE_URL?: string | undefined }): Topology {
  if (!env.CLICKHOUSE_CLUSTER) return SINGLE_NODE;
  const database = env.CLICKHOUSE_URL ? new URL(env.CLICKHOUSE_URL).pathname.replace(/^\/+|\/+$/g, '') : '';
  return database ? { kind: 'cluster', cluster: env.CLICKHOUSE_CLUSTER, database } : { kind: 'cluster', cluster: env.CLICKHOUSE_CLUSTER };
}

function checkTopology(t: Extract<Topology, { kind: 'cluster' }>): void {
  if (!CLUSTER_NAME.test(t.cluster)) throw new Error(`invalid cluster name ${JSON.stringify(t.cluster)}`);
  if (t.database !== undefined && !IDENT.test(t.database)) throw new Error(`invalid database name ${JSON.stringify(t.database)}`);
}

const onCluster = (cluster: string) => `ON CLUSTER ${IDENT.test(cluster) ? cluster : `'${cluster}'`}`;

/** Index of the bracket closing the one at `open`, skipping quoted text. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw new Error('unbalanced brackets in statement');
}

/** Top-level comma-separated elements of a bracketed list's inside. */
function splitTopLevel(inside: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inside.length; i++) {
    const c = inside[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(inside.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inside.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

const ALTER_TABLE = /^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_.]*)\s+([\s\S]*)$/i;
const ADD_COLUMN = /^ADD\s+COLUMN\s/i;
const DROP_TABLE = /^DROP\s+TABLE\s+IF\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)$/i;
const CREATE_TABLE = /^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_.]*)/i;
const CREATE_MV = /^(CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?)([A-Za-z_][A-Za-z0-9_.]*)(\s+TO\s+)([A-Za-z_][A-Za-z0-9_.]*)(\s+AS\s)/i;

export interface ParsedCreateTable {
  table: string;
  ifNotExists: boolean;
  /** Where the table name starts and ends in the statement. */
  nameStart: number;
  nameEnd: number;
  /** The column list's inside (between its brackets). */
  columns: string;
  /** Engine name as written (`ReplacingMergeTree`), where it starts, and its arguments (`''` when none). */
  engine: string;
  engineStart: number;
  engineArgs: string;
  /** Everything after the engine and its arguments (PARTITION BY, ORDER BY, SETTINGS...). */
  rest: string;
}

/** Reads the parts of `CREATE TABLE [IF NOT EXISTS] name (columns) ENGINE = X[(args)] rest` that the rendering needs. */
export function parseCreateTable(statement: string): ParsedCreateTable {
  const head = CREATE_TABLE.exec(statement);
  if (!head?.[2]) throw new Error(`not a CREATE TABLE statement: ${statement.slice(0, 80)}`);
  const table = head[2];
  if (!IDENT.test(table)) throw new Error(`qualified table names are not supported: ${table}`);
  const nameEnd = head[0].length;
  const open = statement.indexOf('(', nameEnd);
  if (open < 0 || statement.slice(nameEnd, open).trim() !== '') {
    throw new Error(`CREATE TABLE ${table} must list its columns (CREATE TABLE ... AS is not supported)`);
  }
  const close = closingBracket(statement, open);
  const engineMatch = /^\s*ENGINE\s*=\s*([A-Za-z_][A-Za-z0-9_]*)/i.exec(statement.slice(close + 1));
  if (!engineMatch?.[1]) throw new Error(`CREATE TABLE ${table} has no ENGINE = ... after its columns`);
  const engine = engineMatch[1];
  const engineStart = close + 1 + engineMatch[0].length - engine.length;
  let after = engineStart + engine.length;
  let engineArgs = '';
  if (statement[after] === '(') {
    const argsClose = closingBracket(statement, after);
    engineArgs = statement.slice(after + 1, argsClose).trim();
    after = argsClose + 1;
  }
  return {
    table,
    ifNotExists: Boolean(head[1]),
    nameStart: nameEnd - table.length,
    nameEnd,
    columns: statement.slice(open + 1, close),
    engine,
    engineStart,
    engineArgs,
    rest: statement.slice(after),
  };
}

/** Column definitions of a column list, without its INDEX / PROJECTION / CONSTRAINT entries. */
export function columnDefinitions(columns: string): string[] {
  return splitTopLevel(columns).filter((c) => !/^(INDEX|PROJECTION|CONSTRAINT)\s/i.test(c));
}

function placementOf(name: string): Placement {
  const placement = PLACEMENT[name];
  if (!placement) throw new Error(`${name} has no placement for cluster mode: add it to PLACEMENT in packages/clickhouse/src/topology.ts`);
  return placement;
}

function renderTable(statement: string, t: Extract<Topology, { kind: 'cluster' }>): string[] {
  const p = parseCreateTable(statement);
  const placement = placementOf(p.table);
  if (placement.kind === 'view') throw new Error(`${p.table} is placed as a view but created as a table`);
  if (!/MergeTree$/.test(p.engine) || /^(Replicated|Shared)/.test(p.engine)) {
    throw new Error(`${p.table}: engine ${p.engine} cannot be rendered for a cluster (write a non-replicated *MergeTree)`);
  }
  const local = localTableName(p.table);
  const args = [`'${replicationPath(p.table)}'`, `'{replica}'`, ...(p.engineArgs ? [p.engineArgs] : [])].join(', ');
  const localDdl =
    statement.slice(0, p.nameStart) +
    `${local} ${onCluster(t.cluster)}` +
    statement.slice(p.nameEnd, p.engineStart) +
    `Replicated${p.engine}(${args})` +
    p.rest;
  if (placement.kind === 'replicated') return [localDdl];

  const database = t.database === undefined ? 'currentDatabase()' : `'${t.database}'`;
  const distributed = [
    `CREATE TABLE ${p.ifNotExists ? 'IF NOT EXISTS ' : ''}${p.table} ${onCluster(t.cluster)}`,
    '(',
    `    ${columnDefinitions(p.columns).join(',\n    ')}`,
    ')',
    `ENGINE = Distributed('${t.cluster}', ${database}, '${local}', ${placement.shardKey})`,
  ].join('\n');
  return [localDdl, distributed];
}

function renderView(statement: string, t: Extract<Topology, { kind: 'cluster' }>): string[] {
  const head = CREATE_MV.exec(statement);
  const [, create, view, to, target, as] = head ?? [];
  if (!create || !view || !to || !target || !as) {
    throw new Error(`materialized views must be written CREATE MATERIALIZED VIEW name TO table AS SELECT ...`);
  }
  if (!IDENT.test(view) || !IDENT.test(target)) throw new Error(`qualified names are not supported: ${view} TO ${target}`);
  if (placementOf(view).kind !== 'view') throw new Error(`${view} is a materialized view but not placed as one`);
  const targetPlacement = placementOf(target);
  if (targetPlacement.kind === 'view') throw new Error(`${view} writes to ${target}, which is a view`);

  const select = statement.slice(`${create}${view}${to}${target}${as}`.length);
  const sources: string[] = [];
  const renderedSelect = select.replace(/\b(FROM|JOIN)(\s+)([A-Za-z_][A-Za-z0-9_.]*)/gi, (_m, kw: string, ws: string, name: string) => {
    const source = placementOf(name);
    if (source.kind === 'view') throw new Error(`${view} reads from ${name}, which is a view`);
    sources.push(name);
    return `${kw}${ws}${localTableName(name)}`;
  });
  if (sources.length === 0) throw new Error(`${view}: no source table found after FROM`);
  for (const name of sources) {
    const source = placementOf(name);
    // A view fires on the node that received the insert into its source: a sharded target must be
    // keyed like its source (rows stay on their shard); a replicated source cannot feed a sharded target.
    if (targetPlacement.kind === 'sharded' && (source.kind !== 'sharded' || source.shardKey !== targetPlacement.shardKey)) {
      throw new Error(`${view}: ${target} is sharded by ${targetPlacement.shardKey} but ${name} is not`);
    }
  }
  const rendered = `${create}${view} ${onCluster(t.cluster)}${to}${localTableName(target)}${as}${renderedSelect}`;
  return [rendered];
}

/** A dropped table goes on every node, its Distributed table first when it is sharded. */
function renderDrop(table: string, t: Extract<Topology, { kind: 'cluster' }>): string[] {
  const names = placementOf(table).kind === 'sharded' ? [table, localTableName(table)] : [table];
  return names.map((name) => `DROP TABLE IF EXISTS ${name} ${onCluster(t.cluster)} SYNC`);
}

/** Clauses about a table's parts, which a Distributed table has none of. */
const PARTS_CLAUSE = /^(ADD\s+PROJECTION|MATERIALIZE\s+PROJECTION|MODIFY\s+SETTING)\s/i;

/**
 * `ALTER TABLE t ADD COLUMN ...[, ADD COLUMN ...]` on every node. A sharded table gets the column
 * on its local table first and then on its Distributed table, so the Distributed table never
 * names a column a shard lacks. `ADD PROJECTION`, `MATERIALIZE PROJECTION` and `MODIFY SETTING`
 * concern the parts, so they go to the table that stores them (a sharded table's local one)
 * only. Any other ALTER is refused: each kind needs its own thought (a DROP COLUMN on the
 * Distributed table first...).
 */
function renderAlter(table: string, clauses: string, t: Extract<Topology, { kind: 'cluster' }>): string[] {
  if (!IDENT.test(table)) throw new Error(`qualified table names are not supported: ${table}`);
  const parts = splitTopLevel(clauses);
  const columns = parts.length > 0 && parts.every((c) => ADD_COLUMN.test(c));
  const storage = parts.length > 0 && parts.every((c) => PARTS_CLAUSE.test(c));
  if (!columns && !storage) {
    throw new Error(
      `cluster mode renders ALTER TABLE ... ADD COLUMN, or ADD/MATERIALIZE PROJECTION and MODIFY SETTING, one kind per statement; extend renderForTopology for: ALTER TABLE ${table} ${clauses.slice(0, 60)}`,
    );
  }
  const placement = placementOf(table);
  if (placement.kind === 'view') throw new Error(`${table} is a view: it has no columns or parts to alter`);
  const sharded = placement.kind === 'sharded';
  const names = sharded ? (columns ? [localTableName(table), table] : [localTableName(table)]) : [table];
  return names.map((name) => `ALTER TABLE ${name} ${onCluster(t.cluster)} ${parts.join(', ')}`);
}

/**
 * The statement(s) to run for one migration statement. Single node: `[statement]`, unchanged.
 * Cluster: `CREATE TABLE` -> the Replicated local table (and a Distributed table for a sharded
 * one); `CREATE MATERIALIZED VIEW ... TO t AS SELECT ... FROM s` -> the view on every node, from
 * and to the local tables; `ALTER TABLE t ADD COLUMN ...` -> on every node (local, then Distributed); a projection or a
 * table setting -> on every node, on the table that stores the parts.
 */
export function renderForTopology(statement: string, topology: Topology): string[] {
  if (topology.kind === 'single') return [statement];
  checkTopology(topology);
  const text = statement.trim();
  if (CREATE_MV.test(text)) return renderView(text, topology);
  if (CREATE_TABLE.test(text)) return renderTable(text, topology);
  const drop = DROP_TABLE.exec(text);
  if (drop?.[1]) return renderDrop(drop[1], topology);
  const alter = ALTER_TABLE.exec(text);
  if (alter?.[1] && alter[2] !== undefined) return renderAlter(alter[1], alter[2], topology);
  throw new Error(
    `cluster mode renders CREATE TABLE, CREATE MATERIALIZED VIEW, ALTER TABLE and DROP TABLE IF EXISTS only; extend renderForTopology for: ${text.slice(0, 80)}`,
  );
}


/**
 * Query settings a cluster needs, for every client of it (`{}` on a single node):
 * - `distributed_foreground_insert`: an INSERT into a Distributed table returns once the rows are
 *   on their shards, not queued on the node that took it; ingest writes the dirty mark after the
 *   rows, and the rollups rely on "marked means visible".
 * - `prefer_localhost_replica = 0` + `load_balancing = 'first_or_random'`: ingest's writes and the
 *   rollups' reads go to the same (first healthy) replica of each shard, whichever node they talk to.
 * - `distributed_product_mode = 'local'`: `IN (SELECT ... FROM <sharded>)` inside a query on a
 *   sharded table runs against the local table of each shard; correct for the co-sharded
 *   letter_despatches / counted_despatches queries of the rollups.
 * - `optimize_distributed_group_by_sharding_key` (which needs `optimize_skip_unused_shards`):
 *   GROUP BY notification_id finishes on the shards. Valid because every row was inserted through
 *   the Distributed table (or the view on the shard's local table), i.e. placed by the shard key.
 * - `alter_sync = 2`: an ALTER (the DROP PARTITION of a cycle's staged rows, after the cycle is
 *   recorded done; a migration's ADD COLUMN) returns once every replica has run it, so no replica
 *   keeps staged rows of a finished cycle, or lacks a column, after the statement returns.
 */
export function clusterSettings(topology: Topology): ClickHouseSettings {
  if (topology.kind === 'single') return {};
  return {
    distributed_foreground_insert: 1,
    prefer_localhost_replica: 0,
    load_balancing: 'first_or_random',
    distributed_product_mode: 'local',
    optimize_distributed_group_by_sharding_key: 1,
    optimize_skip_unused_shards: 1,
    alter_sync: '2',
  };
}
