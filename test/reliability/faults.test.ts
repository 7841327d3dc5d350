import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import { DLQ_HEADERS, dlqTopicOf } from '@notify-stats/events';
import { startIngest, type BatchSink } from '@notify-stats/ingest';
import { createLogger, metricsRegistry } from '@notify-stats/runtime';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, statusEvent, statusMessage, type RawMessage } from '../support/events.ts';
import { statusCounts } from '../support/facts.ts';
import { operatorToken, startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { readTopic } from '../support/read-topic.ts';
import { waitFor } from '../support/wait.ts';

let broker: TestBroker;
let p: TestPipeline;
// Stands in for an unreachable server: the embedded engine cannot be unplugged, its client can.
const outage = { on: false, attempts: 0 };
const flaky = (base: BatchSink): BatchSink => ({
  write: async (topic, outcome) => {
    if (outage.on) {
      outage.attempts++;
      throw new Error('injected: ClickHouse unreachable');
    }
    return base.write(topic, outcome);
  },
});

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers, { sink: flaky, stallAfterMs: 1000 });
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

// What an operator sees (the report reader is refused on /admin/*).
const pipelineStatus = async () => (await p.get('/admin/pipeline/status', { authorization: `Bearer ${await operatorToken()}` })).json();
const rawCount = async (where: string) =>
  Number((await queryRows<{ n: number }>(p.ch.client, `SELECT count() AS n FROM notification_events FINAL WHERE ${where}`))[0]?.n);
const events = (n: number, overrides: Record<string, unknown>) => Array.from({ length: n }, () => statusEvent(overrides));

describe('ClickHouse failures', () => {
  // A failed assertion mid-outage must not leave the engine "down" for the tests after it.
  afterEach(() => {
    outage.on = false;
  });
  it('retries with backoff, commits nothing, turns not-ready, and loses nothing once writes work again', async () => {
    const service_id = 'd1000000-0000-4000-8000-000000000001';
    outage.on = true;
    await produce(p.producer, TOPICS.notificationStatus, events(3000, { service_id }).map(statusMessage));
    await waitFor('retries to happen', async () => outage.attempts >= 3, 30_000);
    const lagDuring = (await p.admin.fetchOffsets({ groupId: 'notify-stats-ingest', topics: [TOPICS.notificationStatus] }))[0]!.partitions;
    const ready = await p.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    // Not ready, and why: which partition, how long, the last failure's message.
    expect(ready.json().reasons.ingest).toMatch(/notify\.notification-status\.v1\[\d\] (failing|stalled) for \d+ s: injected: ClickHouse unreachable/);
    expect(await rawCount(`service_id = '${service_id}'`)).toBe(0);
    // Past INGEST_STALL_AFTER_MS (1 s here) the partition is stalled, in the operators' status and the metric.
    await waitFor('a stalled partition', async () => (await pipelineStatus()).ingest.stalls.some((s: { stalled: boolean }) => s.stalled), 30_000);
    // What Prometheus scrapes from the operations port (the same registry, this process).
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/notify_stats_ingest_partition_stalled_seconds\{topic="notify\.notification-status\.v1",partition="\d"\} [1-9]/);
    // Still failing a moment later: no commit moved meanwhile.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await p.admin.fetchOffsets({ groupId: 'notify-stats-ingest', topics: [TOPICS.notificationStatus] }))[0]!.partitions).toEqual(lagDuring);

    outage.on = false;
    await p.waitForLagZero();
    expect(await rawCount(`service_id = '${service_id}'`)).toBe(3000);
    await waitFor('ready again', async () => (await p.app.inject({ url: '/readyz' })).statusCode === 200);
    expect((await pipelineStatus()).ingest.stalls).toEqual([]);
  });
});

describe('two consumers in one group', () => {
  it('loses and doubles nothing when a second consumer joins mid-stream and the first one leaves', async () => {
    const service_id = 'd2000000-0000-4000-8000-000000000002';
    const all = events(40_000, { service_id, created_at: '2024-10-01T10:00:00Z', updated_at: '2024-10-01T10:00:01Z' });
    const logger = createLogger('second');
    logger.level = 'error';
    const producing = (async () => {
      for (let i = 0; i < all.length; i += 4000) await produce(p.producer, TOPICS.notificationStatus, all.slice(i, i + 4000).map(statusMessage));
    })();
    await new Promise((r) => setTimeout(r, 500));
    const second = await startIngest({ kafka: p.kafka, clickhouse: p.ch.client, logger, partitions: 6 });
    await new Promise((r) => setTimeout(r, 1500));
    await p.ingest.pause(); // the first consumer leaves; the second takes every partition
    await producing;
    await p.waitForLagZero(120_000);
    expect(await rawCount(`service_id = '${service_id}'`)).toBe(40_000);
    await p.ingest.resume();
    await second.stop();
    await p.waitForFacts(Date.now());
    expect(await statusCounts(p.ch.client, '2024-10-01')).toEqual({ delivered: 40_000 });
  });
});

describe('poison', () => {
  it('dead-letters 10,000 invalid messages of every kind with reasons, never stalls, counts every valid one', async () => {
    const service_id = 'd3000000-0000-4000-8000-000000000003';
    const valid = events(10_000, { service_id, created_at: '2024-10-05T10:00:00Z', updated_at: '2024-10-05T10:00:01Z' });
    const huge = () => ({ key: 'x', value: JSON.stringify({ ...statusEvent(), padding: 'x'.repeat(300_000) }) });
    const kinds: Array<[string, () => RawMessage]> = [
      ['bad JSON', () => ({ key: 'x', value: '{"event_id": ' })],
      ['wrong types', () => statusMessage(statusEvent({ billable_units: 'three', international: 'no' }))],
      ['unknown status', () => statusMessage(statusEvent({ status: 'vanished' }))],
      ['bad UUID', () => statusMessage(statusEvent({ notification_id: 'not-a-uuid' }))],
      ['date out of range', () => statusMessage(statusEvent({ created_at: '1899-12-31T00:00:00Z' }))],
      ['impossible date', () => statusMessage(statusEvent({ updated_at: '2024-02-30T10:00:00Z' }))],
      ['not an object', () => ({ key: 'x', value: '[1, 2, 3]' })],
    ];
    const messages: RawMessage[] = [];
    const expectedInvalid = 10_000;
    for (let i = 0; i < valid.length; i++) {
      messages.push(statusMessage(valid[i]!));
      // One in 80 is oversized (125 in all): enough to prove none blocks its partition.
      const [, make] = kinds[i % kinds.length]!;
      messages.push(i % 80 === 79 ? huge() : make());
    }
    expect(messages.length - valid.length).toBe(expectedInvalid);
    const before = (await p.admin.fetchTopicOffsets(dlqTopicOf(TOPICS.notificationStatus))).reduce((n, o) => n + Number(o.high), 0);
    await produce(p.producer, TOPICS.notificationStatus, messages);
    await p.waitForLagZero(180_000);
    expect(await rawCount(`service_id = '${service_id}'`)).toBe(10_000);
    const dead = await readTopic(broker.brokers, dlqTopicOf(TOPICS.notificationStatus), before + expectedInvalid);
    const fresh = dead.slice(before);
    expect(fresh).toHaveLength(expectedInvalid);
    expect(fresh.every((m) => (m.headers[DLQ_HEADERS.reason] ?? '').length > 0)).toBe(true);
    const reasons = fresh.map((m) => m.headers[DLQ_HEADERS.reason] ?? '');
    expect(reasons.filter((r) => r.includes('larger than'))).toHaveLength(125);
    // bad JSON is kind 0 of 7: i % 7 === 0, less the ones that i % 80 === 79 turned oversized.
    const badJson = Array.from({ length: 10_000 }, (_, i) => i).filter((i) => i % 7 === 0 && i % 80 !== 79).length;
    expect(reasons.filter((r) => r.startsWith('invalid JSON'))).toHaveLength(badJson);
  });
});

describe('late and out-of-order snapshots', () => {
  it('gives the same facts whether lifecycles arrive in order or reversed and days late', async () => {
    // The same 600 lifecycles for two services: one produced in order, the other reversed, later.
    const lifecycle = ['created', 'sending', 'delivered'] as const;
    const ordered: RawMessage[] = [];
    const reversed: RawMessage[] = [];
    for (let i = 0; i < 600; i++) {
      const last = i % 3 === 0 ? 'permanent-failure' : 'delivered';
      const ids = { a: crypto.randomUUID(), b: crypto.randomUUID() };
      const steps = [...lifecycle.slice(0, 2), last];
      steps.forEach((status, s) => {
        const common = { status, created_at: '2024-10-10T09:00:00Z', updated_at: `2024-10-10T09:00:0${s}Z`, billable_units: 2 };
        ordered.push(statusMessage(statusEvent({ ...common, notification_id: ids.a, service_id: 'd4000000-0000-4000-8000-00000000000a' })));
        reversed.push(statusMessage(statusEvent({ ...common, notification_id: ids.b, service_id: 'd4000000-0000-4000-8000-00000000000b' })));
      });
    }
    await produce(p.producer, TOPICS.notificationStatus, ordered);
    await p.waitForFacts(Date.now());
    await produce(p.producer, TOPICS.notificationStatus, reversed.reverse());
    await p.waitForFacts(Date.now());
    const facts = async (service: string) =>
      queryRows(
        p.ch.client,
        `SELECT notification_type, status, sum(notification_count) AS n FROM fact_notification_status
         WHERE day = '2024-10-10' AND service_id = {s: UUID} GROUP BY notification_type, status HAVING n != 0 ORDER BY status`,
        { s: service },
      );
    const a = await facts('d4000000-0000-4000-8000-00000000000a');
    expect(a).toEqual([
      { notification_type: 'sms', status: 'delivered', n: 400 },
      { notification_type: 'sms', status: 'permanent-failure', n: 200 },
    ]);
    expect(await facts('d4000000-0000-4000-8000-00000000000b')).toEqual(a);
  });
});
