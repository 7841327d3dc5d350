// The monthly sums (migration 0006) follow the daily facts through views; these tests cover the
// two ways they can fall out of step, and that the rollups bring them back (src/months.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFilled, type Clickhouse } from '@notify-stats/clickhouse';
import { createLogger } from '@notify-stats/runtime';
import { RollupRunner } from '../src/index.ts';
import { DAYS, World, asEntries, emptyTables, openMigrated, storedFacts, type StatusSpec } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('months', { level: 'silent' });
const MONTH_TABLES = ['fact_notification_status_month', 'fact_billing_month'];

beforeAll(async () => {
  ch = await openMigrated('months');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

const sms = (o: Partial<StatusSpec>): StatusSpec => ({
  n: 1, day: 0, second: 0, updatedDay: 0, status: 'delivered', type: 'sms', keyType: 'normal', units: 2, postage: null,
  service: 0, sentBy: 'mmg', multiplier: 1, eid: 1, ...o,
});

/** Notifications on both sides of the month's end (DAYS[0] is in May, the others in June). */
async function someFacts(world: World) {
  await world.rate({ kind: 'sms', fromDay: 0, rate: '0.0227' });
  await world.ingest([sms({ n: 1, eid: 1 }), sms({ n: 2, eid: 2, day: 1, service: 1 }), sms({ n: 3, eid: 3, day: 2, status: 'sending' })]);
}

const monthsOf = (f: Awaited<ReturnType<typeof storedFacts>>) => asEntries({ statusMonth: f.statusMonth, billingMonth: f.billingMonth } as never);

describe('monthly sums', () => {
  it('are filled from the daily facts, and marked filled, by the first runner after the migration (facts written before the views existed)', async () => {
    const world = new World(ch.client);
    await someFacts(world);
    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    expect(await isFilled(ch.client, 'monthlySums')).toBe(true);
    // A database migrated to 0006 holds its daily facts, empty monthly tables and no mark.
    for (const t of [...MONTH_TABLES, 'pipeline_state']) await ch.client.command({ query: `TRUNCATE TABLE ${t}` });
    const before = await storedFacts(ch.client);
    expect(before.status.size).toBeGreaterThan(0);
    expect(before.statusMonth.size).toBe(0);
    expect(await isFilled(ch.client, 'monthlySums')).toBe(false);

    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    // Hand-written: May has one delivered sms; June one delivered (another service) and one sending.
    expect(await isFilled(ch.client, 'monthlySums')).toBe(true);
    const months = monthsOf(await storedFacts(ch.client));
    const withoutService = (k: string) => k.split('|').filter((_, i) => i !== 1).join('|');
    expect(months.statusMonth?.map(([k, v]) => [withoutService(k), v]).sort()).toEqual([
      ['2024-05-01|sms|normal|delivered', [1]],
      ['2024-06-01|sms|normal|delivered', [1]],
      ['2024-06-01|sms|normal|sending', [1]],
    ]);
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
  });

  it('that drifted from their days are set back by a repair of any day of their month', async () => {
    const world = new World(ch.client);
    await someFacts(world);
    const runner = new RollupRunner(ch.client, logger, { lease: null });
    await runner.runPending();
    // As a process killed between the daily part and the view's would leave them: a month short.
    const [may] = [...(await storedFacts(ch.client)).billingMonth.keys()].filter((k) => k.startsWith('2024-05'));
    expect(may).toBeDefined();
    await ch.client.command({
      query: `INSERT INTO fact_billing_month (month, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets,
                notifications_sent, billable_units, chargeable_units)
              SELECT month, service_id, notification_type, provider, rate_multiplier, international, rate, postage, sheets, -1, -2, -2
              FROM fact_billing_month WHERE month = '2024-05-01' LIMIT 1`,
    });
    await ch.client.command({ query: `INSERT INTO fact_notification_status_month SELECT '2024-06-01', service_id, notification_type, key_type, 'failed', 7 FROM fact_notification_status_month LIMIT 1` });
    expect(asEntries(await storedFacts(ch.client))).not.toEqual(asEntries(world.expectedFacts()));

    const repaired = runner.repair([DAYS[2], DAYS[0]]);
    await runner.runPending();
    await repaired;
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
  });
});
