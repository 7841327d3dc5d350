// A partition whose consumer stops moving it without any error: the write of one batch never
// returns (kafkajs can lose track of a partition the same silent way after broker losses, as the
// three-broker test saw). Nothing fails, so the stall tracker sees nothing; the stuck-partition
// watchdog must notice the lag that does not move, replace the consumer, and lose nothing. And
// what it calls lag must be readable at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import type { BatchSink } from '@notify-stats/ingest';
import { consumerLag } from '@notify-stats/kafka';
import { metricsRegistry } from '@notify-stats/runtime';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';

let broker: TestBroker;
let p: TestPipeline;
/** The partition whose first write hangs, once. */
const hung: { partition: number | null } = { partition: null };
const hangOnce = (base: BatchSink): BatchSink => ({
  write: (topic, outcome) => {
    const first = outcome.notificationEvents[0];
    if (hung.partition === null && topic === TOPICS.notificationStatus && first) {
      hung.partition = first.source_partition;
      return new Promise(() => undefined);
    }
    return base.write(topic, outcome);
  },
});

beforeAll(async () => {
  broker = await startTestBroker();
  // The broker's minimum session timeout, so the consumer left behind loses its partitions soon.
  p = await startPipeline(broker.brokers, { sink: hangOnce, stuckAfterMs: 3_000, sessionTimeoutMs: 6_000 });
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

const restarts = async () => Number(/^notify_stats_ingest_consumer_restarts_total (\d+)/m.exec(await metricsRegistry.metrics())?.[1] ?? 0);

it('replaces a consumer whose partition lags with nothing committed and no failing write, and loses nothing', async () => {
  const service_id = 'e1000000-0000-4000-8000-000000000001';
  const before = await restarts();
  const events = Array.from({ length: 3_000 }, () => statusEvent({ service_id }));
  await produce(p.producer, TOPICS.notificationStatus, events.map(statusMessage));
  // Without the watchdog the hung partition's lag never moves and this times out.
  await p.waitForLagZero(120_000);
  expect(hung.partition).not.toBeNull();
  expect(await restarts()).toBeGreaterThan(before);
  const [row] = await queryRows<{ n: string }>(p.ch.client, 'SELECT uniqExact(event_id) AS n FROM notification_events WHERE service_id = {service_id: UUID}', { service_id });
  expect(Number(row?.n)).toBe(3_000);
  // Not a failing write: the stall tracker had nothing to say, before or after.
  expect(p.ingest.stalls()).toEqual([]);
}, 180_000);

it('counts as lag only what can still be read: messages retention deleted before the group read them are not lag', async () => {
  // A partition emptied by retention and never committed would otherwise lag for ever, and the
  // watchdog would replace its consumer every INGEST_STUCK_AFTER_MS.
  const topic = 'lag-after-retention';
  const groupId = 'lag-after-retention-group';
  await p.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await p.producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i) })) });
  const lagOf = async () => (await consumerLag(p.admin, groupId, [topic]))[0];
  expect(await lagOf()).toMatchObject({ committed: 0, end: 10, lag: 10 });
  await p.admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '6' }] });
  expect(await lagOf()).toMatchObject({ committed: 0, end: 10, lag: 4 });
  await p.admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '8' }] });
  expect(await lagOf()).toMatchObject({ committed: 8, end: 10, lag: 2 });
  await p.admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] });
  expect(await lagOf()).toMatchObject({ committed: 8, end: 10, lag: 0 });
});
