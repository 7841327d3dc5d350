// Compressed bytes per row in the embedded engine (chdb), for the capacity model of docs/scaling.md.
//
//   npx tsx bench/storage/measure.ts [--events 2000000] [--batch 100000] [--services 2000]
//                                    [--days 30] [--fact-days 365] [--no-rollup] [--out bench/results/storage.json]
//
// A fresh engine in a temp folder, the project's migrations, then:
// - `--events` status events (4 per notification, realistic shapes: random v4 ids, 2,000 services
//   with a skewed share of traffic, ~8 templates each, 60% email / 35% sms / 5% letter) inserted
//   as JSONEachRow in batches, as the ingest worker does; letters also get a despatch, 1% of
//   notifications an inbound sms;
// - a year of facts for `--services` services (rows generated in SQL from a stated model: see
//   FACT_MODEL below), one partition per day as the rollups write them;
// - OPTIMIZE TABLE ... FINAL on every table, then system.parts / system.columns.
// Optionally (default on) it times the real day repair (services/rollups: raw slices, then the
// correction) of the busiest generated day. Results go to bench/results/storage.json.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate, openClickhouse, queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { RollupRunner } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    batch: { type: 'string', default: '100000' },
    services: { type: 'string', default: '2000' },
    days: { type: 'string', default: '30' },
    'fact-days': { type: 'string', default: '365' },
    'no-rollup': { type: 'boolean', default: false },
    out: { type: 'string', default: fileURLToPath(new URL('../results/storage.json', import.meta.url)) },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const SERVICES = Number(args.services);
const DAYS = Number(args.days);
const FACT_DAYS = Number(args['fact-days']);
const EVENTS_PER_NOTIFICATION = 4;
const FIRST_DAY = Date.UTC(2024, 3, 1); // 2024-04-01: all event days fall in one monthly partition when DAYS <= 30
// The busiest day: a third of all notifications, so the timed rebuild has a day of real size.
const PEAK_DAY_SHARE = 1 / 3;

const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);

// Deterministic pseudo-random numbers (mulberry32), so two runs generate the same shapes.
let seed = 0x5eed;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const services = Array.from({ length: SERVICES }, () => ({
  id: randomUUID(),
  templates: Array.from({ length: 1 + Math.floor(rand() * 15) }, () => randomUUID()),
}));
// A few services send most notifications: service index ~ u^3 (the biggest 10% send ~half).
const pickService = () => services[Math.floor(SERVICES * rand() ** 3)] as (typeof services)[number];
const jobsByService = new Map<string, string[]>();

const LIFECYCLE: Record<string, readonly string[]> = {
  email: ['created', 'sending', 'pending', 'delivered'],
  sms: ['created', 'sending', 'pending', 'delivered'],
  letter: ['created', 'pending-virus-check', 'sending', 'delivered'],
};
const FAILURES: Record<string, readonly string[]> = {
  email: ['permanent-failure', 'temporary-failure', 'technical-failure'],
  sms: ['permanent-failure', 'temporary-failure', 'technical-failure'],
  letter: ['returned-letter', 'validation-failed'],
};
const RANK = [
  'created', 'pending-virus-check', 'sending', 'pending', 'sent', 'delivered', 'cancelled', 'returned-letter',
  'validation-failed', 'virus-scan-failed', 'technical-failure', 'temporary-failure', 'permanent-failure', 'failed',
];
const partitionOffsets = [0, 0, 0, 0, 0, 0];

const iso = (ms: number) => new Date(ms).toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Generated {
  events: object[];
  despatches: object[];
  inbound: object[];
}

function notification(out: Generated, index: number, total: number): void {
  const service = pickService();
  const r = rand();
  const type = r < 0.6 ? 'email' : r < 0.95 ? 'sms' : 'letter';
  const keyType = rand() < 0.97 ? 'normal' : rand() < 0.67 ? 'team' : 'test';
  const inJob = rand() < 0.25;
  let jobs = jobsByService.get(service.id);
  if (!jobs) jobsByService.set(service.id, (jobs = Array.from({ length: 20 }, () => randomUUID())));
  const dayIndex = index < total * PEAK_DAY_SHARE ? 14 : Math.floor(rand() * DAYS);
  const createdMs = FIRST_DAY + dayIndex * 86_400_000 + Math.floor(rand() * 86_400_000);
  const createdAt = iso(createdMs);
  const createdDay = dayOf(createdMs);
  const notificationId = randomUUID();
  const statuses = [...(LIFECYCLE[type] ?? [])];
  if (rand() < 0.05) statuses[3] = pick(FAILURES[type] ?? []);
  const units = type === 'email' ? 0 : type === 'sms' ? 1 + Math.floor(rand() ** 4 * 3) : 1 + Math.floor(rand() ** 2 * 5);
  const postage = type === 'letter' ? (rand() < 0.8 ? 'second' : rand() < 0.75 ? 'first' : pick(['europe', 'rest-of-world', 'economy'])) : null;
  const provider = type === 'email' ? 'ses' : type === 'sms' ? pick(['mmg', 'firetext']) : 'dvla';
  const templateId = pick(service.templates);
  const jobId = inJob ? pick(jobs) : null;
  // Messages are keyed by notification_id: every event of a notification is on one partition.
  const partition = Math.floor(rand() * 6);
  let updatedMs = createdMs;
  for (const [i, status] of statuses.entries()) {
    updatedMs += i === 0 ? 0 : Math.floor(rand() * (type === 'letter' ? 86_400_000 : 120_000));
    partitionOffsets[partition] = (partitionOffsets[partition] ?? 0) + 1;
    out.events.push({
      event_id: randomUUID(),
      notification_id: notificationId,
      service_id: service.id,
      template_id: templateId,
      job_id: jobId,
      notification_type: type,
      key_type: keyType,
      status,
      status_rank: RANK.indexOf(status),
      created_at: createdAt,
      created_day: createdDay,
      updated_at: iso(updatedMs),
      billable_units: units,
      rate_multiplier: type === 'sms' ? 1 : null,
      international: type === 'sms' ? rand() < 0.01 : null,
      sent_by: i === 0 ? null : provider,
      postage,
      source_partition: partition,
      source_offset: String(partitionOffsets[partition]),
    });
  }
  if (type === 'letter') {
    out.despatches.push({
      event_id: randomUUID(),
      notification_id: notificationId,
      despatched_on: dayOf(createdMs + 86_400_000),
      cost_threshold: rand() < 0.7 ? 'sorted' : 'unsorted',
    });
  }
  if (rand() < 0.01) {
    out.inbound.push({
      event_id: randomUUID(),
      inbound_sms_id: randomUUID(),
      service_id: service.id,
      created_at: createdAt,
      created_day: createdDay,
      provider: pick(['mmg', 'firetext']),
    });
  }
}

async function insert(client: ClickHouseClient, table: string, values: object[]): Promise<void> {
  if (values.length) await client.insert({ table, values, format: 'JSONEachRow' });
}

// Fact rows per service per day, as a model (the rollups' real output at the reference scale
// cannot be generated here): each service has 1-8 active templates a day, each template is of
// one type, 1 in 4 template-days is a job; status facts: 3 outcome rows per template
// (delivered, permanent-failure, temporary-failure); billing: 1 row per template (provider,
// rate, postage fixed per template); despatch: 40 rows a day for the whole platform.
const FACT_MODEL = {
  templatesPerServiceDay: '1 + cityHash64(s) % 8 (mean 4.5)',
  statusRowsPerTemplate: 3,
  billingRowsPerTemplate: 1,
  despatchRowsPerDay: 40,
};

const FACT_BASE = (days: number, services: number) => `
  SELECT d, toDate('2023-04-01') + d AS day, s,
         reinterpretAsUUID(MD5(concat('s', toString(s)))) AS service_id,
         k,
         reinterpretAsUUID(MD5(concat('t', toString(s), ':', toString(k)))) AS template_id,
         if(cityHash64(s, k, d) % 4 = 0, reinterpretAsUUID(MD5(concat('j', toString(s), ':', toString(k), ':', toString(d)))),
            toUUID('00000000-0000-0000-0000-000000000000')) AS job_id,
         multiIf(cityHash64(s, k) % 20 < 12, 'email', cityHash64(s, k) % 20 < 19, 'sms', 'letter') AS notification_type
  FROM (SELECT number AS d FROM numbers(${days})) AS days
  CROSS JOIN (SELECT number AS s, arrayJoin(range(1 + cityHash64(number) % 8)) AS k FROM numbers(${services})) AS templates`;

// One partition per day: a year is 365 partitions in one INSERT (the rollups write one day at a time).
const FACT_INSERT = { max_partitions_per_insert_block: '0' } as const;

async function generateFacts(client: ClickHouseClient): Promise<void> {
  await client.command({
    query: `INSERT INTO fact_notification_status
      SELECT day, service_id, template_id, job_id, notification_type, if(cityHash64(s) % 50 = 0, 'team', 'normal'), status,
             if(status = 'delivered', 1 + cityHash64(s, k, d) % 20000, 1 + cityHash64(s, k, d, status) % 200)
      FROM (${FACT_BASE(FACT_DAYS, SERVICES)})
      ARRAY JOIN ['delivered', 'permanent-failure', 'temporary-failure'] AS status`,
    clickhouse_settings: FACT_INSERT,
  });
  await client.command({
    query: `INSERT INTO fact_billing
      SELECT day, service_id, template_id, notification_type,
             multiIf(notification_type = 'email', 'ses', notification_type = 'letter', 'dvla', if(cityHash64(s, k) % 2 = 0, 'mmg', 'firetext')),
             1, false,
             multiIf(notification_type = 'sms', toDecimal128('0.0227', 10), notification_type = 'letter', toDecimal128('0.68', 10), toDecimal128(0, 10)),
             if(notification_type = 'letter', 'second', ''), if(notification_type = 'letter', 1 + cityHash64(s, k) % 3, 0),
             1 + cityHash64(s, k, d) % 20000 AS sent,
             if(notification_type = 'email', 0, sent * (1 + cityHash64(s, k) % 2)) AS units, units
      FROM (${FACT_BASE(FACT_DAYS, SERVICES)})`,
    clickhouse_settings: FACT_INSERT,
  });
  await client.command({
    query: `INSERT INTO fact_letter_despatch
      SELECT toDate('2023-04-01') + intDiv(number, 40) AS day,
             ['second', 'first', 'economy', 'europe', 'rest-of-world'][1 + number % 5],
             ['sorted', 'unsorted'][1 + intDiv(number, 5) % 2],
             1 + intDiv(number, 10) % 4,
             toDecimal128('0.68', 10) + toDecimal128(intDiv(number, 10) % 4, 10) * toDecimal128('0.05', 10),
             1 + cityHash64(number) % 5000
      FROM numbers(${FACT_DAYS * FACT_MODEL.despatchRowsPerDay})`,
    clickhouse_settings: FACT_INSERT,
  });
}

interface TableStats {
  rows: number;
  parts: number;
  partitions: number;
  compressed_bytes: number;
  uncompressed_bytes: number;
  bytes_on_disk: number;
  compressed_bytes_per_row: number;
  bytes_on_disk_per_row: number;
}

async function tableStats(client: ClickHouseClient): Promise<Record<string, TableStats>> {
  const rows = await queryRows<Record<string, string | number>>(
    client,
    `SELECT table, sum(rows) AS rows, count() AS parts, uniqExact(partition) AS partitions,
            sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed, sum(bytes_on_disk) AS on_disk
     FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table ORDER BY table`,
  );
  const out: Record<string, TableStats> = {};
  for (const r of rows) {
    const n = Number(r.rows);
    out[String(r.table)] = {
      rows: n,
      parts: Number(r.parts),
      partitions: Number(r.partitions),
      compressed_bytes: Number(r.compressed),
      uncompressed_bytes: Number(r.uncompressed),
      bytes_on_disk: Number(r.on_disk),
      compressed_bytes_per_row: round(Number(r.compressed) / n),
      bytes_on_disk_per_row: round(Number(r.on_disk) / n),
    };
  }
  return out;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'notify-stats-storage-bench-'));
  const ch = await openClickhouse({ path: dir });
  const started = performance.now();
  try {
    await migrate(ch.client);
    const [version] = await queryRows<{ v: string }>(ch.client, 'SELECT version() AS v');

    // Prices, so that the timed rebuild prices sms and letters as in production.
    await insert(ch.client, 'ref_sms_rates', [
      { key: 'sms_rate:2023-04-01', valid_from: '2023-04-01T00:00:00Z', rate: '0.0227', version: '1', is_deleted: 0 },
    ]);
    await insert(
      ch.client,
      'ref_letter_rates',
      ['second', 'first', 'economy', 'europe', 'rest-of-world'].flatMap((postClass, i) =>
        [1, 2, 3, 4, 5].map((sheets) => ({
          key: `letter_rate:2023-04-01:${postClass}:${sheets}`,
          start_date: '2023-04-01T00:00:00Z',
          end_date: null,
          sheet_count: sheets,
          post_class: postClass,
          rate: (0.5 + i * 0.1 + sheets * 0.05).toFixed(2),
          version: String(i * 5 + sheets),
          is_deleted: 0,
        })),
      ),
    );

    const notifications = Math.ceil(EVENTS / EVENTS_PER_NOTIFICATION);
    const perBatch = Math.max(1, Math.floor(BATCH / EVENTS_PER_NOTIFICATION));
    let insertMs = 0;
    for (let done = 0; done < notifications; ) {
      const out: Generated = { events: [], despatches: [], inbound: [] };
      const n = Math.min(perBatch, notifications - done);
      for (let i = 0; i < n; i++) notification(out, done + i, notifications);
      const t0 = performance.now();
      await insert(ch.client, 'notification_events', out.events);
      await insert(ch.client, 'letter_despatches', out.despatches);
      await insert(ch.client, 'inbound_sms', out.inbound);
      insertMs += performance.now() - t0;
      done += n;
      log(`inserted ${done.toLocaleString()} / ${notifications.toLocaleString()} notifications`);
    }
    const t1 = performance.now();
    await generateFacts(ch.client);
    const factsMs = performance.now() - t1;
    log('facts generated');

    const tables = ['notification_events', 'letter_despatches', 'inbound_sms', 'fact_notification_status', 'fact_billing', 'fact_letter_despatch'];
    const t2 = performance.now();
    for (const t of tables) await ch.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
    const optimizeMs = performance.now() - t2;
    log('optimized');

    // The same rows with ZSTD(1) on every column: what a codec change would give (not the schema's codec).
    const t3 = performance.now();
    const cols = await queryRows<{ name: string; type: string }>(
      ch.client,
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'notification_events' ORDER BY position`,
    );
    await ch.client.command({
      query: `CREATE TABLE notification_events_zstd (${cols.map((c) => `${c.name} ${c.type} CODEC(ZSTD(1))`).join(', ')})
              ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(created_day) ORDER BY (created_day, notification_id, event_id)`,
    });
    await ch.client.command({ query: 'INSERT INTO notification_events_zstd SELECT * FROM notification_events' });
    await ch.client.command({ query: 'OPTIMIZE TABLE notification_events_zstd FINAL' });
    const zstdMs = performance.now() - t3;

    const stats = await tableStats(ch.client);
    const columns = await queryRows<{ name: string; compressed: number; uncompressed: number; codec: string }>(
      ch.client,
      `SELECT name, data_compressed_bytes AS compressed, data_uncompressed_bytes AS uncompressed, compression_codec AS codec
       FROM system.columns WHERE database = currentDatabase() AND table = 'notification_events' ORDER BY data_compressed_bytes DESC`,
    );
    const eventRows = stats.notification_events?.rows ?? 0;

    let rollup: Record<string, unknown> | null = null;
    if (!args['no-rollup']) {
      const peakDay = dayOf(FIRST_DAY + 14 * 86_400_000);
      const [peak] = await queryRows<{ n: number }>(
        ch.client,
        'SELECT uniqExact(notification_id) AS n FROM notification_events WHERE created_day = {day: Date}',
        { day: peakDay },
      );
      const logger = createLogger('storage');
      logger.level = 'error';
      const runner = new RollupRunner(ch.client, logger);
      try {
        const repair = async () => {
          const t = performance.now();
          await Promise.all([runner.repair([peakDay]), runner.runPending()]);
          return Math.round(performance.now() - t);
        };
        await repair(); // the first repair counts the day
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) runs.push(await repair());
        const ms = Math.min(...runs);
        rollup = {
          day: peakDay,
          notifications: Number(peak?.n ?? 0),
          repair_ms: runs,
          best_ms: ms,
          ms_per_million_notifications: round((ms / Number(peak?.n ?? 1)) * 1e6, 0),
        };
      } finally {
        await runner.release();
      }
      log('rollup timed');
    }

    const result = {
      measured_at: new Date().toISOString(),
      what: 'compressed bytes per row after OPTIMIZE TABLE ... FINAL, embedded engine (chdb), default codecs (LZ4)',
      engine: { chdb_clickhouse_version: version?.v, cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gb: round(totalmem() / 2 ** 30, 1) },
      input: {
        events: eventRows,
        notifications,
        events_per_notification: EVENTS_PER_NOTIFICATION,
        services: SERVICES,
        event_days: DAYS,
        peak_day_share: round(PEAK_DAY_SHARE, 3),
        type_mix: { email: 0.6, sms: 0.35, letter: 0.05 },
        fact_days: FACT_DAYS,
        fact_model: FACT_MODEL,
        batch_rows: BATCH,
      },
      tables: stats,
      bytes_per_event_row: {
        notification_events: stats.notification_events?.compressed_bytes_per_row,
        notification_events_on_disk: stats.notification_events?.bytes_on_disk_per_row,
        notification_events_if_zstd1: stats.notification_events_zstd?.bytes_on_disk_per_row,
        raw_layer_per_status_event: round(
          ['notification_events', 'letter_despatches', 'inbound_sms'].reduce((sum, t) => sum + (stats[t]?.bytes_on_disk ?? 0), 0) / eventRows,
        ),
      },
      bytes_per_fact_row: {
        fact_notification_status: stats.fact_notification_status?.bytes_on_disk_per_row,
        fact_billing: stats.fact_billing?.bytes_on_disk_per_row,
        fact_letter_despatch: stats.fact_letter_despatch?.bytes_on_disk_per_row,
      },
      notification_events_columns: columns.map((c) => ({
        name: c.name,
        compressed_bytes_per_row: round(Number(c.compressed) / eventRows),
        uncompressed_bytes_per_row: round(Number(c.uncompressed) / eventRows),
      })),
      rollup_day_build: rollup,
      timings_ms: {
        insert_json_each_row: Math.round(insertMs),
        insert_events_per_second: Math.round(eventRows / (insertMs / 1000)),
        facts_generation: Math.round(factsMs),
        optimize_final: Math.round(optimizeMs),
        zstd_copy: Math.round(zstdMs),
        total: Math.round(performance.now() - started),
      },
    };
    mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
    writeFileSync(path.resolve(args.out), `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${args.out}`);
    process.stdout.write(`${JSON.stringify({ bytes_per_event_row: result.bytes_per_event_row, bytes_per_fact_row: result.bytes_per_fact_row, rollup: rollup }, null, 2)}\n`);
  } finally {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
