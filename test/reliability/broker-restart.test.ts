import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import { startLocalKafka, type LocalKafka } from '@notify-stats/local-kafka';
import { tempDir } from '../support/broker.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';

let kafka: LocalKafka;
let p: TestPipeline;
const dataDir = tempDir('kafka-restart');

beforeAll(async () => {
  kafka = await startLocalKafka({ dataDir, port: 0 });
  p = await startPipeline(kafka.brokers);
});
afterAll(async () => {
  await p?.stop();
  await kafka?.stop();
});

it('reconnects by itself after the broker stops and starts again mid-stream, losing nothing', async () => {
  const events = Array.from({ length: 30_000 }, () => statusEvent({ created_at: '2024-11-01T10:00:00Z', updated_at: '2024-11-01T10:00:01Z' }));
  await produce(p.producer, TOPICS.notificationStatus, events.slice(0, 15_000).map(statusMessage));
  // Stop while the worker is still draining the first half.
  await kafka.stop();
  await new Promise((r) => setTimeout(r, 3000));
  kafka = await startLocalKafka({ dataDir, port: kafka.port });
  await produce(p.producer, TOPICS.notificationStatus, events.slice(15_000).map(statusMessage));
  await p.waitForLagZero(180_000);
  await p.waitForFacts(Date.now(), 120_000);
  const [row] = await queryRows<{ n: number }>(p.ch.client, 'SELECT count() AS n FROM notification_events FINAL');
  expect(row?.n).toBe(30_000);
  const stats = (await p.get('/platform-stats?start_date=2024-11-01&end_date=2024-11-01')).json<{ sms: { total: number } }>();
  expect(stats.sms.total).toBe(30_000);
});
