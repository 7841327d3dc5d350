import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { OUTPUT_TOPICS, SOURCE_TOPICS, alertEvent, restatementEvent, type AlertEvent, type RestatementEvent } from '@notify-stats/events';
import { INGEST_GROUP_ID, applyRewind, committedOffsets, planRewind } from '@notify-stats/kafka';
import { queryRows } from '@notify-stats/clickhouse';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, referenceMessage, statusEvent, statusMessage } from '../support/events.ts';
import { billingRows, dumpFacts, statusCounts } from '../support/facts.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

let broker: TestBroker;
let p: TestPipeline;

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers);
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

const SERVICE = '10000000-0000-4000-8000-000000000001';
const sms = (overrides: Record<string, unknown>) => statusEvent({ service_id: SERVICE, ...overrides });

async function send(topic: string, messages: Parameters<typeof produce>[2]) {
  const at = await produce(p.producer, topic, messages);
  await p.waitForFacts(at);
}

const smsTotal = async (day: string) =>
  (await p.get(`/platform-stats?start_date=${day}&end_date=${day}`)).json<{ sms: { total: number } }>().sms.total;

describe('London report days', () => {
  it('puts notifications on the London date of created_at across clock changes', async () => {
    await send(TOPICS.notificationStatus, [
      // GMT: 23:30 UTC is still the 30th in London.
      sms({ created_at: '2024-03-30T23:30:00Z', updated_at: '2024-03-30T23:31:00Z' }),
      // BST: 23:30 UTC is 00:30 on the 1st in London.
      sms({ created_at: '2024-03-31T23:30:00Z', updated_at: '2024-03-31T23:31:00Z' }),
      // 2022-03-27 ran from 00:00 to 23:00 UTC in London.
      sms({ created_at: '2022-03-27T00:00:00Z', updated_at: '2022-03-27T00:00:01Z' }),
      sms({ created_at: '2022-03-27T22:59:59Z', updated_at: '2022-03-27T23:00:01Z' }),
      sms({ created_at: '2022-03-27T23:00:00Z', updated_at: '2022-03-27T23:00:01Z' }),
      sms({ created_at: '2022-03-26T23:59:59Z', updated_at: '2022-03-27T00:00:01Z' }),
    ].map(statusMessage));
    expect(await smsTotal('2024-03-30')).toBe(1);
    expect(await smsTotal('2024-03-31')).toBe(0);
    expect(await smsTotal('2024-04-01')).toBe(1);
    expect(await smsTotal('2022-03-26')).toBe(1);
    expect(await smsTotal('2022-03-27')).toBe(2);
    expect(await smsTotal('2022-03-28')).toBe(1);
  });
});

describe('keeping facts fresh', () => {
  it('moves a notification out of billing when a late status change arrives days later', async () => {
    const base = sms({ created_at: '2024-05-10T09:00:00Z', updated_at: '2024-05-10T09:00:01Z', status: 'sending', billable_units: 2 });
    await send(TOPICS.notificationStatus, [statusMessage(base)]);
    expect(await statusCounts(p.ch.client, '2024-05-10')).toEqual({ sending: 1 });
    expect((await billingRows(p.ch.client, '2024-05-10')).map((r) => r.notifications_sent)).toEqual([1]);

    const failed = { ...base, event_id: crypto.randomUUID(), status: 'technical-failure', updated_at: '2024-05-15T12:00:00Z' };
    await send(TOPICS.notificationStatus, [statusMessage(failed)]);
    expect(await statusCounts(p.ch.client, '2024-05-10')).toEqual({ 'technical-failure': 1 });
    expect(await billingRows(p.ch.client, '2024-05-10')).toEqual([]);
  });

  it('keeps the newest snapshot whatever order snapshots arrive in (ties: later status, then greater event_id)', async () => {
    const id = crypto.randomUUID();
    const at = (status: string, updated_at: string, event_id = crypto.randomUUID()) =>
      sms({ notification_id: id, status, created_at: '2024-05-20T08:00:00Z', updated_at, event_id });
    await send(TOPICS.notificationStatus, [
      at('delivered', '2024-05-20T08:00:09Z'),
      at('sending', '2024-05-20T08:00:05Z'),
      at('created', '2024-05-20T08:00:00Z'),
      // Same instant as 'delivered': permanent-failure ranks later, so it wins the tie.
      at('permanent-failure', '2024-05-20T08:00:09Z'),
    ].map(statusMessage));
    expect(await statusCounts(p.ch.client, '2024-05-20')).toEqual({ 'permanent-failure': 1 });
  });

  it('re-prices days when an SMS rate is published after the events it prices', async () => {
    await send(TOPICS.notificationStatus, [
      statusMessage(sms({ created_at: '2024-06-03T10:00:00Z', updated_at: '2024-06-03T10:00:02Z', billable_units: 3 })),
    ]);
    expect((await billingRows(p.ch.client, '2024-06-03'))[0]?.rate).toBe('0');

    await send(TOPICS.referenceData, [
      referenceMessage('sms_rate:2024-04-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-04-01T00:00:00Z', rate: '0.0227' }),
    ]);
    expect((await billingRows(p.ch.client, '2024-06-03'))[0]).toMatchObject({ rate: '0.0227', chargeable_units: 3 });
    // A rate from 2024-06-04 on does not touch the 3rd.
    await send(TOPICS.referenceData, [
      referenceMessage('sms_rate:2024-06-04T00:00:00Z', { type: 'sms_rate', valid_from: '2024-06-04T00:00:00Z', rate: 0.03 }),
    ]);
    expect((await billingRows(p.ch.client, '2024-06-03'))[0]?.rate).toBe('0.0227');
  });
});

describe('restatements of final days', () => {
  // Days months old are final (RESTATEMENT_AGE_DAYS is 2): a change to one is published on
  // notify.stats-restatements.v1 once its baseline exists, which the first check after the day
  // is first counted writes. Figures by hand: SMS of 1 unit, priced 0.03 (the rate from 2024-06-04 above).
  const D1 = '2024-09-01';
  const D2 = '2024-09-02';
  const first = sms({ created_at: `${D1}T10:00:00Z`, updated_at: `${D1}T10:00:02Z` });
  const second = sms({ created_at: `${D2}T10:00:00Z`, updated_at: `${D2}T10:00:02Z` });
  const received: RestatementEvent[] = [];
  let consumer: Consumer | undefined;
  afterAll(async () => {
    await consumer?.disconnect();
  });
  const baselined = (day: string) =>
    waitFor(`the baseline of ${day}`, async () =>
      Number((await queryRows<{ n: number }>(p.ch.client, 'SELECT count() AS n FROM restatement_baselines WHERE day = {day: Date}', { day }))[0]?.n) > 0,
    );
  const restatementOf = (day: string, after = 0) =>
    waitFor(`a restatement of ${day}`, async () => received.slice(after).find((e) => e.day === day));

  it('publishes one event with the totals that moved when a late status change reaches a final day', async () => {
    await send(TOPICS.notificationStatus, [first, second].map(statusMessage));
    await baselined(D1);
    await baselined(D2);
    const failed = { ...first, event_id: crypto.randomUUID(), status: 'technical-failure', updated_at: '2024-09-10T12:00:00Z' };
    await send(TOPICS.notificationStatus, [statusMessage(failed)]);
    // The publisher creates the topic with its first event.
    await waitFor('the restatements topic', async () => (await p.admin.listTopics()).includes(OUTPUT_TOPICS.restatements));
    consumer = p.kafka.consumer({ groupId: `restatements-test-${crypto.randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: OUTPUT_TOPICS.restatements, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(restatementEvent.parse(JSON.parse(String(message.value)))) });
    const event = await restatementOf(D1);
    expect({ reason: event.reason, totals: event.totals }).toEqual({
      reason: 'late_event',
      totals: {
        status_sms_delivered: { before: '1', after: '0' },
        status_sms_technical_failure: { before: '0', after: '1' },
        sms_chargeable_units: { before: '1', after: '0' },
        sms_cost: { before: '0.03', after: '0' },
        delivered: { before: '1', after: '0' },
      },
    });
  });

  it('says a late rate re-priced the day', async () => {
    const before = received.length;
    await send(TOPICS.referenceData, [
      referenceMessage('sms_rate:2024-09-01T23:00:00Z', { type: 'sms_rate', valid_from: '2024-09-01T23:00:00Z', rate: '0.05' }),
    ]);
    const event = await restatementOf(D2, before);
    expect({ reason: event.reason, totals: event.totals }).toEqual({ reason: 'late_rate', totals: { sms_cost: { before: '0.03', after: '0.05' } } });
  });

  it('publishes nothing after a replay that changes nothing', async () => {
    const before = received.length;
    await send(TOPICS.notificationStatus, [first, second].map(statusMessage));
    // A change after the replay: its event comes with or after any the replay could have caused.
    const failed = { ...second, event_id: crypto.randomUUID(), status: 'technical-failure', updated_at: '2024-09-10T12:00:00Z' };
    await send(TOPICS.notificationStatus, [statusMessage(failed)]);
    await restatementOf(D2, before);
    expect(received.slice(before).map((e) => [e.day, e.reason])).toEqual([[D2, 'late_event']]);
  });
});

// Alerts: FY 2023, a free allowance of 10 units and a spend threshold of £0.05; SMS at £0.02 from
// 1 April 2023. 9 units on 10 May (90 %), 2 on 11 May (11: 1 unit charged, £0.02), 3 on 12 May
// (£0.08 spent). Figures by hand.
const ALERTED = '30000000-0000-4000-8000-000000000001';
const receivedAlerts: AlertEvent[] = [];
let alertConsumer: Consumer | undefined;
afterAll(async () => {
  await alertConsumer?.disconnect();
});
const alerted = (day: string, units: number) =>
  sms({ service_id: ALERTED, billable_units: units, created_at: `${day}T10:00:00Z`, updated_at: `${day}T10:00:02Z` });
const alertsOf = () => receivedAlerts.filter((e) => e.service_id === ALERTED).map((e) => [e.threshold, e.kind, e.crossed_on]);
const untilAlerts = (n: number) => waitFor(`${n} alerts`, async () => receivedAlerts.filter((e) => e.service_id === ALERTED).length >= n);
/** The alerts published after `act`, which must publish at least one. */
async function alertsAfter(act: () => Promise<unknown>) {
  const before = alertsOf().length;
  await act();
  await untilAlerts(before + 1);
  return alertsOf().slice(before);
}

describe('allowance and spend alerts', () => {
  const SERVICE = ALERTED;
  const received = receivedAlerts;
  const on = alerted;
  const until = untilAlerts;
  const first = [on('2023-05-10', 3), on('2023-05-10', 3), on('2023-05-10', 3), on('2023-05-11', 2)];
  const spender = on('2023-05-12', 3);

  it('publishes each threshold crossed once, duplicates or not', async () => {
    await send(TOPICS.referenceData, [
      referenceMessage('sms_rate:2023-04-01T00:00:00+01:00', { type: 'sms_rate', valid_from: '2023-04-01T00:00:00+01:00', rate: '0.02' }),
      referenceMessage(`annual_billing:${SERVICE}:2023`, { type: 'annual_billing', service_id: SERVICE, financial_year_start: 2023, free_sms_fragment_limit: 10 }),
      referenceMessage(`spend_threshold:${SERVICE}:2023`, { type: 'spend_threshold', service_id: SERVICE, financial_year_start: 2023, amount: '0.05' }),
    ]);
    await send(TOPICS.notificationStatus, [...first, spender].map(statusMessage));
    await send(TOPICS.notificationStatus, [...first, spender].map(statusMessage));
    await waitFor('the alerts topic', async () => (await p.admin.listTopics()).includes(OUTPUT_TOPICS.alerts));
    const consumer = (alertConsumer = p.kafka.consumer({ groupId: `alerts-test-${crypto.randomUUID()}` }));
    await consumer.connect();
    await consumer.subscribe({ topic: OUTPUT_TOPICS.alerts, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(alertEvent.parse(JSON.parse(String(message.value)))) });
    await until(3);
    expect(alertsOf().sort()).toEqual([
      ['allowance_100', 'crossed', '2023-05-11'],
      ['allowance_80', 'crossed', '2023-05-10'],
      ['spend:0.05', 'crossed', '2023-05-12'],
    ]);
    const spend = received.find((e) => e.threshold === 'spend:0.05');
    expect(spend?.figures).toEqual({ free_allowance: 10, chargeable_units: 14, spend: '0.08', spend_threshold: '0.05' });
  });

  it('does not publish again an alert that went out before the process could record it, and retracts a crossing a late correction takes back', async () => {
    // As a process stopped between publishing the 80 % alert and recording it leaves the log.
    await p.ch.client.command({
      query: `ALTER TABLE alert_log DELETE WHERE service_id = {s: UUID} AND threshold = 'allowance_80' AND phase = 'published' SETTINGS mutations_sync = 2`,
      query_params: { s: SERVICE },
    });
    // The 12 May SMS was not sent after all: 11 units, £0.02 spent.
    const failed = { ...spender, event_id: crypto.randomUUID(), status: 'technical-failure', updated_at: '2023-05-13T09:00:00Z' };
    await send(TOPICS.notificationStatus, [statusMessage(failed)]);
    await until(4);
    expect(alertsOf()[3]).toEqual(['spend:0.05', 'retracted', '2023-05-12']);
    const logged = await queryRows<{ phase: string }>(
      p.ch.client,
      `SELECT argMax(phase, at) AS phase FROM alert_log WHERE service_id = {s: UUID} AND threshold = 'allowance_80' GROUP BY seq`,
      { s: SERVICE },
    );
    expect(logged).toEqual([{ phase: 'published' }]);
    expect(alertsOf().filter(([t]) => t === 'allowance_80')).toHaveLength(1);
  });
});

describe('rebuilds', () => {
  it('never shows a reader half a day while the day is rebuilt again and again', async () => {
    const day = '2024-07-01';
    const events = Array.from({ length: 3000 }, (_, i) =>
      sms({ service_id: `20000000-0000-4000-8000-${String(i % 50).padStart(12, '0')}`, created_at: `${day}T10:00:00Z`, updated_at: `${day}T10:00:01Z` }),
    );
    await send(TOPICS.notificationStatus, events.map(statusMessage));
    const total = async () =>
      Number((await queryRows<{ n: number }>(p.ch.client, 'SELECT sum(notification_count) AS n FROM fact_notification_status WHERE day = {day: Date}', { day }))[0]?.n);
    expect(await total()).toBe(3000);

    let reading = true;
    const seen = new Set<number>();
    const reader = (async () => {
      while (reading) seen.add(await total());
    })();
    await Promise.all([
      p.rollups.backfill(day, day),
      p.rollups.backfill(day, day),
      (async () => {
        for (let i = 0; i < 5; i++) await p.rollups.backfill(day, day);
      })(),
    ]);
    reading = false;
    await reader;
    expect([...seen]).toEqual([3000]);
  });

  it('leaves every fact table identical after a full replay of all topics', async () => {
    await send(TOPICS.notificationStatus, [
      statusMessage(statusEvent({ notification_type: 'letter', postage: 'second', billable_units: 2, sent_by: 'dvla', status: 'delivered' })),
      statusMessage(statusEvent({ notification_type: 'email', billable_units: 0, rate_multiplier: null, sent_by: 'ses' })),
    ]);
    const before = await dumpFacts(p.ch.client);
    expect(before.fact_billing?.length).toBeGreaterThan(0);

    await p.restartIngest(async () => {
      const plan = await planRewind(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS, 'earliest');
      expect(plan.some((x) => x.from > 0)).toBe(true);
      await applyRewind(p.kafka, INGEST_GROUP_ID, plan);
      // The group really starts over: every committed offset is back at the log start.
      const committed = await committedOffsets(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS);
      expect(plan.every((x) => committed.get(`${x.topic}:${x.partition}`) === x.to)).toBe(true);
    });
    await p.waitForLagZero();
    // Everything replayed is marked dirty again; wait until the rebuilds caught up with it.
    await p.waitForFacts(Date.now());
    expect(await dumpFacts(p.ch.client)).toEqual(before);
    // No alert again: a change after the replay is checked with or after it, and it alone is published.
    const alerts = await alertsAfter(() => send(TOPICS.notificationStatus, [statusMessage(alerted('2023-05-14', 3))]));
    expect(alerts).toEqual([['spend:0.05', 'crossed', '2023-05-14']]);
  });
});
