// The pipeline on a three-broker KRaft cluster, through the failures a cluster is for: the leader
// of the busiest partitions SIGKILLed mid-stream, the group coordinator stopped longer than the
// session timeout and brought back, partitions added while the pipeline runs, and two ingest
// workers in one group (one process: the embedded engine belongs to one) through the rebalances.
// One cluster, one pipeline and one stream carry every scenario in turn, to keep the file short;
// the reports are compared with the load generator's tally at the end.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import { DLQ_TOPICS, SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag, replicasInSyncEverywhere } from '@notify-stats/kafka';
import { expectedDailyVolumes, expectedPlatformStats, produce, type ProduceResult } from '@notify-stats/loadgen';
import { startTestCluster, type TestCluster } from '../support/broker.ts';
import { busiestLeader, groupAssignments, groupCoordinator } from '../support/cluster-state.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

/** Messages a second per stream: well under what the pipeline drains, so the stream is live throughout. */
const RATE = 2_000;
/** More than any run sends: each stream is stopped, never finished. */
const PLANNED = 2_000_000;
/** The broker's minimum: a worker that stops heartbeating loses its partitions after this. */
const SESSION_TIMEOUT_MS = 6_000;
/** Partitions of the event topics after growing them (from 6); reference data is never grown (docs/scaling.md). */
const GROWN = 9;
const GROWN_TOPICS = SOURCE_TOPICS.filter((t) => t !== TOPICS.referenceData);
const FIRST_END = '2024-03-31';
const SECOND_END = '2024-05-31';

let cluster: TestCluster;
let p: TestPipeline;
/** Every time one of the two consumers joined the group, by consumer index. */
const joins: Array<{ consumer: number; at: number; partitions: number }> = [];

/** The pipeline's warnings, errors and group joins, kept for a failure's post-mortem. */
const PIPELINE_LOG = '../test-artifacts/cluster-pipeline.log';

beforeAll(async () => {
  cluster = await startTestCluster(3);
  mkdirSync('../test-artifacts', { recursive: true });
  writeFileSync(PIPELINE_LOG, '');
  // The consumers' own log lines say when they (re)join the group and with what assignment.
  const lines = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"level":40') || line.includes('"level":50') || line.includes('"level":60') || line.includes('joined consumer group') || line.includes('crashed')) appendFileSync(PIPELINE_LOG, `${line}\n`);
        if (!line.includes('joined consumer group')) continue;
        const entry = JSON.parse(line) as { consumer: number; assignment: Record<string, number[]> };
        joins.push({ consumer: entry.consumer, at: Date.now(), partitions: Object.values(entry.assignment).flat().length });
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, lines);
  // A partition kafkajs loses track of after the losses gets a new consumer after 20 s (watchdog.ts).
  p = await startPipeline(cluster.brokers, { consumers: 2, sessionTimeoutMs: SESSION_TIMEOUT_MS, metadataMaxAgeMs: 3_000, stuckAfterMs: 20_000, logger });
});
/** Streams still running when a test fails: stopped before the pipeline, or they would outlive it. */
const running = new Set<Stream>();
afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop().catch(() => undefined)));
  await p?.stop();
  await cluster?.stop();
});

interface Stream {
  acknowledged(): number;
  /** Partitions of each topic the stream spreads over, once its first messages are acknowledged. */
  partitions(): Readonly<Record<string, number>> | undefined;
  /** Rejects with the stream's error as soon as it fails; never settles otherwise. */
  failed: Promise<never>;
  stop(): Promise<ProduceResult>;
}

/** A paced load-generator stream with acks=all (the load generator's only mode), stopped on demand. */
function stream(seed: number, endDay: string): Stream {
  let acknowledged = 0;
  let partitions: Readonly<Record<string, number>> | undefined;
  const abort = new AbortController();
  const run = produce(
    p.kafka,
    { count: PLANNED, days: 7, endDay, services: 20, seed, lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.001, rate: RATE },
    (progress) => ({ acknowledged, partitions } = progress),
    abort.signal,
  );
  const failed = run.then(
    () => new Promise<never>(() => undefined),
    (err: unknown) => Promise.reject(new Error(`stream ${seed} failed after ${acknowledged} acknowledged messages: ${String(err)}`, { cause: err })),
  );
  failed.catch(() => undefined); // raced where a wait depends on the stream, and awaited in stop()
  const handle: Stream = {
    acknowledged: () => acknowledged,
    partitions: () => partitions,
    failed,
    stop: async () => {
      abort.abort();
      running.delete(handle);
      return run;
    },
  };
  running.add(handle);
  return handle;
}

/** An admin request retried until the cluster answers it: right after a broker loss, one may hit the dead node. */
const settled = <T>(what: string, request: () => Promise<T>): Promise<T> => waitFor(what, async () => [await request()] as const, 60_000, 250).then(([value]) => value);
const committed = () => settled('the committed offsets', async () => (await consumerLag(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS)).reduce((n, l) => n + l.committed, 0));
/** Waits until the consumers have committed `more` messages beyond what they had, i.e. they are moving. */
async function progressed(what: string, more: number): Promise<void> {
  const from = await committed();
  await waitFor(`${what}: ${more} more messages committed`, async () => (await committed()) >= from + more, 300_000, 250);
}
/**
 * Waits for the consumers to commit everything Kafka holds, for as long as they keep committing
 * (a slow machine drains slowly), and fails once they commit nothing for two minutes while a
 * partition still lags. The failure says which partitions lag, who owns them and what the
 * workers report: a stuck partition and a slow drain look different there.
 */
async function drained(): Promise<void> {
  const STILL_MS = 120_000;
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const lag = await settled('the lag', () => consumerLag(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS));
    if (lag.every((l) => l.lag === 0)) return;
    const total = lag.reduce((n, l) => n + l.committed, 0);
    if (total !== last) [last, movedAt] = [total, Date.now()];
    if (Date.now() - movedAt > STILL_MS) {
      const owners = await groupAssignments(p.admin, INGEST_GROUP_ID).catch((e: unknown) => String(e));
      throw new Error(
        `nothing committed for ${STILL_MS} ms with partitions lagging: ${JSON.stringify(lag.filter((l) => l.lag > 0))}; ` +
          `assignments ${JSON.stringify(owners)}; stalls ${JSON.stringify(p.ingest.stalls())}; ready ${p.ingest.isReady()} (log: ${PIPELINE_LOG})`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
const replicated = () => waitFor('every replica back in sync', () => replicasInSyncEverywhere(p.admin, [...SOURCE_TOPICS, '__consumer_offsets']), 120_000, 500);

it('loses and doubles nothing through a leader SIGKILL, a broker outage, added partitions and rebalances of two workers', async () => {
  try {
    await scenarios();
  } catch (err) {
    // What the cluster, the streams and the workers say at the failure, beside the timeline so far.
    const streams = await Promise.all(
      [...running].map((s) => s.stop().then((r) => ({ acknowledged: r.acknowledged, partitions: r.partitions }), (e: unknown) => ({ error: String(e) }))),
    );
    const state = {
      timeline,
      streams,
      joins,
      lag: await consumerLag(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS).catch((e: unknown) => String(e)),
      assignments: await groupAssignments(p.admin, INGEST_GROUP_ID).catch((e: unknown) => String(e)),
      stalls: p.ingest.stalls(),
      ready: p.ingest.isReady(),
    };
    writeFileSync('../test-artifacts/cluster-failure.json', JSON.stringify(state, null, 2));
    throw new Error(`${String(err)} (state at the failure: test-artifacts/cluster-failure.json; pipeline log: ${PIPELINE_LOG})`, { cause: err });
  }
}, 900_000);

/** The timeline of the scenarios, kept for the artifacts. */
const timeline: Array<Record<string, unknown>> = [];

async function scenarios(): Promise<void> {
  const mark = (event: string, extra: Record<string, unknown> = {}) => timeline.push({ event, at: new Date().toISOString(), ...extra });

  // The pipeline created its topics replicated as suits three brokers.
  const [status] = (await p.admin.fetchTopicMetadata({ topics: [TOPICS.notificationStatus] })).topics;
  expect(status?.partitions.map((x) => x.replicas.length)).toEqual([3, 3, 3, 3, 3, 3]);
  const configs = await p.admin.describeConfigs({ resources: [{ type: 2, name: TOPICS.notificationStatus, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
  expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('2');
  await waitFor('both workers to own partitions', async () => (await groupAssignments(p.admin, INGEST_GROUP_ID)).filter((a) => Object.keys(a).length > 0).length === 2, 300_000, 500);

  const first = stream(7, FIRST_END);
  await progressed('the stream flows', 5_000);

  // 1. The leader of the busiest partitions (the status topic's) dies without a controlled shutdown.
  const victim = await settled('the busiest leader', () => busiestLeader(p.admin, TOPICS.notificationStatus));
  mark('kill', { node: victim.nodeId, leads: victim.partitions, acknowledged: first.acknowledged(), committed: await committed() });
  const joinsBeforeLoss = joins.length;
  await cluster.kill(victim.nodeId);
  await progressed('consuming after the leader died', 10_000);
  mark('consuming without the dead leader', { acknowledged: first.acknowledged(), committed: await committed() });
  await cluster.startNode(victim.nodeId);
  await replicated();
  mark('killed node back in sync');

  // 2. The group's coordinator stops for longer than the session timeout, then comes back.
  const coordinator = await settled('the group coordinator', () => groupCoordinator(p.admin, INGEST_GROUP_ID));
  mark('stop coordinator', { node: coordinator, acknowledged: first.acknowledged() });
  await cluster.stopNode(coordinator);
  await new Promise((r) => setTimeout(r, SESSION_TIMEOUT_MS + 4_000));
  await progressed('consuming while the coordinator is away', 5_000);
  await cluster.startNode(coordinator);
  await replicated();
  mark('coordinator back in sync', { acknowledged: first.acknowledged(), committed: await committed() });
  // The broker losses made both workers join the group again, and both own partitions after it.
  const rejoined = new Set(joins.slice(joinsBeforeLoss).map((j) => j.consumer));
  expect([...rejoined].sort()).toEqual([0, 1]);
  await waitFor('both workers to own partitions after the losses', async () => (await groupAssignments(p.admin, INGEST_GROUP_ID)).filter((a) => Object.keys(a).length > 0).length === 2, 300_000, 500);

  // 3. The event topics grow while the pipeline runs; a second stream fills every partition.
  const joinsBeforeGrowth = joins.length;
  await settled('partitions added', () => p.admin.createPartitions({ topicPartitions: GROWN_TOPICS.map((topic) => ({ topic, count: GROWN })) }));
  // Brokers learn of added partitions from the controller one by one, and each metadata request
  // goes to whichever broker the client picks: ten answers in a row, before the stream asks.
  await waitFor('the brokers to know the new partitions', async () => {
    for (let i = 0; i < 10; i++) {
      const { topics } = await p.admin.fetchTopicMetadata({ topics: GROWN_TOPICS });
      if (!topics.every((t) => t.partitions.filter((x) => x.leader >= 0).length === GROWN)) return false;
    }
    return true;
  }, 60_000, 250);
  mark('partitions added', { acknowledged: first.acknowledged() });
  const second = stream(8, SECOND_END);
  // A stream that dies fails the wait at once, with its own error, rather than after 300 s; one
  // told the old count would never reach the new partitions.
  const unlessAStreamFails = <T>(wait: Promise<T>) => Promise.race([first.failed, second.failed, wait]);
  const told = await unlessAStreamFails(waitFor('the second stream to start', async () => second.partitions(), 120_000, 100));
  mark('second stream started', { partitions: told });
  for (const [topic, count] of Object.entries(told)) expect(count, topic).toBe(topic === TOPICS.referenceData ? 6 : GROWN);
  await unlessAStreamFails(
    waitFor('the new partitions to be consumed', async () => {
      const lag = await consumerLag(p.admin, INGEST_GROUP_ID, [TOPICS.notificationStatus]);
      return lag.filter((l) => l.partition >= 6 && l.committed > 0).length === GROWN - 6;
    }, 300_000, 500),
  );
  mark('new partitions consumed', { acknowledged: second.acknowledged() });
  await progressed('both streams flowing', 5_000);

  const firstRun = await first.stop();
  const secondRun = await second.stop();
  const producedAt = Date.now();
  mark('streams stopped', { first: firstRun.acknowledged, second: secondRun.acknowledged });
  await drained();
  await p.waitForFacts(producedAt, 180_000);
  mark('drained');

  const lag = await settled('the lag', () => consumerLag(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS));
  const assignments = await settled('the assignments', () => groupAssignments(p.admin, INGEST_GROUP_ID));
  const reports = [];
  for (const [run, end] of [[firstRun, FIRST_END], [secondRun, SECOND_END]] as const) {
    const start = run.tally.options.firstDay;
    reports.push({
      run,
      start,
      end,
      stats: await p.get(`/platform-stats?start_date=${start}&end_date=${end}`),
      volumes: await p.get(`/platform-stats/daily-volumes-report?start_date=${start}&end_date=${end}`),
    });
  }
  // Where a difference would come from: what Kafka holds against what it acknowledged, and the
  // notifications in the raw layer against the ones the tally counted (test keys included).
  const inKafka: Record<string, number> = {};
  for (const topic of [...SOURCE_TOPICS, ...DLQ_TOPICS]) {
    inKafka[topic] = (await settled('end offsets', () => p.admin.fetchTopicOffsets(topic))).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  }
  const acknowledged = Object.fromEntries(SOURCE_TOPICS.map((t) => [t, (firstRun.tally.messages.byTopic[t] ?? 0) + (secondRun.tally.messages.byTopic[t] ?? 0)]));
  const raw = [];
  for (const r of reports) {
    const [row] = await queryRows<{ n: string }>(
      p.ch.client,
      "SELECT uniqExact(notification_id) AS n FROM notification_events WHERE toDate(created_at, 'Europe/London') BETWEEN {start: Date} AND {end: Date}",
      { start: r.start, end: r.end },
    );
    raw.push({ range: [r.start, r.end], inRawLayer: Number(row?.n), tallied: r.run.tally.notifications.counted + r.run.tally.notifications.test });
  }
  mkdirSync('../test-artifacts', { recursive: true });
  writeFileSync('../test-artifacts/cluster.json', JSON.stringify({ timeline, joins, inKafka, acknowledged, invalid: firstRun.tally.invalid.total + secondRun.tally.invalid.total, raw, produced: reports.map((r) => r.run.tally.messages) }, null, 2));
  // acks=all on three replicas with two in sync: every acknowledged message is still in Kafka
  // (more where a retried send was written twice), through the SIGKILL and the outage.
  for (const topic of SOURCE_TOPICS) expect(inKafka[topic], topic).toBeGreaterThanOrEqual(acknowledged[topic] ?? 0);

  // The stream was stopped, never finished, and it outlived every failure.
  expect(firstRun.aborted).toBe(true);
  expect(secondRun.aborted).toBe(true);
  // The new partitions were read by the running workers, without a restart: the growth made
  // them join again, and every partition of the grown topics is now owned and fully committed.
  expect(joins.length).toBeGreaterThan(joinsBeforeGrowth);
  const owned = assignments.flatMap((a) => a[TOPICS.notificationStatus] ?? []).sort((a, b) => a - b);
  expect(owned).toEqual(Array.from({ length: GROWN }, (_, i) => i));
  expect(assignments.filter((a) => Object.keys(a).length > 0)).toHaveLength(2);
  expect(lag.every((l) => l.lag === 0)).toBe(true);
  expect(lag.filter((l) => l.topic === TOPICS.notificationStatus && l.partition >= 6).every((l) => l.committed > 0)).toBe(true);
  // Lost or doubled notifications, statuses or units would each move one of these numbers.
  for (const r of reports) {
    expect(r.stats.statusCode).toBe(200);
    expect(r.stats.json()).toEqual(expectedPlatformStats(r.run.tally, r.start, r.end));
    expect(r.volumes.json()).toEqual(expectedDailyVolumes(r.run.tally, r.start, r.end));
  }
}
