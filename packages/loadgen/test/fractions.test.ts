import { describe, expect, it } from 'vitest';
import { generateAll } from '../src/index.ts';

describe('fractions', () => {
  const options = { count: 100_000, services: 10, seed: 9, days: 30, endDay: '2024-06-30', lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.005 };
  const { messages, tally } = generateAll(options);

  it('holds back the late share of status changes', () => {
    const changes = messages.filter((m) => m.kind === 'status' && !m.copy && m.step > 0).length;
    const late = messages.filter((m) => m.late && !m.copy).length;
    expect(late).toBe(tally.messages.late);
    expect(late / changes).toBeGreaterThan(0.045);
    expect(late / changes).toBeLessThan(0.055);
  });

  it('produces the duplicate share twice, byte for byte', () => {
    const events = messages.filter((m) => (m.kind === 'status' || m.kind === 'despatch') && !m.copy);
    const copies = messages.filter((m) => m.copy);
    expect(copies).toHaveLength(tally.messages.duplicates);
    expect(copies.length / events.length).toBeGreaterThan(0.017);
    expect(copies.length / events.length).toBeLessThan(0.023);
    const originals = new Set(events.map((m) => m.value.toString()));
    for (const c of copies) expect(originals.has(c.value.toString())).toBe(true);
  });

  it('adds exactly round(count x invalidFraction) invalid messages', () => {
    expect(messages.filter((m) => m.kind === 'invalid')).toHaveLength(500);
    expect(tally.invalid.total).toBe(500);
    expect(tally.messages.total).toBe(100_000);
  });

  it('mixes types, keys and sms destinations in the intended shares', () => {
    const n = tally.notifications;
    const total = (t: 'email' | 'sms' | 'letter') => Object.values(n.byTypeStatus[t]).reduce((a, b) => a + (b ?? 0), 0);
    const all = total('email') + total('sms') + total('letter');
    expect(total('email') / all).toBeCloseTo(0.6, 1);
    expect(total('sms') / all).toBeCloseTo(0.33, 1);
    expect(total('letter') / all).toBeCloseTo(0.07, 1);
    expect(n.test / (all + n.test)).toBeGreaterThan(0.01);
    expect(n.test / (all + n.test)).toBeLessThan(0.05);
    const sms = tally.billing.filter((b) => b.type === 'sms');
    const international = sms.filter((b) => b.international).reduce((a, b) => a + b.notifications, 0);
    const smsAll = sms.reduce((a, b) => a + b.notifications, 0);
    expect(international / smsAll).toBeGreaterThan(0.03);
    expect(international / smsAll).toBeLessThan(0.07);
  });
});
