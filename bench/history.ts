// Generated history for the rollup and freshness benchmarks: raw status events made inside the
// engine (INSERT ... SELECT FROM numbers()), not sent through Kafka.
import type { ClickHouseClient } from '@notify-stats/clickhouse';

export const SERVICES = 2000;

/** Generated history lands without the change log's view, as rows from before the logs did. */
export async function withoutChangeLog(client: ClickHouseClient, f: () => Promise<void>) {
  await client.command({ query: 'DETACH TABLE notification_changes_v2_mv' });
  try {
    await f();
  } finally {
    await client.command({ query: 'ATTACH TABLE notification_changes_v2_mv' });
  }
}

/**
 * `m` notifications (n = 0..m-1), 4 status events each: created, sending, pending, outcome.
 * 60% email / 35% sms / 5% letter, 2,000 services (skewed), 8 templates each, 5% failures.
 * `dayExpr` and `startExpr` are SQL in `number`: the London day and its first instant;
 * creation times spread over `spreadMs` from there.
 */
export async function insertNotifications(client: ClickHouseClient, dayExpr: string, m: number, startExpr: string, spreadMs: number) {
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
      FROM (SELECT number AS n,
                   toUInt32(${SERVICES} * pow((cityHash64(number, 's') % 1000000) / 1000000, 3)) AS svc,
                   multiIf(cityHash64(number, 'y') % 20 < 12, 'email', cityHash64(number, 'y') % 20 < 19, 'sms', 'letter') AS typ,
                   ${dayExpr} AS day,
                   toDateTime64(${startExpr}, 6, 'UTC') + toIntervalMillisecond(cityHash64(number, 'c') % ${spreadMs}) AS created
            FROM numbers(${m})) AS notifications
      ARRAY JOIN [0, 1, 2, 3] AS e`,
    clickhouse_settings: { max_partitions_per_insert_block: '0' },
  });
}
