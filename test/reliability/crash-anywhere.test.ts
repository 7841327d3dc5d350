import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '@notify-stats/api';
import { openClickhouse, queryRows } from '@notify-stats/clickhouse';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, createKafka, ensureTopics } from '@notify-stats/kafka';
import { expectedDailyVolumes, expectedPlatformStats, produce } from '@notify-stats/loadgen';
import { RollupRunner } from '@notify-stats/rollups';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { spawnService } from '../support/child.ts';
import { ADMIN, adminToken } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

const KILLS = 20;
const EVENTS = 1_000_000;
const END = '2024-03-31';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => broker?.stop());

// A fixed pseudo-random sequence of kill moments, so a failure can be replayed.
function moments(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % 1500;
  });
}

it(`loses and doubles nothing when the worker is SIGKILLed ${KILLS} times while ${EVENTS} events flow`, async () => {
  const logger = createLogger('test');
  logger.level = 'error';
  const kafka = createKafka(broker.brokers, 'crash-anywhere', logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, 6);
  const dataDir = tempDir('crash-anywhere');
  // A killed worker never says goodbye: its partitions wait for the session timeout (the broker's minimum here).
  const env = { KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dataDir, INGEST_SESSION_TIMEOUT_MS: '6000' };

  const producing = produce(kafka, { count: EVENTS, days: 14, endDay: END, services: 40, seed: 7, lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.001, rate: 40_000 });
  const kills: Array<{ afterMs: number; committed: number }> = [];
  const committedNow = async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).reduce((n, p) => n + p.committed, 0);
  // New topics answer "not the leader" for a moment after their creation.
  await waitFor('the topics to have leaders', async () => (await committedNow()) >= 0);
  for (const wait of moments(99, KILLS)) {
    const before = await committedNow();
    const worker = spawnService('ingest', env);
    // Once it is really working (it committed), die at an arbitrary moment of its write-commit loop.
    await waitFor('the worker to commit', async () => (await committedNow()) > before, 120_000, 50);
    await new Promise((r) => setTimeout(r, wait));
    worker.process.kill('SIGKILL');
    expect(await worker.exited).toBe('SIGKILL');
    kills.push({ afterMs: wait, committed: await committedNow() });
  }
  const run = await producing;
  const killsDone = Date.now();
  const last = spawnService('ingest', env);
  await waitFor('lag 0', async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).every((p) => p.lag === 0), 300_000, 500);
  const drainedMs = Date.now() - killsDone;
  last.process.kill('SIGTERM');
  expect(await last.exited).toBe(0);
  await admin.disconnect();
  // Every kill hit a worker in the middle of the stream.
  expect(new Set(kills.map((k) => k.committed)).size).toBe(KILLS);

  const ch = await openClickhouse({ path: `${dataDir}/clickhouse` });
  try {
    await new RollupRunner(ch.client, logger).runPending();
    const app = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {} });
    const get = async (url: string) => (await app.inject({ url, headers: { authorization: `Bearer ${await adminToken()}` } })).json();
    const first = run.tally.options.firstDay;
    const stats = await get(`/platform-stats?start_date=${first}&end_date=${END}`);
    const volumes = await get(`/platform-stats/daily-volumes-report?start_date=${first}&end_date=${END}`);
    const [raw] = await queryRows<{ rows: number; distinct_events: number }>(
      ch.client,
      'SELECT count() AS rows, uniqExact(event_id) AS distinct_events FROM notification_events FINAL',
    );
    mkdirSync('../test-artifacts', { recursive: true });
    writeFileSync('../test-artifacts/crash-anywhere.json', JSON.stringify({ kills, drainedAfterKillsMs: drainedMs, raw, produced: run.tally.messages }, null, 2));
    expect(stats).toEqual(expectedPlatformStats(run.tally, first, END));
    expect(volumes).toEqual(expectedDailyVolumes(run.tally, first, END));
    expect(raw?.rows).toBe(raw?.distinct_events);
    await app.close();
  } finally {
    await ch.close();
  }
}, 600_000);
