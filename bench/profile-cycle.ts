import { migrate, openClickhouse, type ClickHouseClient } from '@notify-stats/clickhouse';
import { RollupRunner } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { tempDir } from '../test/support/broker.ts';
const SERVICES = 2000;
const dir = tempDir('profile');
const ch = await openClickhouse({ path: dir });
await migrate(ch.client);
const logger = createLogger('p'); logger.level = 'error';
let last = performance.now();
const times = new Map<string, number[]>();
const runner = new RollupRunner(ch.client, logger, { lease: null, windowCap: Number(process.env.CAP ?? 200000), hooks: { afterStep: (name) => { const now = performance.now(); (times.get(name) ?? times.set(name, []).get(name)!).push(Math.round(now - last)); last = now; } } });
const N = Number(process.env.N ?? 100000);
let t = performance.now();
await insertNotifications(ch.client, `toDate('2024-04-15')`, N, `toDateTime64('2024-04-15 00:00:00', 6, 'Europe/London')`, 86_400_000);
console.log('insert', Math.round(performance.now() - t));
t = performance.now(); last = t;
const r = await runner.runPending();
console.log('runPending', Math.round(performance.now() - t), 'cycles', r.length);
console.log(JSON.stringify(Object.fromEntries([...times].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0)]))));
times.clear();
// small windows: 5k events on top
for (let i = 0; i < 3; i++) {
  await ch.client.command({ query: `INSERT INTO notification_events SELECT generateUUIDv4(), notification_id, service_id, template_id, job_id, notification_type, key_type, 'permanent-failure', 12, created_at, created_day, updated_at + toIntervalDay(1), billable_units, rate_multiplier, international, sent_by, postage, 7, ${i} * 5000 + rowNumberInAllBlocks() FROM (SELECT * FROM notification_events WHERE status = 'delivered' LIMIT 5000 OFFSET ${i * 5000}) ORDER BY notification_id` });
  t = performance.now(); last = t;
  await runner.runOnce();
  console.log('small cycle', Math.round(performance.now() - t), JSON.stringify(Object.fromEntries([...times].map(([k, v]) => [k, v.at(-1)]))));
}
await ch.close();
process.exit(0);
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
