import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, createKafka, ensureTopics } from '@notify-stats/kafka';
import { expectedDailyVolumes, expectedPlatformStats, produce } from '@notify-stats/loadgen';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, tempDir, type TestBroker } from '../support/broker.ts';
import { spawnService, type ChildService } from '../support/child.ts';
import { ADMIN, adminToken } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

const KILLS = 20;
/** At least this many messages flow; more when the kills take longer than the producer's pace. */
const MIN_EVENTS = 1_000_000;
/** The producer's pace: about the stream the 20 kills take on this machine, never a bound the test relies on. */
const RATE = 8_000;
/** More than any run produces (about 10 minutes at RATE): the stream is stopped after the last kill, never finished. */
const PLANNED = 5_000_000;
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

/** The API address the whole pipeline prints once it is up (PORT=0 picks a free one). */
const apiUrlOf = (service: ChildService) => /API\s+(http:\/\/\S+)/.exec(service.output())?.[1];

// Each life is the whole pipeline in one process (`notify-stats start`: ingest, rollups and the
// API on one embedded engine), so a kill lands in the middle of a write, a commit or a rollup
// cycle alike. The stream keeps flowing until the last kill, however fast the worker drains it.
it(`loses and doubles nothing when the pipeline is SIGKILLed ${KILLS} times while at least ${MIN_EVENTS} events flow`, async () => {
  const logger = createLogger('test');
  logger.level = 'error';
  const kafka = createKafka(broker.brokers, 'crash-anywhere', logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, 6);
  const dataDir = tempDir('crash-anywhere');
  // A killed worker never says goodbye: its partitions wait for the session timeout (the broker's minimum here).
  const env = {
    KAFKA_BROKERS: broker.brokers.join(','),
    DATA_DIR: dataDir,
    INGEST_SESSION_TIMEOUT_MS: '6000',
    PORT: '0',
    ADMIN_CLIENT_SECRET: ADMIN.secret,
    ROLLUP_INTERVAL_MS: '250',
    ROLLUP_SAFETY_CRON: '',
  };

  let acknowledged = 0;
  const stopProducing = new AbortController();
  const producing = produce(
    kafka,
    { count: PLANNED, days: 14, endDay: END, services: 40, seed: 7, lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.001, rate: RATE },
    (p) => (acknowledged = p.acknowledged),
    stopProducing.signal,
  );
  let producingEnded = false;
  void producing.finally(() => (producingEnded = true)).catch(() => undefined);

  const kills: Array<{ afterMs: number; committed: number; acknowledged: number; producing: boolean }> = [];
  const committedNow = async () => (await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS)).reduce((n, p) => n + p.committed, 0);
  // New topics answer "not the leader" for a moment after their creation.
  await waitFor('the topics to have leaders', async () => (await committedNow()) >= 0);
  for (const wait of moments(99, KILLS)) {
    const before = await committedNow();
    const life = spawnService('start', env);
    // Once it is really working (it committed), die at an arbitrary moment of its write-commit loop.
    await waitFor('the pipeline to commit', async () => {
      if (life.process.exitCode !== null || life.process.signalCode !== null) throw new Error(`the pipeline exited before it committed:\n${life.output()}`);
      return (await committedNow()) > before;
    }, 120_000, 50);
    await new Promise((r) => setTimeout(r, wait));
    life.process.kill('SIGKILL');
    expect(await life.exited).toBe('SIGKILL');
    kills.push({ afterMs: wait, committed: await committedNow(), acknowledged, producing: !producingEnded });
  }
  // The last kill is behind us: stop the stream once it has carried at least MIN_EVENTS, and
  // about one more second of it, so that even the last kill had messages produced after it.
  const enough = Math.max(MIN_EVENTS, (kills.at(-1)?.acknowledged ?? 0) + RATE);
  await waitFor(`${enough} messages acknowledged`, async () => acknowledged >= enough || producingEnded, 600_000, 200);
  stopProducing.abort();
  const run = await producing;
  const producedAt = Date.now();

  const killsDone = Date.now();
  const last = spawnService('start', env);
  const api = await waitFor('the API to listen', async () => apiUrlOf(last), 120_000);
  const get = async (url: string) => {
    const res = await fetch(`${api}${url}`, { headers: { authorization: `Bearer ${await adminToken()}` } });
    return { status: res.status, asOf: res.headers.get('x-data-as-of'), body: await res.json() };
  };
  // X-Data-As-Of passes the end of the stream only once every message is committed and the
  // rollups that ran beside the ingest have built what it wrote.
  await waitFor(
    'X-Data-As-Of to pass the end of the stream',
    async () => {
      const { asOf } = await get('/platform-stats');
      return asOf !== null && Date.parse(asOf) >= producedAt;
    },
    300_000,
    500,
  );
  const drainedMs = Date.now() - killsDone;
  const first = run.tally.options.firstDay;
  const stats = await get(`/platform-stats?start_date=${first}&end_date=${END}`);
  const volumes = await get(`/platform-stats/daily-volumes-report?start_date=${first}&end_date=${END}`);
  const lag = await consumerLag(admin, INGEST_GROUP_ID, SOURCE_TOPICS);
  last.process.kill('SIGTERM');
  expect(await last.exited).toBe(0);
  await admin.disconnect();

  mkdirSync('../test-artifacts', { recursive: true });
  writeFileSync(
    '../test-artifacts/crash-anywhere.json',
    JSON.stringify({ kills, drainedAfterKillsMs: drainedMs, produced: run.tally.messages, notifications: run.tally.notifications.counted }, null, 2),
  );
  // The stream really was at least MIN_EVENTS long and stopped only after the last kill.
  expect(run.tally.messages.total).toBeGreaterThanOrEqual(MIN_EVENTS);
  expect(run.aborted).toBe(true);
  // Every kill landed mid-stream: while the producer was still sending, with messages still to
  // consume after it, and after the life it ended had committed something of its own.
  for (const kill of kills) {
    expect(kill.producing).toBe(true);
    expect(kill.committed).toBeLessThan(run.tally.messages.total);
    expect(kill.acknowledged).toBeLessThan(run.tally.messages.total);
  }
  expect(new Set(kills.map((k) => k.committed)).size).toBe(KILLS);
  expect(lag.every((p) => p.lag === 0)).toBe(true);
  // Lost or doubled notifications, statuses or units would each move one of these numbers.
  expect(stats.status).toBe(200);
  expect(stats.body).toEqual(expectedPlatformStats(run.tally, first, END));
  expect(volumes.body).toEqual(expectedDailyVolumes(run.tally, first, END));
}, 900_000);
