import { writeFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, createKafka, ensureTopics } from '@notify-stats/kafka';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { spawnService } from '../support/child.ts';
import { TOPICS, produce, statusEvent, statusMessage } from '../support/events.ts';
import { samplePeakRss } from '../support/rss.ts';
import { waitFor } from '../support/wait.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => broker?.stop());

// Backpressure means the worker fetches at most a few MB per partition and writes before it
// fetches more, so its memory does not grow with the backlog: draining four times the backlog
// must not need much more memory than draining one.
it('keeps the worker memory bounded however large the backlog it drains', async () => {
  const logger = createLogger('test');
  logger.level = 'error';
  const kafka = createKafka(broker.brokers, 'rss-test', logger);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  await ensureTopics(admin, 6);
  const env = { KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: tempDir('rss') };

  const drain = async (backlog: number) => {
    for (let i = 0; i < backlog; i += 20_000) {
      await produce(producer, TOPICS.notificationStatus, Array.from({ length: Math.min(20_000, backlog - i) }, () => statusMessage(statusEvent())));
    }
    const worker = spawnService('ingest', env);
    const sampler = samplePeakRss(worker.process.pid as number);
    const started = Date.now();
    await waitFor('the backlog to drain', async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).every((p) => p.lag === 0), 300_000, 200);
    const seconds = (Date.now() - started) / 1000;
    const peak = sampler.stop();
    worker.process.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    return { backlog, peakRssMb: Math.round(peak), seconds: Math.round(seconds * 10) / 10 };
  };

  const small = await drain(50_000);
  const large = await drain(200_000);
  await Promise.all([producer.disconnect(), admin.disconnect()]);
  mkdirSync('../test-artifacts', { recursive: true });
  writeFileSync('../test-artifacts/resource-bounds.json', JSON.stringify({ small, large }, null, 2));
  expect(large.peakRssMb).toBeLessThan(small.peakRssMb * 1.5);
});
