// One embedded-engine task in its own process (one chdb session per process):
//   tsx bench/chdb-task.ts count <clickhouse-path>
//   tsx bench/chdb-task.ts engine <clickhouse-path> <brokers> <group> <expected-rows> <consumers> <timeout-ms>
// Prints one JSON line on stdout.
import { migrate, openClickhouse, queryRows } from '@notify-stats/clickhouse';
import { TOPICS } from '@notify-stats/events';

const [mode, chPath, brokers, group, expectedArg, consumersArg, timeoutArg] = process.argv.slice(2);
const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);

const ch = await openClickhouse({ path: chPath as string });
try {
  if (mode === 'count') {
    const [r] = await queryRows<{ n: string }>(ch.client, 'SELECT count() AS n FROM notification_events');
    const [u] = await queryRows<{ n: string }>(ch.client, 'SELECT uniqExact(event_id) AS n FROM notification_events');
    out({ rows: Number(r?.n ?? 0), unique_events: Number(u?.n ?? 0) });
  } else if (mode === 'engine') {
    await migrate(ch.client);
    const expected = Number(expectedArg);
    const timeoutMs = Number(timeoutArg ?? 600_000);
    // The status snapshot as JSON (events.md), into a table shaped like notification_events.
    const started = performance.now();
    try {
      await ch.client.command({
        query: `CREATE TABLE bench_status_queue (
          event_id UUID, notification_id UUID, service_id UUID, template_id Nullable(UUID), job_id Nullable(UUID),
          notification_type LowCardinality(String), key_type LowCardinality(String), status LowCardinality(String),
          created_at DateTime64(6, 'UTC'), updated_at DateTime64(6, 'UTC'), billable_units UInt32,
          rate_multiplier Nullable(UInt32), international Nullable(Bool), sent_by LowCardinality(Nullable(String)),
          postage LowCardinality(Nullable(String)))
        ENGINE = Kafka SETTINGS kafka_broker_list = '${brokers}', kafka_topic_list = '${TOPICS.notificationStatus}',
          kafka_group_name = '${group}', kafka_format = 'JSONEachRow', kafka_num_consumers = ${Number(consumersArg ?? 1)},
          kafka_skip_broken_messages = 1000000`,
      });
      await ch.client.command({ query: 'CREATE TABLE bench_engine_events AS notification_events' });
      await ch.client.command({
        query: `CREATE MATERIALIZED VIEW bench_engine_mv TO bench_engine_events AS
          SELECT event_id, notification_id, service_id, template_id, job_id, notification_type, key_type, status,
                 indexOf(['created','pending-virus-check','sending','pending','sent','delivered','cancelled','returned-letter',
                          'validation-failed','virus-scan-failed','technical-failure','temporary-failure','permanent-failure','failed'], status) - 1 AS status_rank,
                 created_at, toDate(created_at, 'Europe/London') AS created_day, updated_at, billable_units, rate_multiplier,
                 international, sent_by, postage, _partition AS source_partition, _offset AS source_offset
          FROM bench_status_queue`,
      });
    } catch (err) {
      out({ error: (err as Error).message.slice(0, 2000), stage: 'create' });
      process.exitCode = 0;
      await ch.close();
      process.exit(0);
    }
    let rows = 0;
    let lastChange = performance.now();
    for (;;) {
      const [r] = await queryRows<{ n: string }>(ch.client, 'SELECT count() AS n FROM bench_engine_events');
      const n = Number(r?.n ?? 0);
      if (n !== rows) lastChange = performance.now();
      rows = n;
      if (rows >= expected) break;
      if (performance.now() - started > timeoutMs) {
        let errors: unknown = null;
        try {
          errors = await queryRows(ch.client, "SELECT * FROM system.kafka_consumers FORMAT JSONEachRow").catch(() => null);
        } catch {
          // older engines have no system.kafka_consumers
        }
        out({ error: `timeout: ${rows} of ${expected} rows after ${timeoutMs} ms (last change ${Math.round(performance.now() - lastChange)} ms ago)`, rows, consumers: errors });
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (rows >= expected) out({ ms: Math.round(performance.now() - started), rows });
    await ch.client.command({ query: 'DROP TABLE bench_engine_mv' }).catch(() => undefined);
    await ch.client.command({ query: 'DROP TABLE bench_status_queue' }).catch(() => undefined);
  }
} finally {
  await ch.close();
}
