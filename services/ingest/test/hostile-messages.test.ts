// processBatch on messages that are valid JSON but hostile, for every topic: nothing thrown for
// one message escapes, every message is either a row or a dead letter with a reason, and dates
// outside the contract's window never reach a dirty mark. Expected values are written by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { processBatch } from '../src/process-batch.ts';
import { U1, U2, U3, rawMessage, statusFields } from './fixtures.ts';

const raw = rawMessage;
const status = statusFields;

describe('dates outside the window in reference keys', () => {
  it.each([
    ['sms_rate:-100000-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-04-01T00:00:00Z', rate: 0.02 }],
    ['sms_rate:1900-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-04-01T00:00:00Z', rate: 0.02 }],
    ['sms_rate:2100-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-04-01T00:00:00Z', rate: 0.02 }],
    ['letter_rate:-100000-01-01T00:00:00Z:second:2', { type: 'letter_rate', start_date: '2024-04-01T00:00:00Z', end_date: null, sheet_count: 2, post_class: 'second', rate: 0.5 }],
    ['sms_rate:-100000-01-01T00:00:00Z', null],
  ])('dead-letters %s (value %j) with a reason, and marks no day', (key, value) => {
    const out = processBatch(TOPICS.referenceData, 0, [raw(1, key, value === null ? null : JSON.stringify(value))]);
    expect(out.valid).toBe(0);
    expect(out.dirty).toEqual([]);
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]?.reason).toMatch(/out of range \(2000-01-01 to 2099-12-31\)/);
  });

  it('still takes a rate keyed inside the window and marks its first day', () => {
    const out = processBatch(TOPICS.referenceData, 0, [raw(1, 'sms_rate:2000-01-01T00:00:00Z', JSON.stringify({ type: 'sms_rate', valid_from: '2000-01-01T00:00:00Z', rate: 0.02 }))]);
    expect(out.deadLetters).toEqual([]);
    expect(out.dirty).toEqual([{ scope: 'sms_rate', day: '2000-01-01' }]);
  });

  it.each(['0001-01-01', '1999-12-31', '2100-01-01', '9999-12-31'])('dead-letters a despatch on %s', (day) => {
    const out = processBatch(TOPICS.letterDespatch, 0, [raw(1, U2, JSON.stringify({ event_id: U1, notification_id: U2, despatched_on: day, cost_threshold: 'sorted' }))]);
    expect(out.valid).toBe(0);
    expect(out.deadLetters[0]?.reason).toMatch(/despatched_on: is out of range/);
  });
});

describe('lone surrogates', () => {
  it('stores a lone surrogate in sent_by as the replacement character', () => {
    const text = JSON.stringify(status()).replace('"mmg"', '"mmg\\ud800"');
    expect(text).toContain('mmg\\ud800');
    const out = processBatch(TOPICS.notificationStatus, 0, [raw(1, U2, text)]);
    expect(out.deadLetters).toEqual([]);
    expect(out.notificationEvents[0]?.sent_by).toBe('mmg\uFFFD');
  });

  it('keeps a well-formed pair written as escapes', () => {
    const text = JSON.stringify(status()).replace('"mmg"', '"mmg\\ud83d\\ude00"');
    const out = processBatch(TOPICS.notificationStatus, 0, [raw(1, U2, text)]);
    expect(out.notificationEvents[0]?.sent_by).toBe('mmg\u{1F600}');
  });

  it('replaces a lone surrogate in a service name', () => {
    const value = `{"type":"service","id":"${U3}","name":"Tax \\udc00 office","restricted":false,"active":true,"count_as_live":true}`;
    const out = processBatch(TOPICS.referenceData, 0, [raw(1, `service:${U3}`, value)]);
    expect(out.deadLetters).toEqual([]);
    expect(out.reference.get('service')?.[0]?.name).toBe('Tax \uFFFD office');
  });
});

// Values of every JSON shape in every field, Unicode edge cases, huge numbers, dates at the edges.
const edgeString = fc.constantFrom(
  '', '\u0000', '\uFFFF', '\uD800', 'a\uDC00b', '\u202Eabc', 'e\u0301', '😀', 'x'.repeat(70_000),
  '1999-12-31T23:59:59Z', '2000-01-01T00:00:00Z', '2099-12-31T23:59:59.999Z', '2100-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z', '-100000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2024-02-30T00:00:00Z', '2024-04-15',
  U1, U1.toUpperCase(), 'organisation:x',
);
const edgeNumber = fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, 2 ** 31, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER, 1e-320);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  edgeString,
  fc.string({ unit: 'binary', maxLength: 40 }),
  edgeNumber,
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(edgeNumber, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), edgeNumber, { maxKeys: 3 }),
);
const FIELDS: Record<string, string[]> = {
  [TOPICS.notificationStatus]: Object.keys(status({ template_id: null, job_id: null, rate_multiplier: 1, international: false, postage: null })),
  [TOPICS.letterDespatch]: ['event_id', 'notification_id', 'despatched_on', 'cost_threshold'],
  [TOPICS.inboundSms]: ['event_id', 'inbound_sms_id', 'service_id', 'created_at', 'provider'],
  [TOPICS.referenceData]: ['type', 'id', 'name', 'valid_from', 'start_date', 'end_date', 'rate', 'sheet_count', 'post_class', 'free_sms_fragment_limit', 'secret'],
};
const referenceKey = fc.oneof(
  fc.constantFrom('sms_rate:', 'letter_rate:', `service:${U3}`, `annual_billing:${U3}:2024`, 'api_key:', ':', ''),
  edgeString.map((s) => `sms_rate:${s}`),
  edgeString.map((s) => `letter_rate:${s}:second:2`),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

describe('hostile values in every field of every topic', () => {
  it.each(SOURCE_TOPICS)('%s: never throws; every message is stored or dead-lettered with a reason', (topic) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: topic === TOPICS.referenceData ? referenceKey : fc.constant(U2),
            fields: fc.dictionary(fc.constantFrom(...(FIELDS[topic] as string[])), hostile, { maxKeys: 6 }),
            base: fc.boolean(),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (items) => {
          const messages = items.map((item, i) => {
            const body = topic === TOPICS.notificationStatus && item.base ? { ...status(), ...item.fields } : item.fields;
            return raw(i, item.key, JSON.stringify(body));
          });
          const out = processBatch(topic, 0, messages);
          expect(out.valid + out.deadLetters.length).toBe(messages.length);
          for (const letter of out.deadLetters) expect(letter.reason.length).toBeGreaterThan(0);
          // No valid row may carry a date outside the window, nor a string the engine would refuse.
          for (const mark of out.dirty) expect(mark.day >= '2000-01-01' && mark.day <= '2099-12-31').toBe(true);
          expect(JSON.stringify(out.notificationEvents)).not.toMatch(/\\ud[89a-f]/i);
          expect(JSON.stringify([...out.reference.values()])).not.toMatch(/\\ud[89a-f]/i);
        },
      ),
      { seed: 20261204, numRuns: 300 },
    );
  });
});

describe('structures JSON allows', () => {
  const withEscape = (over: Record<string, unknown>) => JSON.stringify(status(over)).replace('"mmg"', '"mmg\\ud800"');

  it('stores a valid event with an unknown field nested 5,000 deep (and a surrogate to repair)', () => {
    let deep = '1';
    for (let i = 0; i < 5000; i++) deep = `{"a":${deep}}`;
    const text = withEscape({}).replace(/}$/, `,"extra":${deep}}`);
    const out = processBatch(TOPICS.notificationStatus, 0, [raw(1, U2, text)]);
    expect(out.deadLetters).toEqual([]);
    expect(out.notificationEvents[0]?.sent_by).toBe('mmg\uFFFD');
  });

  it('keeps "__proto__" a field: an event without event_id is dead-lettered whatever it nests', () => {
    const { event_id: _id, ...rest } = status();
    const text = JSON.stringify({ ...rest, sent_by: 'mmg' }).replace('"mmg"', '"mmg\\ud800"').replace(/}$/, `,"__proto__":{"event_id":"${U1}"}}`);
    const out = processBatch(TOPICS.notificationStatus, 0, [raw(1, U2, text)]);
    expect(out.notificationEvents).toEqual([]);
    expect(out.deadLetters[0]?.reason).toMatch(/event_id/);
  });
});
