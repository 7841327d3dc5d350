// Migration 0007 made created_at a snapshot field: notifications counted before it have none and
// no latency bucket. The first runner after the migration counts their days again from the raw
// layer, once (src/latency-fill.ts), and every other fact stays as it was.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFilled, queryRows, type Clickhouse } from '@notify-stats/clickhouse';
import { createLogger } from '@notify-stats/runtime';
import { RollupRunner } from '../src/index.ts';
import { DAYS, World, asEntries, emptyTables, openMigrated, storedFacts, type StatusSpec } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('latency-fill', { level: 'silent' });

beforeAll(async () => {
  ch = await openMigrated('latency-fill');
});
afterAll(async () => {
  await ch?.close();
});
beforeEach(async () => {
  await emptyTables(ch.client);
});

const sms = (o: Partial<StatusSpec>): StatusSpec => ({
  n: 4, day: 0, second: 0, updatedDay: 0, status: 'delivered', type: 'sms', keyType: 'normal', units: 1, postage: null,
  service: 0, sentBy: 'mmg', multiplier: 1, eid: 1, ...o,
});

/** A database as migration 0007 finds it: snapshots counted without created_at, no latency facts, no mark. */
async function asBeforeMigration0007(): Promise<void> {
  for (const table of ['counted_notifications', 'notification_changes']) {
    await ch.client.command({ query: `ALTER TABLE ${table} UPDATE created_at = toDateTime64(0, 6, 'UTC') WHERE 1 SETTINGS mutations_sync = 2` });
  }
  for (const table of ['fact_delivery_latency', 'pipeline_state']) await ch.client.command({ query: `TRUNCATE TABLE ${table}` });
}

describe('delivery latency of history counted before migration 0007', () => {
  it('is counted from the raw layer by the first runner after the migration, then marked filled', async () => {
    const world = new World(ch.client);
    await world.ingest([
      sms({ n: 4, eid: 1, createdMs: 0 }),
      sms({ n: 5, eid: 2, day: 1, createdMs: 3_000_000, sentBy: 'firetext' }),
      sms({ n: 6, eid: 3, day: 2, status: 'sending' }),
    ]);
    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    const counted = asEntries(await storedFacts(ch.client));
    expect(counted).toEqual(asEntries(world.expectedFacts()));

    await asBeforeMigration0007();
    const before = await storedFacts(ch.client);
    expect(before.latency.size).toBe(0);
    expect(before.status.size).toBe(3);
    expect(await isFilled(ch.client, 'deliveryLatency')).toBe(false);

    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    expect(await isFilled(ch.client, 'deliveryLatency')).toBe(true);
    const after = await storedFacts(ch.client);
    // Hand-computed: created 08:00 and 08:50, delivered 09:00 the same day: 3,600 s and 600 s.
    // Edges round(100 * 2^(k/8)) ms for k = 0..192; a bucket is the number of edges at or below.
    // 3,600,000 ms: k = 121 (3,573,376) is at or below it, k = 122 (3,896,794) is not: bucket 122.
    // 600,000 ms: k = 100 (579,262) is, k = 101 (631,690) is not: bucket 101.
    expect([...after.latency].sort()).toEqual([
      ['2024-05-31|sms|mmg|122', [1]],
      ['2024-06-01|sms|firetext|101', [1]],
    ]);
    expect(asEntries(after)).toEqual(asEntries(world.expectedFacts()));
    // Only delivered snapshots needed it: the sending one keeps its unknown created_at.
    const [unknown] = await queryRows<{ n: number }>(ch.client, `SELECT count() AS n FROM counted_notifications FINAL WHERE toUnixTimestamp64Micro(created_at) = 0`);
    expect(Number(unknown?.n)).toBe(1);

    // Counted again from the raw layer, each delivered notification is one row among two of its
    // version (with and without created_at) and gains no second latency count, after any slice.
    const runner = new RollupRunner(ch.client, logger, { lease: null });
    const repaired = runner.repair(DAYS, undefined, { fromRaw: true });
    for (let left = 1; left > 0; ) {
      left = (await runner.runOnce()).repairsLeft;
      expect(asEntries(await storedFacts(ch.client))).toEqual(asEntries(world.expectedFacts()));
    }
    await repaired;
  });

  it('asks nothing of a pipeline whose history holds no delivered snapshot without created_at', async () => {
    const world = new World(ch.client);
    await world.ingest([sms({ n: 4, eid: 1, status: 'sending' })]);
    await new RollupRunner(ch.client, logger, { lease: null }).runPending();
    await asBeforeMigration0007();
    const runner = new RollupRunner(ch.client, logger, { lease: null });
    const [first] = await runner.runPending();
    expect(first?.cycles.filter((c) => c.kind === 'raw')).toEqual([]);
    expect(await isFilled(ch.client, 'deliveryLatency')).toBe(true);
  });
});
