import { afterAll, beforeAll, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { openClickhouse, queryRows } from '@notify-stats/clickhouse';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, createKafka } from '@notify-stats/kafka';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { spawnService } from '../support/child.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
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

  const events = Array.from({ length: 60_000 }, () => statusEvent());
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
    const [row] = await queryRows<{ rows: number; distinct_events: number }>(
      ch.client,
      'SELECT count() AS rows, uniqExact(event_id) AS distinct_events FROM notification_events FINAL',
    );
    expect(row).toEqual({ rows: 60_000, distinct_events: 60_000 });
  } finally {
    await ch.close();
  }
});
