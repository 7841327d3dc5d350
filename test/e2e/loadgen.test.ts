import { afterAll, beforeAll, expect, it } from 'vitest';
import { DLQ_TOPICS } from '@notify-stats/events';
import { expectedDailyVolumes, expectedPlatformStats, produce, type ProduceResult } from '@notify-stats/loadgen';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';

let broker: TestBroker;
let p: TestPipeline;
let run: ProduceResult;

const END = '2024-06-30';

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers);
  run = await produce(p.kafka, {
    count: 200_000,
    days: 30,
    endDay: END,
    services: 25,
    seed: 20241122,
    lateFraction: 0.05,
    duplicateFraction: 0.02,
    invalidFraction: 0.005,
  });
  await p.waitForFacts(Date.now(), 180_000);
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

it('produced what it was asked for', () => {
  expect(run.acknowledged).toBe(200_000);
  expect(run.tally.messages.total).toBe(200_000);
  expect(run.tally.invalid.total).toBe(1000);
});

it('reports exactly the load generator tally, day by day and in total', async () => {
  const first = run.tally.options.firstDay;
  const stats = await p.get(`/platform-stats?start_date=${first}&end_date=${END}`);
  expect(stats.json()).toEqual(expectedPlatformStats(run.tally, first, END));
  const volumes = await p.get(`/platform-stats/daily-volumes-report?start_date=${first}&end_date=${END}`);
  expect(volumes.json()).toEqual(expectedDailyVolumes(run.tally, first, END));
  // A single day too (the reports are per London day, not per range).
  const mid = run.tally.days[10]!.day;
  expect((await p.get(`/platform-stats?start_date=${mid}&end_date=${mid}`)).json()).toEqual(expectedPlatformStats(run.tally, mid, mid));
});

it('holds exactly the invalid messages in the DLQ', async () => {
  let dead = 0;
  for (const topic of DLQ_TOPICS) dead += (await p.admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  expect(dead).toBe(run.tally.invalid.total);
});
