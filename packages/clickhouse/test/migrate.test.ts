// Migrations on a fresh embedded engine (chdb) in this file's own temp folder.
// The engine is a process singleton: this file opens it once (vitest pool 'forks').
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickhouse, queryRows, type Clickhouse } from '../src/client.ts';
import { loadMigrations, migrate, splitStatements, type Migration } from '../src/migrate.ts';
import { LETTER_EVENT_ROW } from './rows.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

// Written by hand from migrations/*.sql.
const MIGRATION_NAMES = ['0001_raw_layer', '0002_reference_data', '0003_facts', '0004_pipeline_state', '0005_incremental_rollups', '0006_monthly_facts', '0007_delivery_latency', '0008_restatements', '0009_alerts', '0010_billing_day_projection', '0011_drop_letter_events', '0012_merge_selector_base'];
const EXPECTED_TABLES = [
  'alert_log',
  'counted_despatches',
  'counted_notifications',
  'day_builds',
  'despatch_changes',
  'dirty_days',
  'fact_billing',
  'fact_billing_month',
  'fact_billing_month_mv',
  'fact_delivery_latency',
  'fact_letter_despatch',
  'fact_notification_status',
  'fact_notification_status_month',
  'fact_notification_status_month_mv',
  'inbound_sms',
  'letter_despatches',
  'letter_despatches_mv',
  'notification_changes',
  'notification_changes_v2_mv',
  'notification_events',
  'pipeline_state',
  'ref_annual_billing',
  'ref_api_keys',
  'ref_letter_rates',
  'ref_organisations',
  'ref_services',
  'ref_sms_rates',
  'ref_spend_thresholds',
  'restatement_baselines',
  'rollup_cycles',
  'rollup_staged_billing',
  'rollup_staged_despatch',
  'rollup_staged_despatches',
  'rollup_staged_latency',
  'rollup_staged_snapshots',
  'rollup_staged_status',
  'schema_migrations',
];

interface TableRow {
  name: string;
  create_table_query: string;
}

let dir: string;
let ch: Clickhouse;

const schema = () =>
  queryRows<TableRow>(
    ch.client,
    'SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name',
  );

const recorded = () =>
  queryRows<{ version: number; name: string; checksum: string }>(
    ch.client,
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-migrate-test-'));
  ch = await openClickhouse({ path: dir });
});

afterAll(async () => {
  await ch?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('loadMigrations', () => {
  it('finds the numbered files in order with their statements and checksums', () => {
    const ms = loadMigrations();
    expect(ms.map((m) => m.name)).toEqual(MIGRATION_NAMES);
    expect(ms.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Statement counts per file, counted by hand.
    expect(ms.map((m) => m.statements.length)).toEqual([5, 6, 3, 3, 18, 4, 7, 1, 2, 3, 2, 6]);
    for (const m of ms) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, `${m.name}.sql`), 'utf8');
      expect(m.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      for (const s of m.statements) {
        // Each runs again harmlessly: a setting set again, a projection materialized again.
        expect(s).toMatch(/^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|DROP TABLE IF EXISTS|ALTER TABLE \w+ (ADD (COLUMN|PROJECTION) IF NOT EXISTS|MODIFY SETTING|MATERIALIZE PROJECTION)) /);
        expect(s).not.toMatch(/;\s*$/);
        expect(s).not.toMatch(/^\s*--/m);
      }
    }
  });
});

describe('migrate on a fresh engine', () => {
  it('the engine starts empty', async () => {
    expect(await schema()).toEqual([]);
  });

  it('the first run applies every migration', async () => {
    const result = await migrate(ch.client);
    expect(result).toEqual({ applied: MIGRATION_NAMES, skipped: [] });
    expect((await schema()).map((t) => t.name)).toEqual(EXPECTED_TABLES);
    const rows = await recorded();
    expect(rows.map((r) => [Number(r.version), r.name])).toEqual([
      [1, '0001_raw_layer'],
      [2, '0002_reference_data'],
      [3, '0003_facts'],
      [4, '0004_pipeline_state'],
      [5, '0005_incremental_rollups'],
      [6, '0006_monthly_facts'],
      [7, '0007_delivery_latency'],
      [8, '0008_restatements'],
      [9, '0009_alerts'],
      [10, '0010_billing_day_projection'],
      [11, '0011_drop_letter_events'],
      [12, '0012_merge_selector_base'],
    ]);
    const files = loadMigrations();
    expect(rows.map((r) => r.checksum)).toEqual(files.map((m) => m.checksum));
  });

  it('a second run applies none and leaves the schema unchanged', async () => {
    const before = await schema();
    const result = await migrate(ch.client);
    expect(result).toEqual({ applied: [], skipped: MIGRATION_NAMES });
    expect(await schema()).toEqual(before);
    // No second record of any migration.
    expect(await recorded()).toHaveLength(12);
  });

  it('every statement of every migration can run again directly (idempotent DDL)', async () => {
    const before = await schema();
    for (const m of loadMigrations()) {
      for (const statement of m.statements) {
        await expect(ch.client.command({ query: statement })).resolves.toBeDefined();
      }
    }
    expect(await schema()).toEqual(before);
    expect(await recorded()).toHaveLength(12);
  });

  it('the tables accept rows after migrating (the change log\'s view feeds notification_changes)', async () => {
    await ch.client.insert({
      table: 'notification_events',
      format: 'JSONEachRow',
      values: [LETTER_EVENT_ROW],
    });
    const logged = await queryRows<{ n: number; postage: string; billable_units: number }>(
      ch.client,
      'SELECT count() AS n, any(postage) AS postage, any(billable_units) AS billable_units FROM notification_changes',
    );
    expect(logged.map((r) => [Number(r.n), r.postage, Number(r.billable_units)])).toEqual([[1, 'second', 2]]);
  });

  it('the tables each ingest write or cycle adds a part to merge about 10 parts at once; the facts keep the default', async () => {
    const bases = await queryRows<{ name: string; base: string }>(
      ch.client,
      "SELECT name, extract(engine_full, 'merge_selector_base = (\\d+)') AS base FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name",
    );
    const tuned = bases.filter((t) => t.base !== '').map((t) => [t.name, t.base]);
    expect(tuned).toEqual(
      ['counted_despatches', 'counted_notifications', 'despatch_changes', 'letter_despatches', 'notification_changes', 'notification_events'].map((n) => [n, '10']),
    );
  });

  it('a migration whose file changed after it was applied is refused, and nothing after it runs', async () => {
    const before = await schema();
    const files = loadMigrations();
    const tampered: Migration[] = [
      ...files.map((m) => (m.version === 2 ? { ...m, checksum: `tampered-${m.checksum}` } : m)),
      {
        version: 10,
        name: '0010_should_not_run',
        statements: ['CREATE TABLE IF NOT EXISTS should_not_exist (x UInt8) ENGINE = MergeTree ORDER BY x'],
        checksum: 'c5',
      },
    ];
    // Make sure the checksum of 0002 really differs from the recorded one.
    const recordedChecksum = (await recorded()).find((r) => Number(r.version) === 2)?.checksum;
    expect(tampered[1]?.checksum).not.toBe(recordedChecksum);

    await expect(migrate(ch.client, tampered)).rejects.toThrow(/0002_reference_data/);
    await expect(migrate(ch.client, tampered)).rejects.toThrow(/changed/);
    expect(await schema()).toEqual(before);
    expect(await recorded()).toHaveLength(12);
  });

  it('a changed statement list with a changed checksum is refused too', async () => {
    const files = loadMigrations();
    const edited = files.map((m) =>
      m.version === 4
        ? {
            ...m,
            statements: [...m.statements, 'CREATE TABLE IF NOT EXISTS sneaky (x UInt8) ENGINE = MergeTree ORDER BY x'],
            checksum: createHash('sha256').update('edited').digest('hex'),
          }
        : m,
    );
    await expect(migrate(ch.client, edited)).rejects.toThrow(/0004_pipeline_state/);
    const names = (await schema()).map((t) => t.name);
    expect(names).not.toContain('sneaky');
  });

  it('a new migration is applied once and recorded', async () => {
    const next: Migration[] = [
      ...loadMigrations(),
      {
        version: 13,
        name: '0013_extra',
        statements: [
          'CREATE TABLE IF NOT EXISTS extra_a (x UInt8) ENGINE = MergeTree ORDER BY x',
          'CREATE TABLE IF NOT EXISTS extra_b (y String) ENGINE = MergeTree ORDER BY y',
        ],
        checksum: 'checksum-of-0013',
      },
    ];
    expect(await migrate(ch.client, next)).toEqual({ applied: ['0013_extra'], skipped: MIGRATION_NAMES });
    expect(await migrate(ch.client, next)).toEqual({ applied: [], skipped: [...MIGRATION_NAMES, '0013_extra'] });
    const names = (await schema()).map((t) => t.name);
    expect(names).toEqual([...EXPECTED_TABLES, 'extra_a', 'extra_b'].sort());
    expect((await recorded()).map((r) => [Number(r.version), r.name, r.checksum])).toContainEqual([13, '0013_extra', 'checksum-of-0013']);
  });

  it('a migration interrupted half-way is simply run again', async () => {
    const half: Migration = {
      version: 14,
      name: '0014_half',
      statements: [
        'CREATE TABLE IF NOT EXISTS half_a (x UInt8) ENGINE = MergeTree ORDER BY x',
        'CREATE TABLE IF NOT EXISTS half_b (x UInt8) ENGINE = MergeTree ORDER BY x',
      ],
      checksum: 'checksum-of-0014',
    };
    // The first statement ran, then the process died before the migration was recorded.
    await ch.client.command({ query: half.statements[0] as string });
    const result = await migrate(ch.client, [...loadMigrations(), half]);
    expect(result.applied).toEqual(['0014_half']);
    const names = (await schema()).map((t) => t.name);
    expect(names).toContain('half_a');
    expect(names).toContain('half_b');
  });
});

describe('splitStatements', () => {
  it('splits statements ending with ; at line ends', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2;\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('keeps a last statement without a trailing ;', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('keeps multi-line statements whole', () => {
    const sql = 'CREATE TABLE t\n(\n    a UInt8,\n    b String\n)\nENGINE = MergeTree\nORDER BY a;\n\nSELECT 1;\n';
    expect(splitStatements(sql)).toEqual(['CREATE TABLE t\n(\n    a UInt8,\n    b String\n)\nENGINE = MergeTree\nORDER BY a', 'SELECT 1']);
  });

  it('drops comment lines, including indented ones and ones that contain ;', () => {
    const sql = [
      '-- header comment; with a semicolon',
      '-- second line',
      '',
      'CREATE TABLE a',
      '(',
      '    -- a column comment;',
      '    x UInt8',
      ')',
      'ENGINE = Memory;',
      '',
      '   -- indented comment between statements',
      'CREATE TABLE b (y UInt8) ENGINE = Memory;',
      '-- trailing comment',
    ].join('\n');
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory', 'CREATE TABLE b (y UInt8) ENGINE = Memory']);
  });

  it('allows spaces after the ; and CRLF line ends', () => {
    expect(splitStatements('SELECT 1;   \nSELECT 2;\t\n')).toEqual(['SELECT 1', 'SELECT 2']);
    expect(splitStatements('-- c\r\nSELECT 1;\r\nSELECT 2;\r\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('nothing but comments and blank lines gives no statements', () => {
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('\n\n  \n')).toEqual([]);
    expect(splitStatements('-- only\n-- comments;\n')).toEqual([]);
  });

  it('a ; inside a line does not split', () => {
    expect(splitStatements("SELECT 'a;b' AS x;\n")).toEqual(["SELECT 'a;b' AS x"]);
  });
});
