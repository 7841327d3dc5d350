import { describe, expect, it } from 'vitest';
import { NOTIFICATION_TYPES } from '@notify-stats/events';
import { londonDayOf } from '@notify-stats/london';
import { generateAll, TallyBuilder, generate, type Tally } from '../src/index.ts';
import { recount, summarise } from './recount.ts';

function flatten(t: Tally) {
  const byTypeStatus: Record<string, number> = {};
  for (const type of NOTIFICATION_TYPES) for (const [s, n] of Object.entries(t.notifications.byTypeStatus[type])) byTypeStatus[`${type}|${s}`] = n!;
  const perDay: Record<string, number> = {};
  for (const d of t.days) {
    for (const type of NOTIFICATION_TYPES) {
      const td = d[type];
      const put = (k: string, v: number) => v !== 0 && (perDay[`${d.day}|${type}|${k}`] = v);
      put('notifications', td.notifications);
      for (const [s, n] of Object.entries(td.statuses)) put(`status:${s}`, n!);
      put('billable', td.billable);
      put('billableUnits', td.billableUnits);
      put('chargeableUnits', td.chargeableUnits);
    }
  }
  const billing: Record<string, number> = {};
  for (const b of t.billing) {
    const key = [b.day, b.serviceId, b.type, b.provider, b.rateMultiplier, b.international, b.postage, b.sheets].join('|');
    for (const f of ['notifications', 'billableUnits', 'chargeableUnits'] as const) if (b[f] !== 0) billing[`${key}|${f}`] = b[f];
  }
  const despatches = Object.fromEntries(t.despatches.map((d) => [`${d.day}|${d.postage}|${d.costThreshold}|${d.sheets}`, d.letters]));
  return { byTypeStatus, perDay, billing, despatches, test: t.notifications.test, counted: t.notifications.counted };
}

describe('tally', () => {
  const options = { count: 40_000, services: 8, seed: 21, days: 12, endDay: '2024-04-05', lateFraction: 0.05, duplicateFraction: 0.03, invalidFraction: 0.01 };
  const { messages, tally } = generateAll(options);

  it('equals an independent recount of the generated messages', () => {
    const r = recount(messages);
    expect(flatten(tally)).toEqual(summarise(r));
    expect(tally.invalid.total).toBe(r.invalid);
    expect(tally.messages.reference).toBe(r.reference);
    expect(tally.messages.duplicates).toBe(r.duplicates);
    const letters: Record<string, number> = {};
    for (const e of r.current.values()) {
      if (e.key_type !== 'test' && e.notification_type === 'letter' && ['sending', 'delivered', 'returned-letter'].includes(e.status)) {
        const key = `${londonDayOf(e.created_at.ms)}|${e.postage}|${e.billable_units}`;
        letters[key] = (letters[key] ?? 0) + 1;
      }
    }
    const fromTally: Record<string, number> = {};
    for (const l of tally.letters) fromTally[`${l.day}|${l.postage}|${l.sheets}`] = l.letters;
    expect(fromTally).toEqual(letters);
  });

  it('does not depend on the order messages are acknowledged in', () => {
    const shuffled = [...messages].reverse();
    const again = new TallyBuilder(generate(options)).addAll(shuffled).result();
    expect(again).toEqual(tally);
  });

  it('counts a prefix as what the pipeline would see of it', () => {
    const half = messages.slice(0, 20_000);
    const partial = new TallyBuilder(generate(options)).addAll(half).result();
    expect(flatten(partial)).toEqual(summarise(recount(half)));
    expect(partial.messages.total).toBe(20_000);
  });
});
