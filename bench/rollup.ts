// Rollup: rebuild of one London day (services/rollups buildDay: status + billing facts, staged and
// published) with M notifications that day, median of --runs; then one backfill() of that day
// through a RollupRunner (day + despatch scopes, the path the CLI's `rollup` command takes).
//
//   tsx bench/rollup.ts [--quick] [--notifications 1000000] [--runs 3]
//
// The raw rows (4 status events per notification) are generated inside the engine with
// INSERT ... SELECT FROM numbers(), not sent as JSONEachRow from Node: at the ~28k rows/s that
// JSONEachRow inserts reach here (bench/results/storage.json), 4M rows would take minutes.
import { rmSync } from 'node:fs';
import { migrate, openClickhouse, queryRows } from '@notify-stats/clickhouse';
import { RollupRunner, Staging, backfill, buildDay } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';

const args = benchArgs({ notifications: { type: 'string' } });
const M = Number(args.notifications ?? (args.quick ? 100_000 : 1_000_000));
const RUNS = Number(args.runs ?? 3);
const DAY = '2024-04-15';
const SERVICES = 2000;
const loadAtStart = load();
log(`rollup benchmark: ${M.toLocaleString()} notifications on ${DAY}, ${RUNS} runs, load ${loadAtStart.join(' ')}`);

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
  const t0 = performance.now();
  // n = notification, e = its i-th event (created, sending, pending, outcome); 60% email / 35% sms / 5% letter,
  // 2,000 services (skewed), 8 templates each, 5% failures, created through the London day.
  await ch.client.command({
    query: `INSERT INTO notification_events
      SELECT reinterpretAsUUID(MD5(concat('e', toString(n), ':', toString(e)))) AS event_id,
             reinterpretAsUUID(MD5(concat('n', toString(n)))) AS notification_id,
             reinterpretAsUUID(MD5(concat('s', toString(svc)))) AS service_id,
             reinterpretAsUUID(MD5(concat('t', toString(svc), ':', toString(cityHash64(n, 't') % 8)))) AS template_id,
             if(cityHash64(n, 'j') % 4 = 0, reinterpretAsUUID(MD5(concat('j', toString(svc), ':', toString(cityHash64(n, 'k') % 20)))), NULL) AS job_id,
             typ AS notification_type, 'normal' AS key_type,
             multiIf(e = 0, 'created', e = 1, if(typ = 'letter', 'pending-virus-check', 'sending'), e = 2, if(typ = 'letter', 'sending', 'pending'),
                     cityHash64(n, 'f') % 20 = 0, if(typ = 'letter', 'returned-letter', 'permanent-failure'), 'delivered') AS status,
             multiIf(e = 0, 0, e = 1, if(typ = 'letter', 1, 2), e = 2, if(typ = 'letter', 2, 3), cityHash64(n, 'f') % 20 = 0, if(typ = 'letter', 7, 12), 5) AS status_rank,
             created AS created_at, toDate('${DAY}') AS created_day, created + toIntervalSecond(e * 30) AS updated_at,
             if(typ = 'email', 0, 1 + cityHash64(n, 'u') % 3) AS billable_units,
             if(typ = 'sms', 1, NULL) AS rate_multiplier, if(typ = 'sms', false, NULL) AS international,
             if(e = 0, NULL, multiIf(typ = 'email', 'ses', typ = 'letter', 'dvla', if(n % 2 = 0, 'mmg', 'firetext'))) AS sent_by,
             if(typ = 'letter', 'second', NULL) AS postage, toUInt32(n % 6) AS source_partition, n * 4 + e AS source_offset
      FROM (SELECT number AS n, intDiv(number, 4) * 0 + number AS _n,
                   toUInt32(${SERVICES} * pow((cityHash64(number, 's') % 1000000) / 1000000, 3)) AS svc,
                   multiIf(cityHash64(number, 'y') % 20 < 12, 'email', cityHash64(number, 'y') % 20 < 19, 'sms', 'letter') AS typ,
                   toDateTime64('2024-04-14 23:00:00', 6, 'UTC') + toIntervalMillisecond(cityHash64(number, 'c') % 86400000) AS created
            FROM numbers(${M})) AS notifications
      ARRAY JOIN [0, 1, 2, 3] AS e`,
    clickhouse_settings: { max_partitions_per_insert_block: '0' },
  });
  const insertMs = performance.now() - t0;
  const [count] = await queryRows<{ n: string; u: string }>(ch.client, `SELECT count() AS n, uniqExact(notification_id) AS u FROM notification_events WHERE created_day = '${DAY}'`);
  log(`inserted ${count?.n} event rows (${count?.u} notifications) in ${Math.round(insertMs)} ms`);

  const staging = await Staging.create(ch.client);
  const runs: { ms: number; rows: number; load_at_start: number[] }[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const la = load();
      const b = await buildDay(ch.client, staging, 'day', DAY);
      runs.push({ ms: b.durationMs, rows: b.rows, load_at_start: la });
      log(`buildDay run ${i + 1}: ${b.durationMs} ms, ${b.rows} fact rows`);
    }
  } finally {
    await staging.drop();
  }
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
  const med = median(runs.map((r) => r.ms)) as number;
  writeResult(args.quick ? 'rollup.quick' : 'rollup', {
    quick: Boolean(args.quick),
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    input: { day: DAY, notifications: Number(count?.u), event_rows: Number(count?.n), services: SERVICES, insert_ms: Math.round(insertMs), generated: 'INSERT ... SELECT FROM numbers() in the engine (not JSONEachRow)' },
    build_day_runs: runs,
    build_day_median_ms: med,
    ms_per_million_notifications: round((med / Number(count?.u)) * 1e6),
    backfill_ms: backfillMs,
    backfill_builds: built,
    facts: { status_rows: Number(facts?.s), billing_rows: Number(facts?.b), notifications_in_status_facts: Number(facts?.n) },
  });
} finally {
  await ch.close();
  rmSync(dir, { recursive: true, force: true });
}
