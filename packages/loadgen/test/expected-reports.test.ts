import { describe, expect, it } from 'vitest';
import { londonDayOf } from '@notify-stats/london';
import { expectedDailyVolumes, expectedPlatformStats, generateAll } from '../src/index.ts';
import { recount } from './recount.ts';

const zero = { total: 0, delivered: 0, failed: 0, requested: 0, 'technical-failure': 0, 'temporary-failure': 0, 'permanent-failure': 0 };
const tiny = (seed: number, count: number) =>
  generateAll({ count, services: 1, seed, days: 2, endDay: '2024-03-31', lateFraction: 0.2, duplicateFraction: 0.1, invalidFraction: 0.05 }).tally;

describe('expected reports, counted by hand', () => {
  // Seed 736, 52 messages (31 reference, 3 invalid), read off the generated stream; one chunk a day.
  //   30 Mar (GMT)  email 9d39   created > sending > delivered
  //                 sms aae1     created > sending > pending, its `delivered` arrives late: delivered, 2 fragments x1
  //                 sms dd21     created > sending: the day's budget ran out, it stays `sending` (billable), 1 fragment x1
  //   31 Mar (BST from 01:00Z)
  //                 sms 617a     06:05Z = 07:05 BST; international x2, created > delivered, `sending` late (older: ignored), 1 fragment
  //                 sms 7b55     test key: never counted
  //                 letter a391  first class, 1 sheet: created > delivered, `sending` late (older); despatched 2 Apr unsorted
  const tally = tiny(736, 52);

  it('platform-stats over both days', () => {
    expect(expectedPlatformStats(tally, '2024-03-30', '2024-03-31')).toEqual({
      email: { ...zero, total: 1, delivered: 1, requested: 1 },
      sms: { ...zero, total: 3, delivered: 2, requested: 3 },
      letter: { ...zero, total: 1, delivered: 1, requested: 1 },
    });
  });

  it('platform-stats over one day, and outside the traffic', () => {
    expect(expectedPlatformStats(tally, '2024-03-31', '2024-03-31')).toEqual({
      email: zero,
      sms: { ...zero, total: 1, delivered: 1, requested: 1 },
      letter: { ...zero, total: 1, delivered: 1, requested: 1 },
    });
    expect(expectedPlatformStats(tally, '2024-04-01', '2024-04-30')).toEqual({ email: zero, sms: zero, letter: zero });
  });

  it('daily-volumes-report', () => {
    expect(expectedDailyVolumes(tally, '2024-03-01', '2024-03-31')).toEqual([
      { day: '2024-03-30', sms_totals: 2, sms_fragment_totals: 3, sms_chargeable_units: 3, email_totals: 1, letter_totals: 0, letter_sheet_totals: 0 },
      { day: '2024-03-31', sms_totals: 1, sms_fragment_totals: 1, sms_chargeable_units: 2, email_totals: 0, letter_totals: 1, letter_sheet_totals: 1 },
    ]);
    expect(tally.despatches).toEqual([{ day: '2024-04-02', postage: 'first', costThreshold: 'unsorted', sheets: 1, letters: 1 }]);
    expect(tally.invalid.total).toBe(3);
    expect(tally.notifications.test).toBe(1);
  });

  it('counts failures and notifications stopped short (seed 923)', () => {
    // 30 Mar: email 5788 delivered (its sending, a copy of it and its delivered all late); email 7abd
    //         permanent-failure (late); email 8fd4 stays `sending`.
    // 31 Mar: sms 86b5 stays `sending`, 2 fragments x1; emails 4b61 and 4ab2 delivered.
    const t = tiny(923, 52);
    expect(expectedPlatformStats(t, '2024-03-30', '2024-03-31')).toEqual({
      email: { ...zero, total: 5, delivered: 3, failed: 1, requested: 5, 'permanent-failure': 1 },
      sms: { ...zero, total: 1, requested: 1 },
      letter: zero,
    });
    expect(expectedDailyVolumes(t, '2024-03-30', '2024-03-31')).toEqual([
      { day: '2024-03-30', sms_totals: 0, sms_fragment_totals: 0, sms_chargeable_units: 0, email_totals: 3, letter_totals: 0, letter_sheet_totals: 0 },
      { day: '2024-03-31', sms_totals: 1, sms_fragment_totals: 2, sms_chargeable_units: 2, email_totals: 2, letter_totals: 0, letter_sheet_totals: 0 },
    ]);
    expect(t.messages.duplicates).toBe(2);
    expect(t.messages.late).toBe(4);
  });
});

describe('expected reports against an independent recount', () => {
  const { messages, tally } = generateAll({ count: 30_000, services: 5, seed: 8, days: 10, endDay: '2024-11-03', lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.005 });
  const current = [...recount(messages).current.values()].filter((e) => e.key_type !== 'test');

  it('platform-stats for a sub-range', () => {
    const [start, end] = ['2024-10-27', '2024-10-31'];
    const inRange = current.filter((e) => {
      const d = londonDayOf(e.created_at.ms);
      return d >= start && d <= end;
    });
    const body = expectedPlatformStats(tally, start, end);
    for (const type of ['email', 'sms', 'letter'] as const) {
      const mine = inRange.filter((e) => e.notification_type === type);
      const n = (...s: string[]) => mine.filter((e) => s.includes(e.status)).length;
      expect(body[type]).toEqual({
        total: mine.length,
        delivered: n('delivered', 'sent'),
        failed: n('technical-failure', 'temporary-failure', 'permanent-failure', 'validation-failed', 'virus-scan-failed', 'failed'),
        requested: mine.length - n('cancelled'),
        'technical-failure': n('technical-failure'),
        'temporary-failure': n('temporary-failure'),
        'permanent-failure': n('permanent-failure'),
      });
      expect(body[type].total).toBeGreaterThan(0);
    }
  });

  it('daily-volumes-report for the whole range', () => {
    const rows = expectedDailyVolumes(tally, '2024-10-01', '2024-11-30');
    expect(rows.map((r) => r.day)).toEqual(['2024-10-25', '2024-10-26', '2024-10-27', '2024-10-28', '2024-10-29', '2024-10-30', '2024-10-31', '2024-11-01', '2024-11-02', '2024-11-03']);
    for (const row of rows) {
      const day = current.filter((e) => londonDayOf(e.created_at.ms) === row.day);
      const billable = (type: string, statuses: string[]) => day.filter((e) => e.notification_type === type && statuses.includes(e.status));
      const sms = billable('sms', ['sending', 'sent', 'delivered', 'pending', 'temporary-failure', 'permanent-failure']);
      const letters = billable('letter', ['sending', 'delivered', 'returned-letter']);
      expect(row).toEqual({
        day: row.day,
        sms_totals: sms.length,
        sms_fragment_totals: sms.reduce((a, e) => a + e.billable_units, 0),
        sms_chargeable_units: sms.reduce((a, e) => a + e.billable_units * (e.rate_multiplier ?? 1), 0),
        email_totals: billable('email', ['sending', 'delivered', 'temporary-failure', 'permanent-failure']).length,
        letter_totals: letters.length,
        letter_sheet_totals: letters.reduce((a, e) => a + e.billable_units, 0),
      });
    }
  });
});
