// The incremental facts against the contract, step by step: random streams (fixed fast-check
// seed) with duplicates, out-of-order snapshots, late status changes, notifications that change
// day, late rates, re-despatches and replays; after every cycle the stored facts must equal, key
// by key, what the oracle (model.ts, plain TypeScript from events.md) computes from every event.
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clickhouse } from '@notify-stats/clickhouse';
import { createLogger } from '@notify-stats/runtime';
import { queryRows } from '@notify-stats/clickhouse';
import { RollupRunner, VERSION } from '../src/index.ts';
import { DAYS, World, asEntries, emptyTables, type DespatchSpec, type StatusSpec, despatchSpec, openMigrated, rateSpec, statusSpec, storedFacts } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('differential', { level: 'silent' });


beforeAll(async () => {
  ch = await openMigrated('differential');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

/** Notification n as a sending SMS of day 0, for the hand-written cases. */
const sendingSms = (n: number): Omit<StatusSpec, 'day' | 'eid'> => ({
  n, second: 0, updatedDay: 0, status: 'sending', type: 'sms', keyType: 'normal', units: 1, postage: null, service: 0, sentBy: 'mmg', multiplier: 1,
});

/** Counts a notification on day 0, then moves it to day 1 by a later event with `status`. */
async function countThenMove(world: World, runner: RollupRunner, base: ReturnType<typeof sendingSms>, status: StatusSpec['status']) {
  await world.ingest([{ ...base, day: 0, eid: 1 }]);
  await runner.runPending();
  await world.ingest([{ ...base, day: 1, second: 5, status, eid: 2 }]);
  await runner.runPending();
}

type Op =
  | { op: 'events'; statuses: StatusSpec[]; despatches: DespatchSpec[] }
  | { op: 'replay'; count: number }
  | { op: 'rate'; rate: Parameters<World['rate']>[0] }
  | { op: 'cycle' }
  | { op: 'repair'; day: number; fromRaw: boolean; rowsPerSlice: number | undefined };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('events' as const), statuses: fc.array(statusSpec, { maxLength: 8 }), despatches: fc.array(despatchSpec, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replay' as const), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rate' as const), rate: rateSpec }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('cycle' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repair' as const), day: fc.integer({ min: 0, max: 2 }), fromRaw: fc.boolean(), rowsPerSlice: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }) }) },
);

async function apply(world: World, runner: RollupRunner, o: Op, replayed: StatusSpec[]) {
  switch (o.op) {
    case 'events':
      replayed.push(...o.statuses);
      return world.ingest(o.statuses, o.despatches);
    case 'replay':
      // The same events again at new offsets, as a re-produced topic or a rewound producer sends them.
      return world.ingest(replayed.slice(-o.count));
    case 'rate':
      return world.rate(o.rate);
    case 'cycle':
      return runner.runPending();
    case 'repair': {
      // A few raw rows per slice: a day of the stream is counted again in several ranges of it.
      const options = { fromRaw: o.fromRaw, ...(o.rowsPerSlice !== undefined && { rowsPerSlice: o.rowsPerSlice }) };
      await Promise.all([runner.repair([DAYS[o.day] as string], undefined, options), runner.runPending()]);
      return;
    }
  }
}

describe('incremental facts equal the facts of every event, after every cycle', () => {
  it('holds for random streams', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        await emptyTables(ch.client);
        const world = new World(ch.client);
        const runner = new RollupRunner(ch.client, logger, { lease: null });
        const replayed: StatusSpec[] = [];
        for (const o of [...ops, { op: 'cycle' } as const]) {
          await apply(world, runner, o, replayed);
          if (o.op === 'cycle' || o.op === 'repair') expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
        }
      }),
      { seed: 20261205, numRuns: 6, endOnFailure: true },
    );
  }, 600_000);

  it('moves a notification whose created_at changes to its new day', async () => {
    const world = new World(ch.client);
    const runner = new RollupRunner(ch.client, logger, { lease: null });
    await countThenMove(world, runner, sendingSms(5), 'delivered');
    const status = (await storedFacts(ch.client)).status;
    // Hand-written: one notification, counted once, on its new day only.
    expect([...status.keys()].map((k) => k.split('|')[0])).toEqual([DAYS[1]]);
    expect([...status.values()]).toEqual([[1]]);
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
  });
});

describe('history from before the change logs', () => {
  it('is counted from the raw layer by the first runner (the facts migration 0005 emptied)', async () => {
    const world = new World(ch.client);
    await ch.client.command({ query: 'DETACH TABLE notification_changes_v2_mv' });
    try {
      await world.ingest(fc.sample(statusSpec, { seed: 11, numRuns: 60 }));
    } finally {
      await ch.client.command({ query: 'ATTACH TABLE notification_changes_v2_mv' });
    }
    // Despatches go through their change log (the ingest writes it); a window counts them.
    await world.ingest([], fc.sample(despatchSpec, { seed: 12, numRuns: 10 }));
    const [logged] = await queryRows<{ n: number }>(ch.client, 'SELECT count() AS n FROM notification_changes');
    expect(Number(logged?.n)).toBe(0);
    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
    expect((await storedFacts(ch.client)).status.size).toBeGreaterThan(3);
  });

  it('counts a later event of a notification that moved day against its live row, not the tombstone its old day keeps', async () => {
    const world = new World(ch.client);
    const runner = new RollupRunner(ch.client, logger, { lease: null });
    const base = sendingSms(7);
    // Day 0 keeps a tombstone with the same version as day 1's live row.
    await countThenMove(world, runner, base, 'sending');
    await ch.client.command({ query: 'DETACH TABLE notification_changes_v2_mv' });
    try {
      await world.ingest([{ ...base, day: 1, second: 10, status: 'delivered', eid: 3 }]);
    } finally {
      await ch.client.command({ query: 'ATTACH TABLE notification_changes_v2_mv' });
    }
    await Promise.all([runner.repair([DAYS[1] as string], undefined, { fromRaw: true }), runner.runPending()]);
    const status = (await storedFacts(ch.client)).status;
    // Hand-written: one notification, delivered, on day 1 only.
    expect([...status.keys()].map((k) => k.split('|')[0])).toEqual([DAYS[1]]);
    expect([...status.keys()].map((k) => k.split('|').at(-1))).toEqual(['delivered']);
    expect([...status.values()]).toEqual([[1]]);
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
  });
});

describe('the packed version', () => {
  it('is the same in the change log view (migration 0007) and in the repair SQL, and orders snapshots as events.md does', async () => {
    const world = new World(ch.client);
    const events = fc.sample(statusSpec, { seed: 7, numRuns: 400 });
    await world.ingest(events);
    const [row] = await queryRows<{ differ: number; winners_differ: number; n: number }>(
      ch.client,
      `SELECT
         (SELECT count() FROM notification_changes AS c
          INNER JOIN (SELECT source_partition, source_offset, ${VERSION} AS v FROM notification_events) AS e
            ON e.source_partition = c.source_partition AND e.source_offset = c.source_offset
          WHERE c.version != e.v) AS differ,
         (SELECT countIf(by_version != by_tuple) FROM (
            SELECT notification_id, argMax(event_id, ${VERSION}) AS by_version,
                   argMax(event_id, tuple(updated_at, status_rank, toString(event_id))) AS by_tuple
            FROM notification_events GROUP BY notification_id)) AS winners_differ,
         (SELECT count() FROM notification_changes) AS n`,
    );
    expect(Number(row?.n)).toBeGreaterThan(300);
    expect(Number(row?.differ)).toBe(0);
    expect(Number(row?.winners_differ)).toBe(0);
  });
});
