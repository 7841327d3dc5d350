// A cycle is a sequence of statements. These tests stop a runner after each statement in turn
// (as a killed process would stop: the runner object is dropped, a new one starts from the
// records), and write as the ingest would between every pair of statements, and check every time
// that the facts end equal to the oracle's (model.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clickhouse } from '@notify-stats/clickhouse';
import { createLogger } from '@notify-stats/runtime';
import { RollupRunner } from '../src/index.ts';
import { DAYS, World, asEntries, emptyTables, openMigrated, storedFacts, type DespatchSpec, type StatusSpec } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('cycle-steps');


beforeAll(async () => {
  ch = await openMigrated('cycle-steps');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

const base: StatusSpec = {
  n: 0, day: 0, second: 0, updatedDay: 0, status: 'created', type: 'letter', keyType: 'normal', units: 2, postage: 'second',
  service: 0, sentBy: null, multiplier: 1, eid: 1,
};
const sms = (o: Partial<StatusSpec>): StatusSpec => ({ ...base, n: 5, type: 'sms', sentBy: 'mmg', postage: null, units: 1, ...o });
const letter = (o: Partial<StatusSpec>): StatusSpec => ({ ...base, ...o });
const despatch = (o: Partial<DespatchSpec>): DespatchSpec => ({ n: 0, day: 1, threshold: 'sorted', eid: 1, ...o });

/** Before the cycle under test: counted letters, SMS and a rate, so every statement has work. */
async function seed(world: World, runner: RollupRunner) {
  await world.rate({ kind: 'letter', fromDay: 0, postage: 'second', sheets: 2, rate: '0.5' });
  await world.ingest(
    [letter({ eid: 10, status: 'sending' }), letter({ n: 1, eid: 11, status: 'delivered', postage: 'first' }), sms({ eid: 12, status: 'sending' }), sms({ n: 6, eid: 13, status: 'sending' })],
    [despatch({ eid: 20 }), despatch({ n: 1, eid: 21, day: 0 })],
  );
  await runner.runPending();
}

/**
 * The work of one cycle under test (`i` keeps every round's events new): late status changes, a
 * notification changing day, a re-despatch, a new letter, and a late SMS rate.
 */
async function change(world: World, i = 0) {
  const e = 100 * (i + 1);
  await world.rate({ kind: 'sms', fromDay: i % 3, rate: i % 2 ? '0.0227' : '0.03' });
  await world.ingest(
    [
      letter({ eid: e + 1, status: i % 2 ? 'delivered' : 'returned-letter', second: 5 + i }),
      sms({ eid: e + 2, status: i % 2 ? 'delivered' : 'temporary-failure', second: 5 + i, day: i % 2 }),
      sms({ n: 6, eid: e + 3, status: 'permanent-failure', second: 5 + i, day: (i + 1) % 3 }),
      letter({ n: 2 + (i % 2), eid: e + 4, status: 'sending', postage: i % 2 ? 'first' : 'second', second: i }),
    ],
    [despatch({ eid: e + 5, day: i % 3 }), despatch({ n: 2 + (i % 2), eid: e + 6, day: (i + 1) % 3 })],
  );
}

class Stop extends Error {}

/** A runner that throws after its `stopAt`-th statement, as a kill there would stop it. */
function doomedRunner(stopAt: number, seen: string[]) {
  return new RollupRunner(ch.client, logger, {
    lease: null,
    hooks: {
      afterStep: (name) => {
        seen.push(name);
        if (seen.length === stopAt) throw new Stop(name);
      },
    },
  });
}

const WINDOW_STEPS = [
  'stage-incoming', 'stage-changes', 'stage-despatches', 'stage-status', 'stage-billing', 'stage-despatch', 'stage-latency', 'record-staged',
  'apply-status', 'apply-billing', 'apply-despatch', 'apply-latency', 'apply-counted', 'apply-counted-despatches', 'record-done',
];
const CORRECT_STEPS = ['stage-status', 'stage-billing', 'stage-despatch', 'stage-latency', 'record-staged', 'apply-status', 'apply-billing', 'apply-despatch', 'apply-latency', 'record-done'];

describe('a runner stopped after any statement', () => {
  it('leaves facts equal to the oracle once a new runner has run, for every statement of a window, a repair slice and a correction', async () => {
    const world = new World(ch.client);
    await seed(world, new RollupRunner(ch.client, logger, { lease: null }));
    let round = 0;
    // A window cycle, stopped after each of its statements in turn.
    for (const [i, name] of WINDOW_STEPS.entries()) {
      await change(world, round++);
      const seen: string[] = [];
      await expect(doomedRunner(i + 1, seen).runPending()).rejects.toThrow(Stop);
      expect(seen.at(-1)).toBe(name);
      await new RollupRunner(ch.client, logger, { lease: null }).runPending();
      expect(asEntries(await storedFacts(ch.client)), `window stopped after ${name}`).toEqual(asEntries(world.expectedFacts()));
    }
    // A repair (one raw slice, then the correction), stopped after each of its statements in turn.
    for (const [i, name] of [...WINDOW_STEPS, ...CORRECT_STEPS].entries()) {
      await change(world, round++);
      await new RollupRunner(ch.client, logger, { lease: null }).runPending();
      const seen: string[] = [];
      const doomed = doomedRunner(i + 1, seen);
      const repair = doomed.repair([DAYS[round % 3] as string], undefined, { fromRaw: true });
      await expect(doomed.runPending()).rejects.toThrow(Stop);
      await expect(repair).rejects.toThrow(Stop);
      expect(seen.at(-1)).toBe(name);
      await new RollupRunner(ch.client, logger, { lease: null }).runPending();
      expect(asEntries(await storedFacts(ch.client)), `repair stopped after ${name} (statement ${i + 1})`).toEqual(asEntries(world.expectedFacts()));
    }
  }, 900_000);
});

describe('the window applied', () => {
  it('is told before the run goes on to a repair slice, also when nothing new arrived', async () => {
    const world = new World(ch.client);
    await seed(world, new RollupRunner(ch.client, logger, { lease: null }));
    const seen: string[] = [];
    const runner = new RollupRunner(ch.client, logger, {
      lease: null,
      hooks: { afterStep: (name) => void seen.push(name) },
      onWindowApplied: async () => void seen.push('window applied'),
    });
    await change(world);
    const repair = runner.repair([DAYS[0] as string]);
    await runner.runOnce();
    // The window's statements, then the hook, then the repair's first slice.
    expect(seen.slice(0, WINDOW_STEPS.length + 1)).toEqual([...WINDOW_STEPS, 'window applied']);
    expect(seen.slice(WINDOW_STEPS.length + 1)).toEqual(CORRECT_STEPS);
    await repair;
    seen.length = 0;
    await runner.runOnce();
    expect(seen).toEqual(['window applied']);
  }, 300_000);
});

describe('ingest writing between every pair of statements', () => {
  it('loses no letter and counts none on two days', async () => {
    const world = new World(ch.client);
    const runner0 = new RollupRunner(ch.client, logger, { lease: null });
    await seed(world, runner0);
    let k = 0;
    const runner = new RollupRunner(ch.client, logger, {
      lease: null,
      hooks: {
        // Each statement is followed by what the ingest lands meanwhile: a letter's first status,
        // a re-despatch of a counted letter to another day, and a status change of a letter.
        afterStep: async () => {
          k++;
          await world.ingest(
            [letter({ n: 2 + (k % 2), eid: 1000 + k, status: k % 3 ? 'sending' : 'delivered', second: k % 4, postage: k % 2 ? 'first' : 'second' })],
            [despatch({ n: k % 4, eid: 2000 + k, day: k % 3 })],
          );
        },
      },
    });
    await change(world);
    for (let i = 0; i < 3; i++) await runner.runOnce();
    // Quiet: the last writes are counted by runs without writes in between.
    const quiet = new RollupRunner(ch.client, logger, { lease: null });
    await quiet.runPending();
    expect(k).toBeGreaterThan(20);
    expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
  }, 300_000);
});
