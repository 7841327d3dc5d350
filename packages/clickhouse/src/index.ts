export { openClickhouse, queryRows, queryParsed, queryJsonArray, assertExactIntegers, PrecisionLostError, CLICKHOUSE_SETTINGS, type Clickhouse, type ClickhouseConfig, type ClickHouseClient } from './client.ts';
export { migrate, loadMigrations, splitStatements, type Migration, type MigrateResult } from './migrate.ts';
export {
  renderForTopology,
  clusterSettings,
  topologyFromEnv,
  localTableName,
  replicationPath,
  PLACEMENT,
  SINGLE_NODE,
  type Topology,
  type Placement,
} from './topology.ts';
export { defineTable, column, defaulted, col, type Table, type AnyTable, type Column } from './tables/table.ts';
export * from './tables/raw-events.ts';
export * from './tables/facts.ts';
export * from './tables/reference.ts';
export * from './tables/dirty-days.ts';
export * from './tables/day-builds.ts';
export * from './tables/pipeline-state.ts';
export * from './tables/rollup-cycles.ts';
export * from './tables/delivery-latency.ts';
