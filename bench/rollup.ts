// Rollup: the incremental rollups (services/rollups) on London days of M notifications each, for
// each size in --notifications, measured the way users meet them:
// - rollup_rebuild: a full repair of the day (raw slices, then the correction), first on a day
//   nothing counted yet, then again on the counted day;
// - rollup_late_change: one late status change of a notification of that day, from its arrival in
//   the change log to a cycle that has it in the facts (median of --runs);
// - rollup_reprice: a late SMS rate covering the day, re-pricing its billing facts (median of --runs);
// then a repair of a financial year holding --year-per-day notifications a day, in its slices.
//
//   tsx bench/rollup.ts [--quick] [--notifications 1000000,20000000] [--runs 3] [--year-per-day 50000]
//
// The raw rows (4 status events per notification) are generated inside the engine with
// INSERT ... SELECT FROM numbers(), with the change log's view detached: the day is "history from
// before the change logs", which is exactly what a repair counts.
import { rmSync } from 'node:fs';
import { markDirty, migrate, openClickhouse, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { RollupRunner, backfill } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';
import { SERVICES, insertNotifications, withoutChangeLog } from './history.ts';

const args = benchArgs({ notifications: { type: 'string' }, 'year-per-day': { type: 'string' } });
const SIZES = String(args.notifications ?? (args.quick ? '100000' : '1000000,20000000')).split(',').map(Number);
const RUNS = Number(args.runs ?? 5);
const YEAR_PER_DAY = Number(args['year-per-day'] ?? (args.quick ? 2_000 : 50_000));
const YEAR = { start: '2023-04-01', end: '2024-03-31', days: 366 };
// One day per size, after the year.
/** The next offset of the late changes' own partition (99), across every day measured. */
let nextLateOffset = 0;
/** The late SMS rates inserted so far, across every day measured (each run's is valid from one day later). */
let nextRate = 0;
const dayOf = (i: number) => `2024-04-${String(15 + i).padStart(2, '0')}`;

const loadAtStart = load();
log(`rollup benchmark: days of ${SIZES.map((m) => m.toLocaleString()).join(', ')} notifications, a year of ${YEAR_PER_DAY.toLocaleString()} a day, load ${loadAtStart.join(' ')}`);

const logger = createLogger('bench', {});
logger.level = 'error';
const dir = tempDir('bench-rollup');
const ch = await openClickhouse({ path: dir });
try {
  await migrate(ch.client);
  await ch.client.insert({ table: 'ref_sms_rates', format: 'JSONEachRow', values: [{ key: 'sms_rate:2023-04-01', valid_from: '2023-04-01T00:00:00Z', rate: '0.0227', version: '1', is_deleted: 0 }] });
  await ch.client.insert({
    table: 'ref_letter_rates',
    format: 'JSONEachRow',
    values: ['second', 'first', 'economy', 'europe', 'rest-of-world'].flatMap((post, i) =>
      [1, 2, 3, 4, 5].map((sheets) => ({ key: `letter_rate:2023-04-01:${post}:${sheets}`, start_date: '2023-04-01T00:00:00Z', end_date: null, sheet_count: sheets, post_class: post, rate: (0.5 + i * 0.1 + sheets * 0.05).toFixed(2), version: String(i * 5 + sheets), is_deleted: 0 })),
    ),
  });
  // The benchmark's own runner: it holds the lease for the whole run.
  const runner = new RollupRunner(ch.client, logger);
  await runner.runPending();
  const days: DayResult[] = [];
  for (const [i, m] of SIZES.entries()) days.push(await measureDay(ch.client, runner, dayOf(i), m));
  const year = await measureYear(ch.client, runner);
  await runner.release();
  const bySize = (m: number) => days.find((d) => d.input.notifications === m);
  writeResult(args.quick ? 'rollup.quick' : 'rollup', {
    quick: Boolean(args.quick),
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    generated: 'raw rows by INSERT ... SELECT FROM numbers() in the engine (not JSONEachRow); 4 status events per notification',
    days,
    rollup_late_change_1m_ms: bySize(1_000_000)?.late_change_median_ms ?? null,
    rollup_late_change_20m_ms: bySize(20_000_000)?.late_change_median_ms ?? null,
    rollup_reprice_20m_ms: bySize(20_000_000)?.reprice_median_ms ?? null,
    rollup_rebuild_1m_ms: bySize(1_000_000)?.repair_counted_ms ?? null,
    rollup_rebuild_20m_ms: bySize(20_000_000)?.repair_counted_ms ?? null,
    year,
  });
} finally {
  await ch.close();
  rmSync(dir, { recursive: true, force: true });
}

interface DayResult {
  input: { day: string; notifications: number; event_rows: number; services: number; insert_ms: number };
  /** Repair from the raw layer when nothing of the day was counted (its first count, `--from-raw`). */
  repair_first_ms: number;
  /** Repair of the counted day (set to what is counted): the safety cron and `rollup --from --to`. */
  repair_counted_ms: number;
  late_change_runs: number[];
  late_change_median_ms: number | null;
  reprice_runs: number[];
  reprice_median_ms: number | null;
  facts: { status_rows: number; billing_rows: number };
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return Math.round(performance.now() - t);
}

/** `fromRaw`: count the raw layer again (what the first start after migration 0005 does); otherwise set each day to what is counted. */
function repairDays(runner: RollupRunner, from: string, to: string, fromRaw = false) {
  return Promise.all([backfill(runner, from, to, undefined, { fromRaw }), runner.runPending()]);
}

async function measureDay(client: ClickHouseClient, runner: RollupRunner, day: string, m: number): Promise<DayResult> {
  const insertMs = await timed(() => withoutChangeLog(client, () => insertNotifications(client, `toDate('${day}')`, m, `toDateTime64('${day} 00:00:00', 6, 'Europe/London')`, 86_400_000)));
  const [count] = await queryRows<{ n: string; u: string }>(client, `SELECT count() AS n, uniqExact(notification_id) AS u FROM notification_events WHERE created_day = {day: Date}`, { day });
  log(`${day}: inserted ${count?.n} event rows (${count?.u} notifications) in ${insertMs} ms`);
  const repairFirst = await timed(() => repairDays(runner, day, day, true));
  log(`${day}: repair from the raw layer (counts the day) ${repairFirst} ms`);
  const repairCounted = await timed(() => repairDays(runner, day, day));
  log(`${day}: repair (the day set to what is counted) ${repairCounted} ms`);

  // One late status change: a delivered SMS of the day turns permanent-failure a day later. It
  // arrives on a partition of its own (the generated history has no positions), at the next
  // offset of that partition: an offset a cycle already passed (another day's run) is never read.
  const late: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const offset = nextLateOffset++;
    const before = await failures(client, day);
    await client.command({
      query: `INSERT INTO notification_events
        SELECT generateUUIDv4(), notification_id, service_id, template_id, job_id, notification_type, key_type, 'permanent-failure', 12,
               created_at, created_day, updated_at + toIntervalDay(1) + toIntervalSecond({i: UInt32}), billable_units, rate_multiplier, international,
               sent_by, postage, 99, {offset: UInt32}
        FROM notification_events WHERE created_day = {day: Date} AND notification_type = 'sms' AND status = 'delivered'
        ORDER BY notification_id LIMIT 1 OFFSET {i: UInt32}`,
      query_params: { day, i, offset },
    });
    late.push(await timed(() => runner.runOnce()));
    if ((await failures(client, day)) !== before + 1) throw new Error(`the late change of run ${i} is not in the facts`);
  }
  log(`${day}: late change ${late.join(', ')} ms`);

  const reprice: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // A newer rate each run, across every day measured (valid from 1, 2, ... April), covering
    // every generated day: the newest valid_from before the day is the one that applies.
    const n = nextRate++;
    const rate = (0.03 + n / 1000).toFixed(4);
    const validFrom = `2024-04-${String(1 + n).padStart(2, '0')}T00:00:00Z`;
    await client.insert({ table: 'ref_sms_rates', format: 'JSONEachRow', values: [{ key: `sms_rate:${validFrom}`, valid_from: validFrom, rate, version: String(100 + n), is_deleted: 0 }] });
    await markDirty(client, [{ scope: 'sms_rate', day }]);
    reprice.push(await timed(() => runner.runOnce()));
    const [priced] = await queryRows<{ n: number }>(client, `SELECT count() AS n FROM (SELECT rate, sum(notifications_sent) AS s FROM fact_billing WHERE day = {day: Date} AND notification_type = 'sms' GROUP BY rate HAVING s != 0 AND rate != toDecimal128({rate: String}, 10))`, { day, rate });
    if (Number(priced?.n) !== 0) throw new Error(`run ${i}: SMS of ${day} not all at ${rate} after the re-pricing`);
  }
  log(`${day}: reprice ${reprice.join(', ')} ms`);
  const [facts] = await queryRows<{ s: string; b: string }>(
    client,
    `SELECT (SELECT count() FROM fact_notification_status WHERE day = {day: Date}) AS s, (SELECT count() FROM fact_billing WHERE day = {day: Date}) AS b`,
    { day },
  );
  return {
    input: { day, notifications: Number(count?.u), event_rows: Number(count?.n), services: SERVICES, insert_ms: insertMs },
    repair_first_ms: repairFirst,
    repair_counted_ms: repairCounted,
    late_change_runs: late,
    late_change_median_ms: median(late),
    reprice_runs: reprice,
    reprice_median_ms: median(reprice),
    facts: { status_rows: Number(facts?.s), billing_rows: Number(facts?.b) },
  };
}

async function failures(client: ClickHouseClient, day: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    client,
    `SELECT sum(notification_count) AS n FROM fact_notification_status WHERE day = {day: Date} AND status = 'permanent-failure'`,
    { day },
  );
  return Number(row?.n ?? 0);
}


/** A financial year of YEAR_PER_DAY notifications a day, repaired by one backfill over the year. */
async function measureYear(client: ClickHouseClient, runner: RollupRunner) {
  if (YEAR_PER_DAY <= 0) return null;
  const insertMs = await timed(() =>
    withoutChangeLog(client, () =>
      // Day d of the year gets notifications d * YEAR_PER_DAY .. (d + 1) * YEAR_PER_DAY - 1, created through its London day.
      insertNotifications(
        client,
        `toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY})`,
        YEAR_PER_DAY * YEAR.days,
        `toDateTime64(toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY}), 6, 'Europe/London')`,
        // London days are 23 to 25 hours; 23 h keeps every notification inside its day.
        82_800_000,
      ),
    ),
  );
  log(`year: inserted ${YEAR_PER_DAY * YEAR.days} notifications in ${insertMs} ms`);
  const first = await timed(() => repairDays(runner, YEAR.start, YEAR.end, true));
  log(`year: repair from the raw layer of ${YEAR.days} days in ${first} ms`);
  const again = await timed(() => repairDays(runner, YEAR.start, YEAR.end));
  log(`year: repair of the counted year in ${again} ms`);
  return {
    range: YEAR,
    notifications_per_day: YEAR_PER_DAY,
    notifications: YEAR_PER_DAY * YEAR.days,
    insert_ms: insertMs,
    repair_first_ms: first,
    repair_counted_ms: again,
    repair_counted_ms_per_day: round(again / YEAR.days),
  };
}

