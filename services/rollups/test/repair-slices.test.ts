// A day counted again from the raw layer is cut into slices by ranges of notification_id: every
// notification of the day in exactly one slice, the slices about equal, and one slice when the
// day is small. The differential test checks the facts such slices produce.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Clickhouse } from '@notify-stats/clickhouse';
import { planDay, slicePlan } from '../src/repair.ts';
import { openMigrated } from './model.ts';

const DAY = '2024-04-15';
const NOTIFICATIONS = 40;
let ch: Clickhouse;

beforeAll(async () => {
  ch = await openMigrated('repair-slices');
  // 40 notifications of the day, 4 events each (160 raw rows), and one of the day after.
  await ch.client.command({
    query: `INSERT INTO notification_events (event_id, notification_id, service_id, notification_type, key_type, status, status_rank,
                                             created_at, created_day, updated_at, billable_units, source_partition, source_offset)
      SELECT generateUUIDv4(), reinterpretAsUUID(MD5(concat('n', toString(intDiv(number, 4))))), reinterpretAsUUID(MD5('s')), 'email', 'normal',
             'sending', 2, toDateTime64({day: Date}, 6, 'UTC'), if(number < 160, {day: Date}, {day: Date} + 1), now64(6), 0, 0, number
      FROM numbers(164)`,
    query_params: { day: DAY },
  });
});
afterAll(async () => {
  await ch?.close();
});

async function idsOfSlices(rowsPerSlice: number): Promise<string[][]> {
  const tasks = await planDay(ch.client, DAY, { fromRaw: true, rowsPerSlice });
  expect(tasks.at(-1)).toEqual({ kind: 'correct', day: DAY });
  const slices: string[][] = [];
  for (const task of tasks.slice(0, -1)) {
    const plan = slicePlan(task, '');
    if (plan.kind === 'correct' || !plan.snapshots) throw new Error('a raw slice without its snapshots');
    const rows = await queryRows<{ id: string }>(ch.client, `SELECT toString(notification_id) AS id FROM (${plan.snapshots})`, plan.params);
    slices.push(rows.map((r) => r.id).sort());
  }
  return slices;
}

describe('slices of a day counted from the raw layer', () => {
  it('hold every notification of the day once, in slices of about the rows asked for', async () => {
    const slices = await idsOfSlices(20);
    expect(slices.length).toBe(8);
    for (const ids of slices) expect(ids.length).toBe(NOTIFICATIONS / 8);
    const all = slices.flat();
    expect(new Set(all).size).toBe(all.length);
    const [day] = await queryRows<{ ids: string[] }>(
      ch.client,
      'SELECT arraySort(groupUniqArray(toString(notification_id))) AS ids FROM notification_events WHERE created_day = {day: Date}',
      { day: DAY },
    );
    expect(all.sort()).toEqual(day?.ids);
    expect(all).toHaveLength(NOTIFICATIONS);
  });

  it('is one slice, from the least id on, when the day fits', async () => {
    const tasks = await planDay(ch.client, DAY, { fromRaw: true, rowsPerSlice: 1_000 });
    expect(tasks).toEqual([
      { kind: 'raw', day: DAY, slice: 0, from: '00000000-0000-0000-0000-000000000000', to: null },
      { kind: 'correct', day: DAY },
    ]);
    expect((await idsOfSlices(1_000))[0]).toHaveLength(NOTIFICATIONS);
  });
});
