// One runner publishes at a time: a second runner (the CLI's in-process fallback is one) meets
// the lease, is told who holds it and until when, and runs once it is released or has run out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clickhouse } from '@notify-stats/clickhouse';
import { createLogger } from '@notify-stats/runtime';
import { LeaseHeldError, RollupLease, RollupRunner } from '../src/index.ts';
import { World, openMigrated } from './model.ts';

let ch: Clickhouse;
const logger = createLogger('lease');

beforeAll(async () => {
  ch = await openMigrated('lease');
});
afterAll(async () => {
  await ch?.close();
});

describe('the rollup lease', () => {
  it('keeps a second runner from publishing while the first holds it, and names the holder', async () => {
    const first = new RollupRunner(ch.client, logger, { lease: new RollupLease(ch.client, 60_000, 200) });
    const second = new RollupRunner(ch.client, logger, { lease: new RollupLease(ch.client, 60_000, 200) });
    await first.runOnce();
    const world = new World(ch.client);
    await world.ingest([{ n: 5, day: 0, second: 0, updatedDay: 0, status: 'sending', type: 'sms', keyType: 'normal', units: 1, postage: null, service: 0, sentBy: 'mmg', multiplier: 1, eid: 1 }]);
    const refused = await second.runOnce().then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    // The refused runner wrote nothing: the event is still waiting for a cycle.
    const [cycles] = await ch.client.query({ query: 'SELECT count() AS n FROM rollup_cycles', format: 'JSONEachRow' }).then((r) => r.json<{ n: number }>());
    expect(Number(cycles?.n)).toBe(0);
    await first.release();
    const result = await second.runOnce();
    expect(result.windowSize).toBe(1);
    await second.release();
  });

  it('is renewed once a third of its time has gone, not on every cycle', async () => {
    const lease = new RollupLease(ch.client, 3_000, 50);
    const until = async () => {
      const [row] = await ch.client
        .query({ query: `SELECT argMax(value, updated_at) AS v FROM pipeline_state WHERE name = 'rollup_lease'`, format: 'JSONEachRow' })
        .then((r) => r.json<{ v: string }>());
      return (JSON.parse(row?.v ?? '{}') as { until?: number }).until;
    };
    await lease.acquire();
    const first = await until();
    await lease.acquire();
    expect(await until()).toBe(first);
    await new Promise((r) => setTimeout(r, 1_100));
    await lease.acquire();
    expect(await until()).toBeGreaterThan(first as number);
    await lease.release();
  });

  it('lets a runner take over a lease that ran out', async () => {
    const stale = new RollupLease(ch.client, 1, 50);
    await stale.acquire().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    const next = new RollupLease(ch.client, 60_000, 50);
    await expect(next.acquire()).resolves.toBeUndefined();
    await next.release();
  });
});
