import { describe, expect, it } from 'vitest';
import { decodeMessage, type NotificationStatusEvent } from '@notify-stats/events';
import { addDays, londonDayOf } from '@notify-stats/london';
import { MAX_CHUNK_MESSAGES } from '../src/chunk.ts';
import { generateAll } from '../src/index.ts';

describe('lifecycles', () => {
  const { messages } = generateAll({ count: 30_000, services: 6, seed: 5, days: 6, endDay: '2024-03-31', lateFraction: 0.1, duplicateFraction: 0.05, invalidFraction: 0.01 });
  const byNotification = new Map<string, NotificationStatusEvent[]>();
  const despatches = new Map<string, string>();
  for (const m of messages) {
    if (m.copy) continue;
    const d = decodeMessage(m.topic, m.key, m.value);
    if (d.kind === 'status') {
      const list = byNotification.get(d.event.notification_id) ?? [];
      list.push(d.event);
      byNotification.set(d.event.notification_id, list);
    } else if (d.kind === 'despatch') {
      despatches.set(d.event.notification_id, d.event.despatched_on);
    }
  }

  it('produces each notification on time in life order, late changes last and newest first', () => {
    const onTime = new Map<string, number>();
    const late = new Map<string, number>();
    const lateStart = messages.findIndex((m) => m.late);
    expect(lateStart).toBeGreaterThan(0);
    expect(messages.slice(lateStart).every((m) => m.late)).toBe(true);
    for (const m of messages) {
      if (m.kind !== 'status' || m.copy) continue;
      const d = decodeMessage(m.topic, m.key, m.value);
      if (d.kind !== 'status') throw new Error('not a status');
      const id = d.event.notification_id;
      if (m.late) {
        expect(d.event.status).not.toBe('created');
        // Held back and produced in reverse: a notification's newest late change comes first.
        expect(d.event.updated_at.ms).toBeLessThan(late.get(id) ?? Infinity);
        late.set(id, d.event.updated_at.ms);
      } else {
        expect(d.event.updated_at.ms).toBeGreaterThan(onTime.get(id) ?? -Infinity);
        onTime.set(id, d.event.updated_at.ms);
      }
    }
    expect(late.size).toBeGreaterThan(100);
  });

  it('has strictly increasing updated_at along each life, starting at created', () => {
    for (const list of byNotification.values()) {
      const life = [...list].sort((a, b) => a.updated_at.ms - b.updated_at.ms);
      expect(life[0]!.status).toBe('created');
      expect(life[0]!.updated_at.ms).toBe(life[0]!.created_at.ms);
      for (let i = 1; i < life.length; i++) expect(life[i]!.updated_at.ms).toBeGreaterThan(life[i - 1]!.updated_at.ms);
      expect(new Set(life.map((e) => e.created_at.iso)).size).toBe(1);
    }
  });

  it('follows the realistic paths of each type', () => {
    const paths = new Set<string>();
    const all: string[] = [];
    for (const list of byNotification.values()) {
      const life = [...list].sort((a, b) => a.updated_at.ms - b.updated_at.ms);
      const first = life[0]!;
      const path = `${first.notification_type}: ${life.map((e) => e.status).join(' > ')}`;
      paths.add(path);
      all.push(path);
      expect(londonDayOf(first.created_at.ms) >= '2024-03-26' && londonDayOf(first.created_at.ms) <= '2024-03-31').toBe(true);
      for (const e of life.slice(1)) {
        if (e.notification_type === 'sms') {
          expect(e.billable_units).toBeGreaterThanOrEqual(1);
          expect(e.billable_units).toBeLessThanOrEqual(4);
          expect(['mmg', 'firetext']).toContain(e.sent_by);
          if (e.international) expect([2, 3]).toContain(e.rate_multiplier);
          else expect([1, null]).toContain(e.rate_multiplier);
        }
        if (e.notification_type === 'letter') {
          expect(e.sent_by).toBe('dvla');
          expect(e.billable_units).toBeGreaterThanOrEqual(1);
          expect(e.billable_units).toBeLessThanOrEqual(5);
          expect(e.postage).not.toBeNull();
        }
        if (e.notification_type === 'email') expect([e.sent_by, e.billable_units]).toEqual(['ses', 0]);
      }
      const despatched = despatches.get(first.notification_id);
      if (despatched) {
        expect(first.notification_type).toBe('letter');
        expect(life.map((e) => e.status)).toContain('sending');
        expect([addDays(londonDayOf(first.created_at.ms), 1), addDays(londonDayOf(first.created_at.ms), 2)]).toContain(despatched);
      }
    }
    const ends = /(delivered|sent|technical-failure|temporary-failure|permanent-failure|returned-letter)$/;
    const isComplete = (p: string) => ends.test(p) || p === 'letter: created > cancelled';
    const complete = [...paths].filter(isComplete);
    expect(new Set(complete.map((p) => p.replace(ends, 'END')))).toEqual(
      new Set([
        'email: created > sending > END',
        'sms: created > sending > END',
        'sms: created > sending > pending > END',
        'letter: created > cancelled',
        'letter: created > sending > END',
      ]),
    );
    // Only the last notification of a chunk may stop early, when the chunk's budget runs out.
    const chunks = 6 + Math.ceil(messages.length / MAX_CHUNK_MESSAGES);
    const stoppedShort = all.filter((p) => !isComplete(p)).length;
    expect(stoppedShort).toBeLessThanOrEqual(chunks);
    expect(stoppedShort).toBeLessThan(0.01 * all.length);
  });
});
