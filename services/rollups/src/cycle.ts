import { randomUUID } from 'node:crypto';
import { queryRows, recordCycle, type ClickHouseClient, type CycleRecord } from '@notify-stats/clickhouse';
import { londonMidnightUtc } from '@notify-stats/london';
import {
  CYCLE_DAYS,
  CYCLE_LETTERS,
  COUNTED_ON_DAY,
  FACT_TABLES,
  LETTERS_DESPATCHED_ON_DAY,
  STAGED_CHANGES,
  STAGED_TABLES,
  applyCountedDespatchesSql,
  applyCountedSql,
  applyFactsSql,
  billingContributionSql,
  despatchContributionSql,
  latencyContributionSql,
  negatedFactsOfDay,
  stageChangesSql,
  stageDespatchesSql,
  stageFactsSql,
  stageIncomingSql,
  statusContributionSql,
  type FactKind,
} from './snapshot-sql.ts';
import { rollupMetrics } from './metrics.ts';

/**
 * What one cycle reads:
 * - `changes`: events from a source (the change logs between two Kafka positions, or one slice
 *   of a day of the raw layer) compared with what is counted, moving the facts by the difference;
 * - `correct`: a repair's last step for one day: the facts of the day become the sum of what is
 *   counted on it (the correction is the difference, so cycles before and after stay exact).
 */
export type CyclePlan =
  | {
      kind: 'window' | 'raw';
      /** SELECT of (notification_id, version, s = tuple(created_day, fields...)), or null. */
      snapshots: string | null;
      /** SELECT of (notification_id, version, d = tuple(despatched_on, cost_threshold)), or null. */
      despatches: string | null;
      params: Record<string, unknown>;
      /** Kafka positions processed once this cycle is done (JSON of topic:partition -> offset). */
      positions: string;
    }
  | { kind: 'correct'; day: string; positions: string };

/** Hooks between statements: tests stop a cycle (as a crash would) or write as ingest would. */
export interface CycleHooks {
  afterStep?(step: string, cycle: number): void | Promise<void>;
}

export interface CycleContext {
  client: ClickHouseClient;
  runner: string;
  hooks?: CycleHooks | undefined;
}

export interface CycleResult {
  cycle: number;
  kind: string;
  /** Fact rows the cycle wrote (0: the facts did not move). */
  changed: number;
  /** The days whose facts it moved (known when it staged them; empty for a cycle a crash left staged). */
  days: string[];
  /** The services whose billing facts it moved (likewise). */
  services: string[];
}

/**
 * Query settings as a SETTINGS clause of the statement itself. Passed as client settings they
 * would be sent as session-wide SETs by the embedded engine's connection and stay in force for
 * every later query of the process (a deduplication token reused by an unrelated insert, one
 * thread for every report). Names are fixed here; values are numbers or a token this module
 * made, checked before it is written into the text.
 */
type Settings = Record<string, number | string>;
const SAFE_VALUE = /^[A-Za-z0-9:-]+$/;
function settingsClause(settings: Settings): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return '';
  return ` SETTINGS ${entries
    .map(([k, v]) => {
      if (typeof v === 'string' && !SAFE_VALUE.test(v)) throw new Error(`unsafe setting value for ${k}`);
      return `${k} = ${typeof v === 'number' ? v : `'${v}'`}`;
    })
    .join(', ')}`;
}

// Every write of a cycle into a fact table must be one part (one block, one unpartitioned table):
// committed whole or not at all, so that a retry carrying the same token is dropped whole. The
// monthly sums the views feed from it (migration 0006) are deduplicated by the same token: the
// engine no longer skips a view when the source block was a duplicate, so without it a retried
// apply counted the cycle twice in its months (test/cycle-steps.test.ts).
const ONE_PART: Settings = {
  deduplicate_blocks_in_dependent_materialized_views: 1,
  max_threads: 1,
  max_insert_threads: 1,
  min_insert_block_size_rows: 1_000_000_000_000,
  min_insert_block_size_bytes: 1_000_000_000_000_000,
  max_insert_block_size: 1_000_000_000_000,
  insert_deduplicate: 1,
};

// A cycle's rows may span any number of days; counted_notifications is partitioned by day.
const MANY_DAYS: Settings = { max_partitions_per_insert_block: 0 };

async function step(ctx: CycleContext, cycle: number, name: string, query: string, params: Record<string, unknown>, settings: Settings = MANY_DAYS) {
  await rollupMetrics.timed(name, () => ctx.client.command({ query: query + settingsClause(settings), query_params: { ...params, cycle } }));
  await ctx.hooks?.afterStep?.(name, cycle);
}

/** {days} and their London midnights, for the prices of the days a cycle touches. */
export function priceDays(days: readonly string[]): { days: string[]; midnights: string[] } {
  const sorted = [...new Set(days)].sort();
  return { days: sorted, midnights: sorted.map((d) => londonMidnightUtc(d).toISOString().replace('T', ' ').replace('Z', '')) };
}

const FACT_KINDS = Object.keys(FACT_TABLES) as FactKind[];

type Staged = Pick<CycleResult, 'changed' | 'days' | 'services'>;

/** How many fact rows a cycle staged, on which days and for which services' billing (one query: it runs every cycle). */
async function countStaged(client: ClickHouseClient, cycle: number): Promise<Staged> {
  const staged = FACT_KINDS.map((k) => `SELECT day, ${k === 'billing' ? 'toString(service_id)' : "''"} AS service FROM ${FACT_TABLES[k].staged} WHERE cycle = {cycle: UInt64}`).join(' UNION ALL ');
  const [row] = await queryRows<{ n: number; days: string[]; services: string[] }>(
    client,
    `SELECT count() AS n, arraySort(groupUniqArray(toString(day))) AS days, arraySort(groupUniqArrayIf(service, service != '')) AS services FROM (${staged})`,
    { cycle },
  );
  return { changed: Number(row?.n ?? 0), days: row?.days ?? [], services: row?.services ?? [] };
}

/**
 * Staged partitions are dropped in batches: every CLEAR_EVERY cycles, the last CLEAR_EVERY at
 * once (one ALTER per table). Dropping each cycle's own took ten statements a cycle (before and
 * after it), a sixth of a window cycle's time under load (notify_stats_rollup_step_seconds).
 */
export const CLEAR_EVERY = 8;

/** Drops the staged rows of cycles `from`..`to` (idempotent: a partition already gone is no error). */
export async function clearStaged(ctx: CycleContext, from: number, to = from): Promise<void> {
  const cycles = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  if (cycles.length === 0) return;
  const drops = cycles.map((_, i) => `DROP PARTITION {c${i}: UInt64}`).join(', ');
  const params = Object.fromEntries(cycles.map((c, i) => [`c${i}`, c]));
  await rollupMetrics.timed('clear-staged', async () => {
    for (const table of STAGED_TABLES) await ctx.client.command({ query: `ALTER TABLE ${table} ${drops}`, query_params: params });
  });
}

/**
 * Stages a cycle's work. Nothing outside the staging tables changes here, so a cycle cut short
 * before it is recorded staged is simply staged again: the runner's recovery drops the partial
 * rows of the cycle after the last one recorded before it stages (runner.ts).
 */
async function stage(ctx: CycleContext, cycle: number, plan: CyclePlan): Promise<Staged> {
  if (plan.kind === 'correct') {
    const params = { day: plan.day, ...priceDays([plan.day]) };
    await step(ctx, cycle, 'stage-status', stageFactsSql('status', `${statusContributionSql(COUNTED_ON_DAY)} UNION ALL ${negatedFactsOfDay('status')}`), params);
    await step(ctx, cycle, 'stage-billing', stageFactsSql('billing', `${billingContributionSql(COUNTED_ON_DAY)} UNION ALL ${negatedFactsOfDay('billing')}`), params);
    await step(ctx, cycle, 'stage-despatch', stageFactsSql('despatch', `${despatchContributionSql(LETTERS_DESPATCHED_ON_DAY)} UNION ALL ${negatedFactsOfDay('despatch')}`), params);
    await step(ctx, cycle, 'stage-latency', stageFactsSql('latency', `${latencyContributionSql(COUNTED_ON_DAY)} UNION ALL ${negatedFactsOfDay('latency')}`), params);
  } else {
    if (plan.snapshots) {
      await step(ctx, cycle, 'stage-incoming', stageIncomingSql(plan.snapshots), plan.params);
      await step(ctx, cycle, 'stage-changes', stageChangesSql, {});
    }
    if (plan.despatches) await step(ctx, cycle, 'stage-despatches', stageDespatchesSql(plan.despatches), plan.params);
    const days = await queryRows<{ day: string }>(ctx.client, CYCLE_DAYS, { cycle });
    const prices = priceDays(days.map((d) => d.day));
    await step(ctx, cycle, 'stage-status', stageFactsSql('status', statusContributionSql(STAGED_CHANGES)), prices);
    await step(ctx, cycle, 'stage-billing', stageFactsSql('billing', billingContributionSql(STAGED_CHANGES)), prices);
    await step(ctx, cycle, 'stage-despatch', stageFactsSql('despatch', despatchContributionSql(CYCLE_LETTERS)), prices);
    await step(ctx, cycle, 'stage-latency', stageFactsSql('latency', latencyContributionSql(STAGED_CHANGES)), {});
  }
  return countStaged(ctx.client, cycle);
}

/**
 * Applies a staged cycle. Each fact write is one part carrying the cycle's token: applied again
 * after a crash, the engine drops the writes that were already committed. The counted snapshots
 * are written after the facts and are idempotent (same rows, same versions).
 */
export async function applyStaged(ctx: CycleContext, record: CycleRecord): Promise<CycleResult> {
  const { cycle } = record;
  for (const kind of FACT_KINDS) {
    await step(ctx, cycle, `apply-${kind}`, applyFactsSql(kind), {}, { ...ONE_PART, insert_deduplication_token: `${record.token}:${kind}` });
  }
  if (record.kind !== 'correct') {
    await step(ctx, cycle, 'apply-counted', applyCountedSql, {});
    await step(ctx, cycle, 'apply-counted-despatches', applyCountedDespatchesSql, {});
  }
  await rollupMetrics.timed('record-done', () => recordCycle(ctx.client, { ...record, phase: 'done' }));
  await ctx.hooks?.afterStep?.('record-done', cycle);
  if (cycle % CLEAR_EVERY === 0) await clearStaged(ctx, cycle - CLEAR_EVERY + 1, cycle);
  return { cycle, kind: record.kind, changed: record.changed, days: [], services: [] };
}

/** Stages, records and applies one cycle. */
export async function runCycle(ctx: CycleContext, cycle: number, plan: CyclePlan): Promise<CycleResult> {
  const { changed, days, services } = await stage(ctx, cycle, plan);
  const record: CycleRecord = {
    cycle,
    phase: 'staged',
    kind: plan.kind,
    positions: plan.positions,
    changed,
    runner: ctx.runner,
    token: randomUUID(),
  };
  await rollupMetrics.timed('record-staged', () => recordCycle(ctx.client, record));
  await ctx.hooks?.afterStep?.('record-staged', cycle);
  return { ...(await applyStaged(ctx, record)), days, services };
}
