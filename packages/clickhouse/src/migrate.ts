import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from './client.ts';
import { SINGLE_NODE, renderForTopology, type Topology } from './topology.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** Migrations are `NNNN_name.sql` files, applied in order, never renumbered. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements: splitStatements(sql),
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/** Splits on `;` at line ends, after dropping `--` comment lines (the files hold no string literals with `;`). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations
            (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`. Every statement is idempotent
 * (IF NOT EXISTS), so a run interrupted half-way is simply run again. In a cluster (see
 * topology.ts) each statement is rendered ON CLUSTER first; the files, checksums and records are
 * the same in both modes.
 */
export async function migrate(
  client: ClickHouseClient,
  migrations = loadMigrations(),
  topology: Topology = SINGLE_NODE,
): Promise<MigrateResult> {
  for (const query of renderForTopology(SCHEMA_MIGRATIONS, topology)) await client.command({ query });
  const done = new Map(
    (await queryRows<{ version: number; checksum: string }>(client, 'SELECT version, checksum FROM schema_migrations FINAL')).map(
      (r) => [Number(r.version), r.checksum],
    ),
  );
  const result: MigrateResult = { applied: [], skipped: [] };
  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new Error(`migration ${m.name} changed after it was applied: add a new migration instead of editing it`);
      }
      result.skipped.push(m.name);
      continue;
    }
    for (const statement of m.statements) {
      for (const query of renderForTopology(statement, topology)) await client.command({ query });
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    result.applied.push(m.name);
  }
  return result;
}
