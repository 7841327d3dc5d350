import { describe, expect, it } from 'vitest';
import { TOPICS, decodeMessage } from '@notify-stats/events';
import { INVALID_KINDS, generateAll } from '../src/index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('contract', () => {
  const { messages, tally } = generateAll({ count: 20_000, services: 12, seed: 3, days: 4, endDay: '2024-10-28', lateFraction: 0.05, duplicateFraction: 0.05, invalidFraction: 0.02 });

  it('every valid message passes decodeMessage, keyed as events.md says', () => {
    for (const m of messages) {
      if (m.kind === 'invalid') continue;
      const d = decodeMessage(m.topic, m.key, m.value);
      expect(d.kind, `${m.topic} ${m.value.toString()}`).toBe(m.kind);
      if (d.kind === 'status' || d.kind === 'despatch') {
        expect(m.key.toString()).toBe(d.event.notification_id);
        expect(d.event.event_id).toMatch(UUID);
        expect(d.event.notification_id).toMatch(UUID);
      }
      if (d.kind === 'status') expect(m.topic).toBe(TOPICS.notificationStatus);
      if (d.kind === 'despatch') expect(m.topic).toBe(TOPICS.letterDespatch);
      if (d.kind === 'reference') expect(m.topic).toBe(TOPICS.referenceData);
    }
  });

  it('every invalid message fails decodeMessage, in every way listed', () => {
    const invalid = messages.filter((m) => m.kind === 'invalid');
    expect(invalid).toHaveLength(400);
    for (const m of invalid) {
      const d = decodeMessage(m.topic, m.key, m.value);
      expect(d.kind, m.value.toString()).toBe('invalid');
    }
    expect(new Set(invalid.map((m) => m.invalid))).toEqual(new Set(INVALID_KINDS));
    expect(new Set(invalid.map((m) => m.topic))).toEqual(new Set([TOPICS.notificationStatus, TOPICS.letterDespatch]));
    expect(tally.invalid.total).toBe(400);
  });

  it('publishes the reference data first, with every key the events need', () => {
    const reference = messages.filter((m) => m.kind === 'reference');
    expect(messages.slice(0, reference.length).every((m) => m.kind === 'reference')).toBe(true);
    const keys = new Set(reference.map((m) => m.key.toString()));
    for (const s of tally.reference.services) expect(keys.has(`service:${s.id}`)).toBe(true);
    for (const a of tally.reference.allowances) expect(keys.has(`annual_billing:${a.serviceId}:${a.financialYearStart}`)).toBe(true);
    // 2024-10-25 .. 2024-10-28 lies in FY 2024 only; 1 sms rate; 5 postages x 5 sheet counts.
    expect(tally.reference.allowances).toHaveLength(12);
    expect([...keys].filter((k) => k.startsWith('sms_rate:'))).toHaveLength(1);
    expect([...keys].filter((k) => k.startsWith('letter_rate:'))).toHaveLength(25);
    expect([...keys].filter((k) => k.startsWith('api_key:'))).toHaveLength(12);
    expect(tally.reference.smsRates[0]!.validFrom < '2024-10-25').toBe(true);
    const services = tally.reference.services;
    expect(services.filter((s) => s.live).length).toBeGreaterThanOrEqual(9);
    expect(services.some((s) => s.restricted)).toBe(true);
    expect(services.some((s) => !s.active)).toBe(true);
  });
});
