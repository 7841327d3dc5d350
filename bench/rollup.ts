// Rollup: rebuild of one London day (services/rollups buildDay: status + billing facts, staged and
// published) with M notifications that day, median of --runs, for each size in --notifications
// (sizes above 1M get --big-runs runs: a 20M day takes minutes); then one backfill() of the
// first day through a RollupRunner (day + despatch scopes, the path the CLI's `rollup` command
// takes); then a full rebuild of a financial year holding --year-per-day notifications a day.
//
//   tsx bench/rollup.ts [--quick] [--notifications 1000000,20000000] [--runs 3] [--big-runs 1] [--year-per-day 50000]
//
// The raw rows (4 status events per notification) are generated inside the engine with
// INSERT ... SELECT FROM numbers(), not sent as JSONEachRow from Node: at the ~28k rows/s that
// JSONEachRow inserts reach here (bench/results/storage.json), 4M rows would take minutes.
import { rmSync } from 'node:fs';
import { migrate, openClickhouse, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { RollupRunner, Staging, backfill, buildDay } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';

const args = benchArgs({ notifications: { type: 'string' }, 'big-runs': { type: 'string' }, 'year-per-day': { type: 'string' } });
const SIZES = String(args.notifications ?? (args.quick ? '100000' : '1000000,20000000')).split(',').map(Number);
const RUNS = Number(args.runs ?? 3);
const BIG_RUNS = Number(args['big-runs'] ?? 1);
const YEAR_PER_DAY = Number(args['year-per-day'] ?? (args.quick ? 2_000 : 50_000));
const YEAR = { start: '2023-04-01', end: '2024-03-31', days: 366 };
// One day per size, after the year.
const dayOf = (i: number) => `2024-04-${String(15 + i).padStart(2, '0')}`;
const SERVICES = 2000;
const loadAtStart = load();
log(`rollup benchmark: days of ${SIZES.map((m) => m.toLocaleString()).join(', ')} notifications, a year of ${YEAR_PER_DAY.toLocaleString()} a day, load ${loadAtStart.join(' ')}`);

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
  const days: DayResult[] = [];
  for (const [i, m] of SIZES.entries()) days.push(await measureDay(ch.client, dayOf(i), m, m > 1_000_000 ? BIG_RUNS : RUNS));
  const DAY = dayOf(0);
  const logger = createLogger('bench', {});
  logger.level = 'error';
  const runner = new RollupRunner(ch.client, logger);
  const tb = performance.now();
  const built = await backfill(ch.client, runner, DAY, DAY);
  const backfillMs = Math.round(performance.now() - tb);
  log(`backfill of ${DAY}: ${backfillMs} ms (${built.map((b) => `${b.scope} ${b.durationMs} ms`).join(', ')})`);
  const [facts] = await queryRows<{ s: string; b: string; n: string }>(
    ch.client,
    `SELECT (SELECT count() FROM fact_notification_status WHERE day = '${DAY}') AS s, (SELECT count() FROM fact_billing WHERE day = '${DAY}') AS b,
            (SELECT sum(notification_count) FROM fact_notification_status WHERE day = '${DAY}') AS n`,
  );
  const year = await measureYear(ch.client, runner);
  const first = days[0] as DayResult;
  writeResult(args.quick ? 'rollup.quick' : 'rollup', {
    quick: Boolean(args.quick),
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    generated: 'raw rows by INSERT ... SELECT FROM numbers() in the engine (not JSONEachRow); 4 status events per notification',
    days,
    // The first size's figures, under the keys earlier runs used.
    input: first.input,
    build_day_median_ms: first.build_day_median_ms,
    ms_per_million_notifications: first.ms_per_million_notifications,
    backfill_ms: backfillMs,
    backfill_builds: built,
    facts: { status_rows: Number(facts?.s), billing_rows: Number(facts?.b), notifications_in_status_facts: Number(facts?.n) },
    year,
  });
} finally {
  await ch.close();
  rmSync(dir, { recursive: true, force: true });
}

interface DayResult {
  input: { day: string; notifications: number; event_rows: number; services: number; insert_ms: number };
  build_day_runs: { ms: number; rows: number; load_at_start: number[] }[];
  build_day_median_ms: number;
  ms_per_million_notifications: number;
}

async function measureDay(client: ClickHouseClient, day: string, m: number, runs: number): Promise<DayResult> {
  const t0 = performance.now();
  await insertNotifications(client, `toDate('${day}')`, m, `toDateTime64('${day} 00:00:00', 6, 'Europe/London')`, 86_400_000);
  const insertMs = Math.round(performance.now() - t0);
  const [count] = await queryRows<{ n: string; u: string }>(client, `SELECT count() AS n, uniqExact(notification_id) AS u FROM notification_events WHERE created_day = '${day}'`);
  log(`${day}: inserted ${count?.n} event rows (${count?.u} notifications) in ${insertMs} ms`);
  const staging = await Staging.create(client);
  const builds: DayResult['build_day_runs'] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const la = load();
      const b = await buildDay(client, staging, 'day', day);
      builds.push({ ms: b.durationMs, rows: b.rows, load_at_start: la });
      log(`${day} buildDay run ${i + 1}: ${b.durationMs} ms, ${b.rows} fact rows`);
    }
  } finally {
    await staging.drop();
  }
  const med = median(builds.map((r) => r.ms)) as number;
  return {
    input: { day, notifications: Number(count?.u), event_rows: Number(count?.n), services: SERVICES, insert_ms: insertMs },
    build_day_runs: builds,
    build_day_median_ms: med,
    ms_per_million_notifications: round((med / Number(count?.u)) * 1e6),
  };
}

/** A financial year of YEAR_PER_DAY notifications a day, rebuilt by one backfill over the year. */
async function measureYear(client: ClickHouseClient, runner: RollupRunner) {
  if (YEAR_PER_DAY <= 0) return null;
  const t0 = performance.now();
  // Day d of the year gets notifications d * YEAR_PER_DAY .. (d + 1) * YEAR_PER_DAY - 1, created through its London day.
  await insertNotifications(
    client,
    `toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY})`,
    YEAR_PER_DAY * YEAR.days,
    `toDateTime64(toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY}), 6, 'Europe/London')`,
    // London days are 23 to 25 hours; 23 h keeps every notification inside its day.
    82_800_000,
  );
  const insertMs = Math.round(performance.now() - t0);
  log(`year: inserted ${YEAR_PER_DAY * YEAR.days} notifications in ${insertMs} ms`);
  const t1 = performance.now();
  const built = await backfill(client, runner, YEAR.start, YEAR.end);
  const ms = Math.round(performance.now() - t1);
  const dayBuilds = built.filter((b) => b.scope === 'day').map((b) => b.durationMs);
  log(`year: backfill of ${YEAR.days} days in ${ms} ms`);
  return {
    range: YEAR,
    notifications_per_day: YEAR_PER_DAY,
    notifications: YEAR_PER_DAY * YEAR.days,
    insert_ms: insertMs,
    rebuild_ms: ms,
    builds: built.length,
    day_build_median_ms: median(dayBuilds),
  };
}

/**
 * `m` notifications (n = 0..m-1), 4 status events each: created, sending, pending, outcome.
 * 60% email / 35% sms / 5% letter, 2,000 services (skewed), 8 templates each, 5% failures.
 * `dayExpr` and `startExpr` are SQL in `number`: the London day and its first instant;
 * creation times spread over `spreadMs` from there.
 */
async function insertNotifications(client: ClickHouseClient, dayExpr: string, m: number, startExpr: string, spreadMs: number) {
  // Ids include the day, so days inserted separately never share a notification.
  await client.command({
    query: `INSERT INTO notification_events
      SELECT reinterpretAsUUID(MD5(concat('e', toString(day), toString(n), ':', toString(e)))) AS event_id,
             reinterpretAsUUID(MD5(concat('n', toString(day), toString(n)))) AS notification_id,
             reinterpretAsUUID(MD5(concat('s', toString(svc)))) AS service_id,
             reinterpretAsUUID(MD5(concat('t', toString(svc), ':', toString(cityHash64(n, 't') % 8)))) AS template_id,
             if(cityHash64(n, 'j') % 4 = 0, reinterpretAsUUID(MD5(concat('j', toString(svc), ':', toString(cityHash64(n, 'k') % 20)))), NULL) AS job_id,
             typ AS notification_type, 'normal' AS key_type,
             multiIf(e = 0, 'created', e = 1, if(typ = 'letter', 'pending-virus-check', 'sending'), e = 2, if(typ = 'letter', 'sending', 'pending'),
                     cityHash64(n, 'f') % 20 = 0, if(typ = 'letter', 'returned-letter', 'permanent-failure'), 'delivered') AS status,
             multiIf(e = 0, 0, e = 1, if(typ = 'letter', 1, 2), e = 2, if(typ = 'letter', 2, 3), cityHash64(n, 'f') % 20 = 0, if(typ = 'letter', 7, 12), 5) AS status_rank,
             created AS created_at, day AS created_day, created + toIntervalSecond(e * 30) AS updated_at,
             if(typ = 'email', 0, 1 + cityHash64(n, 'u') % 3) AS billable_units,
             if(typ = 'sms', 1, NULL) AS rate_multiplier, if(typ = 'sms', false, NULL) AS international,
             if(e = 0, NULL, multiIf(typ = 'email', 'ses', typ = 'letter', 'dvla', if(n % 2 = 0, 'mmg', 'firetext'))) AS sent_by,
             if(typ = 'letter', 'second', NULL) AS postage, toUInt32(n % 6) AS source_partition, n * 4 + e AS source_offset
      FROM (SELECT number AS n, intDiv(number, 4) * 0 + number AS _n,
                   toUInt32(${SERVICES} * pow((cityHash64(number, 's') % 1000000) / 1000000, 3)) AS svc,
                   multiIf(cityHash64(number, 'y') % 20 < 12, 'email', cityHash64(number, 'y') % 20 < 19, 'sms', 'letter') AS typ,
                   ${dayExpr} AS day,
                   toDateTime64(${startExpr}, 6, 'UTC') + toIntervalMillisecond(cityHash64(number, 'c') % ${spreadMs}) AS created
            FROM numbers(${m})) AS notifications
      ARRAY JOIN [0, 1, 2, 3] AS e`,
    clickhouse_settings: { max_partitions_per_insert_block: '0' },
  });
}
