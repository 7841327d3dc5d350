// Restatements of final days (src/restatements.ts): the days of the model (May 31 to June 2, 2024)
// are final on June 10 with an age of 2 days. Expected figures are written by hand. The model's
// rates start at 00:00 UTC, 01:00 in London: a rate "from day 0" is in force from June 1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clickhouse } from '@notify-stats/clickhouse';
import { restatementEvent, type RestatementEvent } from '@notify-stats/events';
import { createLogger } from '@notify-stats/runtime';
import { RollupRunner } from '../src/index.ts';
import type { RestatementOptions } from '../src/restatements.ts';
import { World, emptyTables, openMigrated, type StatusSpec } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('restatements', { level: 'silent' });
const NOW = new Date('2024-06-10T12:00:00Z');

beforeAll(async () => {
  ch = await openMigrated('restatements');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

const sms = (o: Partial<StatusSpec>): StatusSpec => ({
  n: 4, day: 1, second: 0, updatedDay: 0, status: 'delivered', type: 'sms', keyType: 'normal', units: 2, postage: null,
  service: 0, sentBy: 'mmg', multiplier: 1, eid: 1, ...o,
});

function runnerPublishingTo(published: RestatementEvent[], publish?: RestatementOptions['publish']) {
  const restatements: RestatementOptions = {
    ageDays: 2,
    checkEveryMs: 0,
    now: () => NOW,
    publish: publish ?? (async (events) => void published.push(...events.map((e) => restatementEvent.parse(e)))),
  };
  return new RollupRunner(ch.client, logger, { lease: null, restatements });
}

/** A delivered SMS of 2 units on June 1, at 0.0227 a unit: then the day is final and has its baseline. */
async function aFinalDay(world: World, runner: RollupRunner) {
  await world.rate({ kind: 'sms', fromDay: 0, rate: '0.0227' });
  await world.ingest([sms({ n: 4, eid: 1 })]);
  await runner.runPending();
}

describe('restatements of final days', () => {
  it('publish nothing when a final day is first counted (its baseline), then one event per later change, with the totals that moved', async () => {
    const published: RestatementEvent[] = [];
    const world = new World(ch.client);
    const runner = runnerPublishingTo(published);
    await aFinalDay(world, runner);
    expect(published).toEqual([]);

    // A late status change: delivered -> technical-failure (not billed) three days later.
    await world.ingest([sms({ n: 4, eid: 2, status: 'technical-failure', updatedDay: 3 })]);
    await runner.runPending();
    expect(published.map(({ restatement_id: _id, detected_at: _at, ...e }) => e)).toEqual([
      {
        day: '2024-06-01',
        reason: 'late_event',
        totals: {
          status_sms_delivered: { before: '1', after: '0' },
          status_sms_technical_failure: { before: '0', after: '1' },
          sms_chargeable_units: { before: '2', after: '0' },
          sms_cost: { before: '0.0454', after: '0' },
          delivered: { before: '1', after: '0' },
        },
      },
    ]);
    expect(published[0]?.detected_at).toBe(NOW.toISOString());
  });

  it('say why: a late rate re-prices the day', async () => {
    const published: RestatementEvent[] = [];
    const world = new World(ch.client);
    const runner = runnerPublishingTo(published);
    await aFinalDay(world, runner);
    await world.rate({ kind: 'sms', fromDay: 0, rate: '0.03' });
    await runner.runPending();
    expect(published.map((e) => [e.day, e.reason, e.totals])).toEqual([['2024-06-01', 'late_rate', { sms_cost: { before: '0.0454', after: '0.06' } }]]);
  });

  it('publish nothing after a replay that changes nothing', async () => {
    const published: RestatementEvent[] = [];
    const world = new World(ch.client);
    const runner = runnerPublishingTo(published);
    await aFinalDay(world, runner);
    await world.ingest([sms({ n: 4, eid: 1 })]); // the same event again
    await runner.runPending();
    expect(published).toEqual([]);
  });

  it('publish the same event again, with the same id, when the process stopped between publishing and recording it', async () => {
    const published: RestatementEvent[] = [];
    const world = new World(ch.client);
    await aFinalDay(world, runnerPublishingTo(published));
    await world.ingest([sms({ n: 4, eid: 2, status: 'technical-failure', updatedDay: 3 })]);
    const dying = runnerPublishingTo(published, async (events) => {
      published.push(...events);
      throw new Error('stopped after publishing');
    });
    // The cycles go on; the check fails, is logged and tried again later (here: by the next start).
    await dying.runPending();
    expect(published).toHaveLength(1);

    // The next start re-checks the recent final days against their baselines, not yet moved on.
    await runnerPublishingTo(published).runPending();
    expect(published).toHaveLength(2);
    expect(published[1]?.restatement_id).toBe(published[0]?.restatement_id);
    expect(published[1]?.totals).toEqual(published[0]?.totals);
    expect(published[1]?.reason).toBeNull();
  });
});
