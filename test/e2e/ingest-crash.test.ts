import { afterAll, beforeAll, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { buildApp } from '@notify-stats/api';
import { openClickhouse, queryRows } from '@notify-stats/clickhouse';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, createKafka } from '@notify-stats/kafka';
import { RollupRunner } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { spawnService } from '../support/child.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { ADMIN, adminToken } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => broker?.stop());

// The worker runs in its own process so it can die for real (SIGKILL: no shutdown, no commit),
// and this process opens its engine only after the last worker has exited.
it('loses and doubles nothing when the worker is killed mid-stream and restarted', async () => {
  const dataDir = tempDir('crash');
  const env = { KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dataDir };
  const logger = createLogger('test');
  logger.level = 'error';
  const kafka = createKafka(broker.brokers, 'crash-test', logger);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);

  // Event i: type TYPES[i % 3], London day DAYS[i % 10]; (i % 3, i % 10) is i % 30, so each of
  // the 30 (type, day) pairs has 60,000 / 30 = 2,000 notifications. SMS are 2 fragments each,
  // letters 3 sheets each (second class), emails 0 units.
  const TYPES = ['sms', 'email', 'letter'] as const;
  const DAYS = Array.from({ length: 10 }, (_, d) => `2024-04-${String(d + 1).padStart(2, '0')}`);
  const events = Array.from({ length: 60_000 }, (_, i) => {
    const type = TYPES[i % 3]!;
    const day = DAYS[i % 10]!;
    return statusEvent({
      notification_type: type,
      created_at: `${day}T10:00:00.000Z`,
      updated_at: `${day}T10:00:05.000Z`,
      billable_units: type === 'sms' ? 2 : type === 'letter' ? 3 : 0,
      rate_multiplier: type === 'sms' ? 1 : null,
      sent_by: type === 'sms' ? 'mmg' : type === 'letter' ? 'dvla' : 'ses',
      postage: type === 'letter' ? 'second' : null,
    });
  });
  const first = spawnService('ingest', env);
  // Let the worker join and start writing, then keep producing while it is killed.
  await produce(producer, TOPICS.notificationStatus, events.slice(0, 20_000).map(statusMessage));
  await waitFor('the worker to commit something', async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).some((p) => p.committed > 0), 60_000, 100);
  const producing = produce(producer, TOPICS.notificationStatus, events.slice(20_000).map(statusMessage), 500);
  await new Promise((r) => setTimeout(r, 300));
  first.process.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  await producing;
  // Redeliver a slice on purpose as well: a producer retry after a lost ack looks like this.
  await produce(producer, TOPICS.notificationStatus, events.slice(10_000, 12_000).map(statusMessage));

  const second = spawnService('ingest', env);
  await waitFor(
    'lag 0 after the restart',
    async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).every((p) => p.lag === 0),
    120_000,
  );
  second.process.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  await Promise.all([producer.disconnect(), admin.disconnect()]);

  const ch = await openClickhouse({ path: `${dataDir}/clickhouse` });
  try {
    // Lost: every one of the 60,000 event ids is in the raw layer. (Raw rows may repeat: the
    // re-sent slice and the killed worker's uncommitted tail are written twice by design.)
    const [raw] = await queryRows<{ distinct_events: number }>(ch.client, 'SELECT uniqExact(event_id) AS distinct_events FROM notification_events');
    expect(Number(raw?.distinct_events)).toBe(60_000);

    // Doubled (and lost): the reports, built by the rollups from the raw layer, against hand-computed counts.
    await new RollupRunner(ch.client, logger).runPending();
    const app = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {} });
    try {
      const get = async (url: string) => {
        const res = await app.inject({ url, headers: { authorization: `Bearer ${await adminToken()}` } });
        expect(res.statusCode, url).toBe(200);
        return res.json();
      };
      const perType = { total: 20_000, delivered: 20_000, failed: 0, requested: 20_000, 'technical-failure': 0, 'temporary-failure': 0, 'permanent-failure': 0 };
      expect(await get('/platform-stats?start_date=2024-04-01&end_date=2024-04-30')).toEqual({ sms: perType, email: perType, letter: perType });
      expect(await get('/platform-stats/daily-volumes-report?start_date=2024-04-01&end_date=2024-04-30')).toEqual(
        DAYS.map((day) => ({
          day,
          sms_totals: 2_000,
          sms_fragment_totals: 4_000,
          sms_chargeable_units: 4_000,
          email_totals: 2_000,
          letter_totals: 2_000,
          letter_sheet_totals: 6_000,
        })),
      );
    } finally {
      await app.close();
    }
  } finally {
    await ch.close();
  }
});
