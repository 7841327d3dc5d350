// Cluster rendering of the migrations (topology.ts). No ClickHouse cluster can run here, so the
// cluster DDL is checked as text, parsed by the embedded engine (formatQuery), and, with the
// replication stripped off again, executed on the embedded engine. Single-node rendering is the
// identity and still migrates a real embedded engine (this file's own temp folder, vitest 'forks').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickhouse, queryRows, type Clickhouse } from '../src/client.ts';
import { loadMigrations, migrate } from '../src/migrate.ts';
import { LETTER_EVENT_ROW } from './rows.ts';
import {
  PLACEMENT,
  SINGLE_NODE,
  clusterSettings,
  columnDefinitions,
  parseCreateTable,
  renderForTopology,
  topologyFromEnv,
  type Topology,
} from '../src/topology.ts';

const CLUSTER = 'notify_cluster';
const cluster: Topology = { kind: 'cluster', cluster: CLUSTER };
const migrations = loadMigrations();
const allStatements = migrations.flatMap((m) => m.statements);
// The tables and views; migration 0005 also drops the facts of 0003 before creating them anew.
const statements = allStatements.filter((s) => s.startsWith('CREATE'));
const drops = allStatements.filter((s) => s.startsWith('DROP'));
const rendered = statements.map((s) => renderForTopology(s, cluster));
const all = rendered.flat();

// Written by hand from migrations/*.sql and the placement decided in topology.ts.
const SHARD_KEYS: Record<string, string> = {
  notification_events: 'cityHash64(notification_id)',
  letter_events: 'cityHash64(notification_id)',
  letter_despatches: 'cityHash64(notification_id)',
  inbound_sms: 'cityHash64(inbound_sms_id)',
  notification_changes: 'cityHash64(notification_id)',
  despatch_changes: 'cityHash64(notification_id)',
  counted_notifications: 'cityHash64(notification_id)',
  counted_despatches: 'cityHash64(notification_id)',
};
const VIEWS = ['letter_events_mv', 'notification_changes_mv', 'notification_changes_v2_mv', 'letter_despatches_mv', 'fact_notification_status_month_mv', 'fact_billing_month_mv'];
const all_ = (t: string) => `'/clickhouse/tables/all/{database}/${t}', '{replica}'`;
const shard_ = (t: string) => `'/clickhouse/tables/{shard}/{database}/${t}_local', '{replica}'`;
const ENGINES: Record<string, string> = {
  notification_events: `ReplicatedReplacingMergeTree(${shard_('notification_events')})`,
  letter_events: `ReplicatedReplacingMergeTree(${shard_('letter_events')})`,
  letter_despatches: `ReplicatedReplacingMergeTree(${shard_('letter_despatches')})`,
  inbound_sms: `ReplicatedReplacingMergeTree(${shard_('inbound_sms')})`,
  ref_organisations: `ReplicatedReplacingMergeTree(${all_('ref_organisations')}, version, is_deleted)`,
  ref_services: `ReplicatedReplacingMergeTree(${all_('ref_services')}, version, is_deleted)`,
  ref_annual_billing: `ReplicatedReplacingMergeTree(${all_('ref_annual_billing')}, version, is_deleted)`,
  ref_sms_rates: `ReplicatedReplacingMergeTree(${all_('ref_sms_rates')}, version, is_deleted)`,
  ref_letter_rates: `ReplicatedReplacingMergeTree(${all_('ref_letter_rates')}, version, is_deleted)`,
  ref_api_keys: `ReplicatedReplacingMergeTree(${all_('ref_api_keys')}, version, is_deleted)`,
  fact_notification_status: `ReplicatedSummingMergeTree(${all_('fact_notification_status')})`,
  fact_billing: `ReplicatedSummingMergeTree(${all_('fact_billing')})`,
  fact_letter_despatch: `ReplicatedSummingMergeTree(${all_('fact_letter_despatch')})`,
  fact_notification_status_month: `ReplicatedSummingMergeTree(${all_('fact_notification_status_month')})`,
  fact_billing_month: `ReplicatedSummingMergeTree(${all_('fact_billing_month')})`,
  fact_delivery_latency: `ReplicatedSummingMergeTree(${all_('fact_delivery_latency')})`,
  notification_changes: `ReplicatedMergeTree(${shard_('notification_changes')})`,
  despatch_changes: `ReplicatedMergeTree(${shard_('despatch_changes')})`,
  counted_notifications: `ReplicatedReplacingMergeTree(${shard_('counted_notifications')}, version)`,
  counted_despatches: `ReplicatedReplacingMergeTree(${shard_('counted_despatches')}, version)`,
  rollup_staged_snapshots: `ReplicatedMergeTree(${all_('rollup_staged_snapshots')})`,
  rollup_staged_despatches: `ReplicatedMergeTree(${all_('rollup_staged_despatches')})`,
  rollup_staged_status: `ReplicatedMergeTree(${all_('rollup_staged_status')})`,
  rollup_staged_billing: `ReplicatedMergeTree(${all_('rollup_staged_billing')})`,
  rollup_staged_despatch: `ReplicatedMergeTree(${all_('rollup_staged_despatch')})`,
  rollup_staged_latency: `ReplicatedMergeTree(${all_('rollup_staged_latency')})`,
  rollup_cycles: `ReplicatedReplacingMergeTree(${all_('rollup_cycles')}, updated_at)`,
  dirty_days: `ReplicatedReplacingMergeTree(${all_('dirty_days')}, marked_at)`,
  day_builds: `ReplicatedReplacingMergeTree(${all_('day_builds')}, started_at)`,
  pipeline_state: `ReplicatedReplacingMergeTree(${all_('pipeline_state')}, updated_at)`,
  restatement_baselines: `ReplicatedReplacingMergeTree(${all_('restatement_baselines')}, checked_at)`,
  ref_spend_thresholds: `ReplicatedReplacingMergeTree(${all_('ref_spend_thresholds')}, version, is_deleted)`,
  alert_log: `ReplicatedReplacingMergeTree(${all_('alert_log')}, at)`,
};
const TABLES = Object.keys(ENGINES);

const nameOf = (sql: string) => /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (\w+)/.exec(sql)?.[1] ?? '';
const engineOf = (sql: string) => /\nENGINE = (.*)$/m.exec(sql)?.[1] ?? '';
const byName = new Map(all.map((s) => [nameOf(s), s]));
const get = (name: string) => {
  const s = byName.get(name);
  if (!s) throw new Error(`no rendered statement creates ${name}`);
  return s;
};

/** The inverse of the cluster rendering for local tables and views: no ON CLUSTER, no Keeper path. */
const decluster = (sql: string) =>
  sql
    .replace(` ON CLUSTER ${CLUSTER}`, '')
    .replace(/Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(?:, ([^)]*))?\)/, (_m, engine: string, args?: string) =>
      args ? `${engine}(${args})` : engine,
    );

describe('single node: the statements run as written', () => {
  it('renders every migration statement to itself, byte for byte', () => {
    for (const s of statements) {
      const out = renderForTopology(s, SINGLE_NODE);
      expect(out).toHaveLength(1);
      expect(out[0]).toBe(s);
    }
    expect(renderForTopology('anything at all; even not SQL', { kind: 'single' })).toEqual(['anything at all; even not SQL']);
  });

  it('needs no cluster settings', () => {
    expect(clusterSettings(SINGLE_NODE)).toEqual({});
    for (const s of drops) expect(renderForTopology(s, SINGLE_NODE)).toEqual([s]);
  });
});

describe('placement', () => {
  it('places every table and view the migrations create, and schema_migrations, and nothing else', () => {
    // 0003 and 0005 both create the fact tables (0005 drops them first).
    const created = [...new Set(statements.map(nameOf))].sort();
    expect(created).toEqual([...TABLES, ...VIEWS].sort());
    expect(Object.keys(PLACEMENT).sort()).toEqual([...created, 'schema_migrations'].sort());
  });

  it('shards the raw layer by notification (inbound sms by message) and replicates the rest everywhere', () => {
    const sharded = Object.entries(PLACEMENT).flatMap(([t, p]) => (p.kind === 'sharded' ? [[t, p.shardKey]] : []));
    expect(Object.fromEntries(sharded)).toEqual(SHARD_KEYS);
    const replicated = Object.entries(PLACEMENT).flatMap(([t, p]) => (p.kind === 'replicated' ? [t] : []));
    expect(replicated.sort()).toEqual([...TABLES.filter((t) => !(t in SHARD_KEYS)), 'schema_migrations'].sort());
    for (const v of VIEWS) expect(PLACEMENT[v]?.kind).toBe('view');
  });
});

describe('cluster rendering of every migration statement', () => {
  it('gives a local table per statement, plus a Distributed table per sharded table', () => {
    expect(statements).toHaveLength(42);
    expect(all).toHaveLength(42 + Object.keys(SHARD_KEYS).length);
    expect([...byName.keys()].sort()).toEqual(
      [...TABLES.map((t) => (t in SHARD_KEYS ? `${t}_local` : t)), ...Object.keys(SHARD_KEYS), ...VIEWS].sort(),
    );
  });

  it('puts ON CLUSTER right after the name of every table and view', () => {
    for (const s of all) {
      expect(s).toMatch(new RegExp(`^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS \\w+ ON CLUSTER ${CLUSTER}\\s`));
      expect(s.match(/ON CLUSTER/g)).toHaveLength(1);
    }
  });

  it('gives every local table its Replicated engine with the Keeper path, {replica} and the original engine arguments', () => {
    for (const t of TABLES) {
      const local = t in SHARD_KEYS ? `${t}_local` : t;
      expect(engineOf(get(local)), t).toBe(ENGINES[t]);
    }
    // No MergeTree is left unreplicated.
    for (const s of all) {
      if (s.startsWith('CREATE TABLE')) expect(engineOf(s)).toMatch(/^(Replicated\w*MergeTree|Distributed)\(/);
    }
  });

  it('changes nothing else: columns, indexes, PARTITION BY and ORDER BY are kept', () => {
    for (const [i, s] of statements.entries()) {
      const [local] = rendered[i] ?? [];
      expect(decluster(local ?? '').replace(/(\w+)_local\b/g, '$1')).toBe(s);
    }
  });

  it('adds a Distributed table under the original name for each sharded table, keyed as chosen', () => {
    for (const [t, key] of Object.entries(SHARD_KEYS)) {
      const dist = get(t);
      expect(engineOf(dist)).toBe(`Distributed('${CLUSTER}', currentDatabase(), '${t}_local', ${key})`);
      // Same columns as the local table, without its data-skipping indexes.
      const local = parseCreateTable(decluster(get(`${t}_local`)));
      const cols = columnDefinitions(parseCreateTable(decluster(dist)).columns);
      expect(cols).toEqual(columnDefinitions(local.columns));
      expect(cols.join('\n')).not.toMatch(/INDEX/);
      // The shard key's column is a column of the table.
      const keyColumn = /cityHash64\((\w+)\)/.exec(key)?.[1] ?? '';
      expect(cols.map((c) => c.split(/\s+/)[0])).toContain(keyColumn);
    }
    expect(get('letter_despatches_local')).toContain('INDEX despatched_on_idx despatched_on TYPE minmax GRANULARITY 1');
  });

  it('makes the materialized view read and write the local tables on each node', () => {
    const mv = get('letter_events_mv');
    expect(mv).toMatch(new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS letter_events_mv ON CLUSTER ${CLUSTER} TO letter_events_local AS\\n`));
    expect(mv).toMatch(/\nFROM notification_events_local\n/);
    expect(mv).toContain("WHERE notification_type = 'letter'");
    expect(mv).not.toMatch(/\b(FROM|TO) (notification_events|letter_events)\b(?!_local)/);
  });

  it('renders schema_migrations replicated everywhere, and records migrations the same way as on a single node', async () => {
    const calls = async (topology: Topology) => {
      const commands: string[] = [];
      const inserts: unknown[] = [];
      const fake = {
        command: async ({ query }: { query: string }) => void commands.push(query),
        query: async () => ({ json: async () => [] }),
        insert: async (p: { table: string; values: unknown[] }) => void inserts.push([p.table, p.values]),
      } as unknown as ClickHouseClient;
      const result = await migrate(fake, migrations, topology);
      return { commands, inserts, result };
    };
    const single = await calls(SINGLE_NODE);
    const onCluster = await calls(cluster);
    expect(onCluster.result).toEqual(single.result);
    expect(onCluster.inserts).toEqual(single.inserts);
    expect(single.commands.slice(1)).toEqual(allStatements);
    expect(onCluster.commands.slice(1)).toEqual(allStatements.flatMap((s) => renderForTopology(s, cluster)));
    expect(onCluster.commands[0]).toMatch(
      new RegExp(`^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER ${CLUSTER}\\s`),
    );
    expect(onCluster.commands[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}', applied_at) ORDER BY version",
    );
  });

  it('names the database when given, and quotes a cluster macro', () => {
    const out = renderForTopology(statements[0] ?? '', { kind: 'cluster', cluster: '{cluster}', database: 'notify' });
    expect(out[0]).toContain("notification_events_local ON CLUSTER '{cluster}'\n(");
    expect(engineOf(out[1] ?? '')).toBe("Distributed('{cluster}', 'notify', 'notification_events_local', cityHash64(notification_id))");
  });

  it('refuses what it cannot place rather than guessing', () => {
    const t = cluster;
    expect(() => renderForTopology('CREATE TABLE IF NOT EXISTS mystery (x UInt8) ENGINE = MergeTree ORDER BY x', t)).toThrow(
      /mystery has no placement/,
    );
    expect(() => renderForTopology('ALTER TABLE fact_billing DROP COLUMN x', t)).toThrow(/ALTER TABLE \.\.\. ADD COLUMN, or ADD\/MATERIALIZE PROJECTION/);
    expect(() => renderForTopology('TRUNCATE TABLE fact_billing', t)).toThrow(/CREATE TABLE, CREATE MATERIALIZED VIEW, ALTER TABLE and DROP TABLE IF EXISTS only/);
    expect(renderForTopology('DROP TABLE IF EXISTS fact_billing', t)).toEqual([`DROP TABLE IF EXISTS fact_billing ON CLUSTER ${CLUSTER} SYNC`]);
    expect(renderForTopology('DROP TABLE IF EXISTS notification_events', t)).toEqual([
      `DROP TABLE IF EXISTS notification_events ON CLUSTER ${CLUSTER} SYNC`,
      `DROP TABLE IF EXISTS notification_events_local ON CLUSTER ${CLUSTER} SYNC`,
    ]);
    expect(() => renderForTopology('DROP TABLE IF EXISTS mystery', t)).toThrow(/mystery has no placement/);
    expect(() => renderForTopology('CREATE TABLE IF NOT EXISTS dirty_days (x UInt8) ENGINE = Memory', t)).toThrow(/engine Memory/);
    expect(() => renderForTopology('CREATE TABLE IF NOT EXISTS dirty_days AS day_builds', t)).toThrow(/must list its columns/);
    expect(() =>
      renderForTopology(
        'CREATE MATERIALIZED VIEW IF NOT EXISTS letter_events_mv TO letter_events AS SELECT * FROM ref_services',
        t,
      ),
    ).toThrow(/letter_events is sharded by .* but ref_services is not/);
    expect(() => renderForTopology(statements[0] ?? '', { kind: 'cluster', cluster: "c'; DROP TABLE x; --" })).toThrow(/invalid cluster name/);
    expect(() => renderForTopology(statements[0] ?? '', { kind: 'cluster', cluster: 'c', database: 'a.b' })).toThrow(/invalid database/);
  });

  describe('ALTER TABLE ... ADD COLUMN', () => {
    const add = "ADD COLUMN IF NOT EXISTS channel LowCardinality(Nullable(String)) DEFAULT NULL AFTER postage";
    it('adds a replicated table\'s column on every node', () => {
      expect(renderForTopology(`ALTER TABLE fact_billing ${add}`, cluster)).toEqual([`ALTER TABLE fact_billing ON CLUSTER ${CLUSTER} ${add}`]);
    });

    it('adds a sharded table\'s column to its local table first, then to its Distributed table', () => {
      const two = `${add}, ADD COLUMN pages UInt32 DEFAULT 0`;
      expect(renderForTopology(`ALTER TABLE notification_events\n  ${two}`, cluster)).toEqual([
        `ALTER TABLE notification_events_local ON CLUSTER ${CLUSTER} ${two}`,
        `ALTER TABLE notification_events ON CLUSTER ${CLUSTER} ${two}`,
      ]);
    });

    it('is unchanged on a single node, and refuses what it cannot place', () => {
      expect(renderForTopology(`ALTER TABLE notification_events ${add}`, SINGLE_NODE)).toEqual([`ALTER TABLE notification_events ${add}`]);
      expect(() => renderForTopology(`ALTER TABLE mystery ${add}`, cluster)).toThrow(/mystery has no placement/);
      expect(() => renderForTopology(`ALTER TABLE letter_events_mv ${add}`, cluster)).toThrow(/is a view/);
      expect(() => renderForTopology(`ALTER TABLE notification_events ${add}, DROP COLUMN postage`, cluster)).toThrow(/one kind per statement/);
      expect(() => renderForTopology(`ALTER TABLE notification_events ON CLUSTER x ${add}`, cluster)).toThrow(/one kind per statement/);
    });
  });

  describe('ALTER TABLE ... ADD / MATERIALIZE PROJECTION, MODIFY SETTING', () => {
    const projection = 'ADD PROJECTION IF NOT EXISTS p (SELECT day, sum(letters) GROUP BY day)';
    it('goes to a replicated table on every node', () => {
      expect(renderForTopology(`ALTER TABLE fact_billing ${projection}`, cluster)).toEqual([`ALTER TABLE fact_billing ON CLUSTER ${CLUSTER} ${projection}`]);
      expect(renderForTopology("ALTER TABLE fact_billing MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'", cluster)).toEqual([
        `ALTER TABLE fact_billing ON CLUSTER ${CLUSTER} MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'`,
      ]);
    });

    it('goes to a sharded table\'s local table only: its Distributed table stores no parts', () => {
      expect(renderForTopology('ALTER TABLE notification_events MATERIALIZE PROJECTION p', cluster)).toEqual([
        `ALTER TABLE notification_events_local ON CLUSTER ${CLUSTER} MATERIALIZE PROJECTION p`,
      ]);
    });

    it('is never mixed with a column in one statement, and refuses a view', () => {
      const add = 'ADD COLUMN pages UInt32 DEFAULT 0';
      expect(() => renderForTopology(`ALTER TABLE notification_events ${add}, ${projection}`, cluster)).toThrow(/one kind per statement/);
      expect(() => renderForTopology(`ALTER TABLE letter_events_mv ${projection}`, cluster)).toThrow(/is a view/);
    });

  });

  it('derives the topology from the environment', () => {
    expect(topologyFromEnv({})).toEqual(SINGLE_NODE);
    expect(topologyFromEnv({ CLICKHOUSE_URL: 'http://h:8123/notify' })).toEqual(SINGLE_NODE);
    expect(topologyFromEnv({ CLICKHOUSE_CLUSTER: 'c1', CLICKHOUSE_URL: 'http://u:p@h:8123/notify' })).toEqual({
      kind: 'cluster',
      cluster: 'c1',
      database: 'notify',
    });
    expect(topologyFromEnv({ CLICKHOUSE_CLUSTER: 'c1', CLICKHOUSE_URL: 'http://h:8123' })).toEqual({ kind: 'cluster', cluster: 'c1' });
  });

  it('asks for the settings a cluster needs', () => {
    expect(clusterSettings(cluster)).toMatchObject({ distributed_foreground_insert: 1, distributed_product_mode: 'local' });
  });
});

describe('on the embedded engine', () => {
  let dir: string;
  let ch: Clickhouse;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-topology-test-'));
    ch = await openClickhouse({ path: dir });
  });

  afterAll(async () => {
    await ch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tables = async (database?: string) =>
    (
      await queryRows<{ name: string }>(
        ch.client,
        `SELECT name FROM system.tables WHERE database = ${database ? '{database: String}' : 'currentDatabase()'} ORDER BY name`,
        database ? { database } : {},
      )
    ).map((r) => r.name);

  it('single-node rendering still migrates a fresh engine', async () => {
    expect(await migrate(ch.client, loadMigrations(), SINGLE_NODE)).toEqual({ applied: migrations.map((m) => m.name), skipped: [] });
    // Migration 0007 replaced the first change-log view with notification_changes_v2_mv; 0011
    // dropped letter_events and its view.
    const dropped = ['notification_changes_mv', 'letter_events', 'letter_events_mv'];
    expect(await tables()).toEqual([...TABLES, ...VIEWS, 'schema_migrations'].filter((t) => !dropped.includes(t)).sort());
    expect(await migrate(ch.client)).toEqual({ applied: [], skipped: migrations.map((m) => m.name) });
  });

  it('parses every cluster statement (ON CLUSTER, Replicated engines, Distributed)', async () => {
    for (const s of all) {
      const [row] = await queryRows<{ f: string }>(ch.client, 'SELECT formatQuery({q: String}) AS f', { q: s });
      const f = row?.f ?? '';
      expect(f, s).toMatch(new RegExp(`ON CLUSTER ${CLUSTER}`));
      expect(f).toMatch(/ENGINE = (Replicated\w*MergeTree|Distributed)\(|TO \w+_local|TO fact_\w+_month\b/);
    }
    // The check has teeth: a broken statement does not parse.
    await expect(
      queryRows(ch.client, 'SELECT formatQuery({q: String}) AS f', { q: get('fact_billing').replace("'{replica}')", "'{replica}'") }),
    ).rejects.toThrow(/Syntax error/);
  });

  it('parses the rendered ADD COLUMN, and (the cluster taken off) adds the column', async () => {
    const add = 'ADD COLUMN IF NOT EXISTS channel LowCardinality(Nullable(String)) AFTER postage';
    for (const sql of renderForTopology(`ALTER TABLE notification_events ${add}`, cluster)) {
      const [row] = await queryRows<{ f: string }>(ch.client, 'SELECT formatQuery({q: String}) AS f', { q: sql });
      expect(row?.f, sql).toMatch(new RegExp(`^ALTER TABLE notification_events(_local)? ON CLUSTER ${CLUSTER}\\s+\\(?ADD COLUMN IF NOT EXISTS \x60channel\x60`));
    }
    const [onFacts] = renderForTopology(`ALTER TABLE fact_billing ${add}`, cluster);
    await ch.client.command({ query: decluster(onFacts ?? '') });
    const cols = await queryRows<{ name: string; type: string }>(
      ch.client,
      "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'fact_billing' AND name IN ('postage', 'channel') ORDER BY position",
    );
    expect(cols).toEqual([{ name: 'postage', type: 'LowCardinality(String)' }, { name: 'channel', type: 'LowCardinality(Nullable(String))' }]);
  });

  it('knows every cluster setting by name and accepts its value', async () => {
    const settings = Object.entries(clusterSettings(cluster));
    expect(settings.length).toBeGreaterThan(0);
    const literal = (v: unknown) => (typeof v === 'string' && !/^\d+$/.test(v) ? `'${v}'` : String(v));
    const [row] = await queryRows<{ ok: number }>(
      ch.client,
      `SELECT 1 AS ok SETTINGS ${settings.map(([k, v]) => `${k} = ${literal(v)}`).join(', ')}`,
    );
    expect(Number(row?.ok)).toBe(1);
    await expect(queryRows(ch.client, 'SELECT 1 SETTINGS no_such_setting_here = 1')).rejects.toThrow();
  });

  it('runs the cluster schema with replication stripped: the change log\'s view fills notification_changes_local, a fact write sums', async () => {
    await ch.client.command({ query: 'CREATE DATABASE IF NOT EXISTS cluster_sim' });
    await ch.client.command({ query: 'USE cluster_sim' });
    try {
      for (const s of allStatements) {
        // A created table's local twin alone (its Distributed table needs the cluster); a drop, both.
        const [local, ...rest] = renderForTopology(s, cluster);
        for (const sql of s.startsWith('DROP') ? [local, ...rest] : [local]) await ch.client.command({ query: decluster(sql ?? '') });
      }
      expect(await tables('cluster_sim')).not.toContain('letter_events_local');
      await ch.client.insert({
        table: 'notification_events_local',
        format: 'JSONEachRow',
        values: [LETTER_EVENT_ROW],
      });
      const logged = await queryRows<{ n: number; postage: string }>(
        ch.client,
        'SELECT count() AS n, any(postage) AS postage FROM notification_changes_local',
      );
      expect(logged.map((r) => [Number(r.n), r.postage])).toEqual([[1, 'second']]);

      // The facts are signed sums: two rows of one key are one fact.
      const row = { day: '2024-04-16', postage: 'second', cost_threshold: 'sorted', sheets: 1, rate: '0.5', letters: 3 };
      await ch.client.insert({ table: 'fact_letter_despatch', format: 'JSONEachRow', values: [row, { ...row, letters: -1 }] });
      await ch.client.command({ query: 'OPTIMIZE TABLE fact_letter_despatch FINAL' });
      const facts = await queryRows<{ letters: number }>(ch.client, 'SELECT letters FROM fact_letter_despatch');
      expect(facts.map((r) => Number(r.letters))).toEqual([2]);
    } finally {
      await ch.client.command({ query: 'USE default' });
    }
    expect(await tables()).toContain('notification_changes_v2_mv');
  });
});
