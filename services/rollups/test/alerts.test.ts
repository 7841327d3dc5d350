// Allowance and spend alerts (src/alerts.ts) over the model's days (FY 2024): figures by hand.
// The model's SMS rate "from day 0" is in force from June 1 (00:00 UTC is 01:00 in London).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clickhouse } from '@notify-stats/clickhouse';
import { alertEvent, type AlertEvent } from '@notify-stats/events';
import { createLogger } from '@notify-stats/runtime';
import { RollupRunner } from '../src/index.ts';
import { crossings, type AlertOptions } from '../src/alerts.ts';
import { World, emptyTables, openMigrated, type StatusSpec } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('alerts', { level: 'silent' });
const SERVICE = '10000000-0000-4000-8000-000000000001';
const NOW = new Date('2024-06-10T12:00:00Z');

beforeAll(async () => {
  ch = await openMigrated('alerts');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

const sms = (o: Partial<StatusSpec>): StatusSpec => ({
  n: 4, day: 1, second: 0, updatedDay: 0, status: 'delivered', type: 'sms', keyType: 'normal', units: 3, postage: null,
  service: 0, sentBy: 'mmg', multiplier: 1, eid: 1, ...o,
});

function runner(sent: AlertEvent[], o: Partial<AlertOptions> = {}) {
  const alerts: AlertOptions = {
    checkEveryMs: 0,
    now: () => NOW,
    publish: async (events) => void sent.push(...events.map((e) => alertEvent.parse(e))),
    published: async () => new Set(),
    ...o,
  };
  return new RollupRunner(ch.client, logger, { lease: null, alerts });
}

/** A free allowance of 10 units and a spend threshold of £0.02 in FY 2024. */
async function thresholds() {
  await ch.client.insert({ table: 'ref_annual_billing', format: 'JSONEachRow', values: [{ key: `annual_billing:${SERVICE}:2024`, service_id: SERVICE, financial_year_start: 2024, free_sms_fragment_limit: 10, version: 1, is_deleted: 0 }] });
  await ch.client.insert({ table: 'ref_spend_thresholds', format: 'JSONEachRow', values: [{ key: `spend_threshold:${SERVICE}:2024`, service_id: SERVICE, financial_year_start: 2024, amount: '0.02', version: 1, is_deleted: 0 }] });
}

// June 1: 3 units. June 2: 3 units at multiplier 2 (6 chargeable: 9, 90 %), then 2 more (11): the
// allowance runs out on June 2 with 1 unit beyond it, charged at 0.0227.
const EVENTS = [sms({ n: 4, eid: 1 }), sms({ n: 5, eid: 2, day: 2, multiplier: 2 }), sms({ n: 6, eid: 3, day: 2, units: 2 })];
const FIGURES = { free_allowance: 10, chargeable_units: 11, spend: '0.0227', spend_threshold: '0.02' };
const shape = (e: AlertEvent) => [e.threshold, e.kind, e.crossed_on, e.forecast_exhaustion];
const byThreshold = (a: AlertEvent, b: AlertEvent) => (a.threshold < b.threshold ? -1 : 1);

describe('forecast of the allowance running out', () => {
  const day = (d: string, units: number) => ({ day: d, units, sms: [['0.02', units]] as Array<[string, number]>, letterCost: '0' });
  it('is today + ceil(units left x 28 / units of the last 28 days), within the year, and null past its end', () => {
    // 100 left, 40 in the 28 days to June 10: ceil(100 x 28 / 40) = 70 days, August 19.
    expect(crossings([day('2024-06-01', 40)], { allowance: 140, spend: null }, 2024, '2024-06-10').forecast).toBe('2024-08-19');
    // A large allowance used slowly runs out centuries on: null, never a date past the calendar.
    expect(crossings([day('2024-06-01', 1)], { allowance: 250_000_000, spend: null }, 2024, '2024-06-10').forecast).toBeNull();
    expect(crossings([day('2024-04-01', 1)], { allowance: 10, spend: null }, 2024, '2024-06-10').forecast).toBeNull();
  });
});

/** The thresholds, the rate and the events, counted by a runner publishing to `sent`. */
async function allCrossed() {
  const sent: AlertEvent[] = [];
  const world = new World(ch.client);
  await thresholds();
  await world.rate({ kind: 'sms', fromDay: 0, rate: '0.0227' });
  const r = runner(sent);
  await world.ingest(EVENTS);
  await r.runPending();
  return { sent, world, r };
}

describe('allowance and spend alerts', () => {
  it('publish one event per threshold crossed, once, whatever is sent again', async () => {
    const { sent, world, r } = await allCrossed();
    expect(sent.sort(byThreshold).map(shape)).toEqual([
      ['allowance_100', 'crossed', '2024-06-02', '2024-06-02'],
      ['allowance_80', 'crossed', '2024-06-02', '2024-06-02'],
      ['spend:0.02', 'crossed', '2024-06-02', null],
    ]);
    for (const e of sent) expect(e).toMatchObject({ service_id: SERVICE, financial_year: 2024, figures: FIGURES, detected_at: NOW.toISOString() });

    // Duplicates, and a new runner (a restart re-checks every year with thresholds).
    await world.ingest(EVENTS);
    await r.runPending();
    await runner(sent).runPending();
    expect(sent).toHaveLength(3);
  });

  it('retract a crossing a late correction takes back, and keep the one that still holds', async () => {
    const { sent, world, r } = await allCrossed();
    // The last 2 units were never sent: technical-failure is not billed. 9 units: 90 %, nothing charged.
    await world.ingest([sms({ n: 6, eid: 4, day: 2, units: 2, status: 'technical-failure', updatedDay: 1 })]);
    await r.runPending();
    const retractions = sent.slice(3).sort(byThreshold);
    // Forecast: 9 units in the 28 days to June 10, 1 left: ceil(1 x 28 / 9) = 4 days later, June 14.
    expect(retractions.map(shape)).toEqual([
      ['allowance_100', 'retracted', '2024-06-02', '2024-06-14'],
      ['spend:0.02', 'retracted', '2024-06-02', null],
    ]);
    expect(retractions[0]?.figures).toEqual({ ...FIGURES, chargeable_units: 9, spend: '0' });
    expect(new Set(sent.map((e) => e.alert_id)).size).toBe(5);
  });

  it('publish an alert a stopped process logged but never published, and not one it did publish', async () => {
    const world = new World(ch.client);
    await thresholds();
    await world.rate({ kind: 'sms', fromDay: 0, rate: '0.0227' });
    await world.ingest(EVENTS);
    const lost: AlertEvent[] = [];
    // The check fails after logging its events pending (the cycles go on: a check never holds them back).
    await runner(lost, { publish: async () => Promise.reject(new Error('stopped before publishing')) }).runPending();
    expect(lost).toEqual([]);

    // The topic holds the 80 % alert (published before the stop), not the others.
    const sent: AlertEvent[] = [];
    const asked: string[][] = [];
    const onTopic = new Set<string>();
    await runner(sent, {
      published: async (ids) => {
        asked.push([...ids]);
        return new Set(ids.filter((id) => onTopic.has(id)));
      },
    }).runPending();
    expect(asked).toHaveLength(1);
    expect(sent.map((e) => e.threshold).sort()).toEqual(['allowance_100', 'allowance_80', 'spend:0.02']);

    // Again, with the 80 % one on the topic: only the other two go out, with the ids first logged.
    await ch.client.command({ query: 'TRUNCATE TABLE alert_log' });
    await runner([], { publish: async () => Promise.reject(new Error('stopped before publishing')) }).runPending();
    const second: AlertEvent[] = [];
    const first80 = sent.find((e) => e.threshold === 'allowance_80') as AlertEvent;
    onTopic.add(first80.alert_id);
    await runner(second, { published: async (ids) => new Set(ids.filter((id) => onTopic.has(id))) }).runPending();
    expect(second.map((e) => e.threshold).sort()).toEqual(['allowance_100', 'spend:0.02']);
    await runner(second).runPending();
    expect(second).toHaveLength(2);
  });
});
