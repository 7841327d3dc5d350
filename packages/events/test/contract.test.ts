// The event contract (shared/spec/events.md), one table per field rule, for all four topics.
// Expected values are written by hand from the spec, never copied from the decoder's output.
import { describe, expect, it } from 'vitest';
import { decodeMessage, TOPICS, type Decoded, type SourceTopic } from '../src/index.ts';

type Json = Record<string, unknown>;

const U1 = '11111111-1111-1111-1111-111111111111';
const U2 = '22222222-2222-2222-2222-222222222222';
const U3 = '33333333-3333-3333-3333-333333333333';
const U4 = '44444444-4444-4444-4444-444444444444';
const U5 = '55555555-5555-5555-5555-555555555555';

const LIMIT_BYTES = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// One valid message per topic / reference type. Every table below starts from one of these.

interface Subject {
  topic: SourceTopic;
  key: string;
  kind: 'status' | 'despatch' | 'inbound' | 'reference';
  base: () => Json;
}

const smsStatus = (): Json => ({
  event_id: U1,
  notification_id: U2,
  service_id: U3,
  template_id: U4,
  job_id: U5,
  notification_type: 'sms',
  key_type: 'normal',
  status: 'delivered',
  created_at: '2024-04-15T10:11:12.123Z',
  updated_at: '2024-04-15T10:12:00.000Z',
  billable_units: 2,
  rate_multiplier: 3,
  international: true,
  sent_by: 'mmg',
  postage: null,
});

const letterStatus = (): Json => ({
  ...smsStatus(),
  notification_type: 'letter',
  status: 'sending',
  billable_units: 4,
  rate_multiplier: null,
  international: false,
  sent_by: 'dvla',
  postage: 'second',
});

const SUBJECTS = {
  status: { topic: TOPICS.notificationStatus, key: U2, kind: 'status', base: smsStatus },
  letterStatus: { topic: TOPICS.notificationStatus, key: U2, kind: 'status', base: letterStatus },
  despatch: {
    topic: TOPICS.letterDespatch,
    key: U2,
    kind: 'despatch',
    base: () => ({ event_id: U1, notification_id: U2, despatched_on: '2024-04-16', cost_threshold: 'sorted' }),
  },
  inbound: {
    topic: TOPICS.inboundSms,
    key: U2,
    kind: 'inbound',
    base: () => ({
      event_id: U1,
      inbound_sms_id: U2,
      service_id: U3,
      created_at: '2024-04-15T10:11:12.123Z',
      provider: 'mmg',
    }),
  },
  organisation: {
    topic: TOPICS.referenceData,
    key: `organisation:${U4}`,
    kind: 'reference',
    base: () => ({
      type: 'organisation',
      id: U4,
      name: 'Department of Examples',
      purchase_order_number: 'PO-1',
      billing_contact_names: 'Ada Lovelace',
      billing_contact_email_addresses: 'ada@example.gov.uk',
      billing_reference: 'REF-1',
    }),
  },
  service: {
    topic: TOPICS.referenceData,
    key: `service:${U3}`,
    kind: 'reference',
    base: () => ({
      type: 'service',
      id: U3,
      name: 'Renew a thing',
      organisation_id: U4,
      restricted: false,
      active: true,
      count_as_live: true,
      purchase_order_number: 'PO-2',
      billing_contact_names: 'Grace Hopper',
      billing_contact_email_addresses: 'grace@example.gov.uk',
      billing_reference: 'REF-2',
    }),
  },
  annual_billing: {
    topic: TOPICS.referenceData,
    key: `annual_billing:${U3}:2024`,
    kind: 'reference',
    base: () => ({ type: 'annual_billing', service_id: U3, financial_year_start: 2024, free_sms_fragment_limit: 150000 }),
  },
  spend_threshold: {
    topic: TOPICS.referenceData,
    key: `spend_threshold:${U3}:2024`,
    kind: 'reference',
    base: () => ({ type: 'spend_threshold', service_id: U3, financial_year_start: 2024, amount: '250.50' }),
  },
  sms_rate: {
    topic: TOPICS.referenceData,
    key: 'sms_rate:2024-04-01T00:00:00Z',
    kind: 'reference',
    base: () => ({ type: 'sms_rate', valid_from: '2024-04-01T00:00:00Z', rate: 0.0197 }),
  },
  letter_rate: {
    topic: TOPICS.referenceData,
    key: 'letter_rate:2024-04-01T00:00:00Z:second:2',
    kind: 'reference',
    base: () => ({
      type: 'letter_rate',
      start_date: '2024-04-01T00:00:00Z',
      end_date: '2025-04-01T00:00:00Z',
      sheet_count: 2,
      post_class: 'second',
      rate: '0.78',
    }),
  },
  api_key: {
    topic: TOPICS.referenceData,
    key: `api_key:${U5}`,
    kind: 'reference',
    base: () => ({ type: 'api_key', id: U5, service_id: U3, secret: 's3cret-value-0123456789abcdefghijklmnopqr', revoked: false }),
  },
} satisfies Record<string, Subject>;

type SubjectName = keyof typeof SUBJECTS;
const REFERENCE_SUBJECTS = ['organisation', 'service', 'annual_billing', 'spend_threshold', 'sms_rate', 'letter_rate', 'api_key'] as const;

// ---------------------------------------------------------------------------------------------
// Helpers

function decode(name: SubjectName, value: Json, key: string | null = SUBJECTS[name].key): Decoded {
  return decodeMessage(SUBJECTS[name].topic, key, JSON.stringify(value));
}

function withField(name: SubjectName, field: string, value: unknown): Json {
  return { ...SUBJECTS[name].base(), [field]: value };
}

function without(name: SubjectName, field: string): Json {
  const v: Json = SUBJECTS[name].base();
  delete v[field];
  return v;
}

/** The decoded record's fields, after asserting the message was accepted as the subject's kind. */
function accepted(name: SubjectName, d: Decoded): Record<string, unknown> {
  const subject = SUBJECTS[name];
  if (d.kind === 'invalid') throw new Error(`expected ${subject.kind}, got invalid: ${d.reason}`);
  expect(d.kind).toBe(subject.kind);
  switch (d.kind) {
    case 'status':
    case 'despatch':
    case 'inbound':
      return d.event as unknown as Record<string, unknown>;
    case 'reference':
      expect(d.key).toBe(subject.key);
      return d.record as unknown as Record<string, unknown>;
    default:
      throw new Error(`unexpected kind ${d.kind}`);
  }
}

function expectInvalid(d: Decoded, mentions: string | RegExp): void {
  expect(d.kind).toBe('invalid');
  if (d.kind !== 'invalid') return;
  expect(typeof d.reason).toBe('string');
  expect(d.reason.length).toBeGreaterThan(0);
  if (typeof mentions === 'string') expect(d.reason).toContain(mentions);
  else expect(d.reason).toMatch(mentions);
}

// ---------------------------------------------------------------------------------------------
// Baseline: each valid message decodes to the values it carries.

describe('valid messages of every topic', () => {
  it('notification status: every field as written, timestamps in UTC', () => {
    const e = accepted('status', decode('status', smsStatus()));
    expect(e).toMatchObject({
      event_id: U1,
      notification_id: U2,
      service_id: U3,
      template_id: U4,
      job_id: U5,
      notification_type: 'sms',
      key_type: 'normal',
      status: 'delivered',
      billable_units: 2,
      rate_multiplier: 3,
      international: true,
      sent_by: 'mmg',
      postage: null,
    });
    expect(e.created_at).toMatchObject({ ms: Date.UTC(2024, 3, 15, 10, 11, 12, 123) });
    expect(e.updated_at).toMatchObject({ ms: Date.UTC(2024, 3, 15, 10, 12, 0, 0) });
  });

  it('letter status with postage', () => {
    const e = accepted('letterStatus', decode('letterStatus', letterStatus()));
    expect(e).toMatchObject({ notification_type: 'letter', postage: 'second', billable_units: 4, rate_multiplier: null });
  });

  it('letter despatch', () => {
    const e = accepted('despatch', decode('despatch', SUBJECTS.despatch.base()));
    expect(e).toEqual({ event_id: U1, notification_id: U2, despatched_on: '2024-04-16', cost_threshold: 'sorted' });
  });

  it('inbound sms', () => {
    const e = accepted('inbound', decode('inbound', SUBJECTS.inbound.base()));
    expect(e).toMatchObject({ event_id: U1, inbound_sms_id: U2, service_id: U3, provider: 'mmg' });
    expect(e.created_at).toMatchObject({ ms: Date.UTC(2024, 3, 15, 10, 11, 12, 123) });
  });
});

// ---------------------------------------------------------------------------------------------
// Required fields

describe('required fields: a message without one is invalid and the reason names it', () => {
  const table: Array<[SubjectName, string]> = [
    ...(['event_id', 'notification_id', 'service_id', 'notification_type', 'key_type', 'status', 'created_at', 'updated_at', 'billable_units'].map(
      (f) => ['status', f] as [SubjectName, string],
    )),
    ...(['event_id', 'notification_id', 'despatched_on', 'cost_threshold'].map((f) => ['despatch', f] as [SubjectName, string])),
    ...(['event_id', 'inbound_sms_id', 'service_id', 'created_at', 'provider'].map((f) => ['inbound', f] as [SubjectName, string])),
    ['organisation', 'type'],
    ['organisation', 'id'],
    ['organisation', 'name'],
    ['service', 'type'],
    ['service', 'id'],
    ['service', 'name'],
    ['service', 'restricted'],
    ['service', 'active'],
    ['service', 'count_as_live'],
    ['annual_billing', 'type'],
    ['annual_billing', 'service_id'],
    ['annual_billing', 'financial_year_start'],
    ['annual_billing', 'free_sms_fragment_limit'],
    ['spend_threshold', 'type'],
    ['spend_threshold', 'service_id'],
    ['spend_threshold', 'financial_year_start'],
    ['spend_threshold', 'amount'],
    ['sms_rate', 'type'],
    ['sms_rate', 'valid_from'],
    ['sms_rate', 'rate'],
    ['letter_rate', 'type'],
    ['letter_rate', 'start_date'],
    ['letter_rate', 'sheet_count'],
    ['letter_rate', 'post_class'],
    ['letter_rate', 'rate'],
    ['api_key', 'type'],
    ['api_key', 'id'],
    ['api_key', 'service_id'],
    ['api_key', 'secret'],
    ['api_key', 'revoked'],
  ];

  it.each(table)('%s without %s', (name, field) => {
    expectInvalid(decode(name, without(name, field)), field);
  });

  it.each(table.filter(([, f]) => f !== 'type'))('%s with %s = null', (name, field) => {
    expectInvalid(decode(name, withField(name, field, null)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// UUIDs

describe('uuid fields accept any 8-4-4-4-12 hex id and reject anything else', () => {
  const fields: Array<[SubjectName, string]> = [
    ['status', 'event_id'],
    ['status', 'notification_id'],
    ['status', 'service_id'],
    ['status', 'template_id'],
    ['status', 'job_id'],
    ['despatch', 'event_id'],
    ['despatch', 'notification_id'],
    ['inbound', 'event_id'],
    ['inbound', 'inbound_sms_id'],
    ['inbound', 'service_id'],
    ['organisation', 'id'],
    ['service', 'id'],
    ['service', 'organisation_id'],
    ['annual_billing', 'service_id'],
    ['api_key', 'id'],
    ['api_key', 'service_id'],
  ];
  const good = [
    '11111111-1111-1111-1111-111111111111', // not an RFC 9562 version, still accepted
    '00000000-0000-0000-0000-000000000000',
    '9b2c4f0e-8d7a-4e3b-9c1d-2f6a5b4c3d2e', // a v4
    'ABCDEF01-2345-6789-ABCD-EF0123456789', // upper case hex
  ];
  const bad: unknown[] = [
    'not-a-uuid',
    '11111111-1111-1111-1111-11111111111', // 11 digits in the last group
    '11111111-1111-1111-1111-1111111111111', // 13
    '111111111111111111111111111111111111', // no hyphens
    '11111111111111111111111111111111',
    'g1111111-1111-1111-1111-111111111111', // not hex
    '{11111111-1111-1111-1111-111111111111}',
    '',
    12345,
  ];

  const cases = fields.flatMap(([n, f]) => good.map((v) => [n, f, v] as const));
  it.each(cases)('%s.%s accepts %s', (name, field, value) => {
    const e = accepted(name, decode(name, withField(name, field, value)));
    expect(String(e[field]).toLowerCase()).toBe(value.toLowerCase());
  });

  const badCases = fields.flatMap(([n, f]) => bad.map((v) => [n, f, v] as const));
  it.each(badCases)('%s.%s rejects %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// Enumerations

const ALL_STATUSES = [
  'created',
  'pending-virus-check',
  'sending',
  'pending',
  'sent',
  'delivered',
  'cancelled',
  'returned-letter',
  'validation-failed',
  'virus-scan-failed',
  'technical-failure',
  'temporary-failure',
  'permanent-failure',
  'failed',
];
const ALL_POSTAGES = ['first', 'second', 'economy', 'europe', 'rest-of-world'];

describe('enumerations', () => {
  const accepts: Array<[SubjectName, string, string]> = [
    ...['email', 'sms', 'letter'].map((v) => ['status', 'notification_type', v] as [SubjectName, string, string]),
    ...['normal', 'team', 'test'].map((v) => ['status', 'key_type', v] as [SubjectName, string, string]),
    ...ALL_STATUSES.map((v) => ['status', 'status', v] as [SubjectName, string, string]),
    ...ALL_POSTAGES.map((v) => ['letterStatus', 'postage', v] as [SubjectName, string, string]),
    ...['sorted', 'unsorted'].map((v) => ['despatch', 'cost_threshold', v] as [SubjectName, string, string]),
    ...ALL_POSTAGES.map((v) => ['letter_rate', 'post_class', v] as [SubjectName, string, string]),
  ];

  it('the status list has the 14 statuses of events.md', () => {
    expect(new Set(ALL_STATUSES).size).toBe(14);
  });

  it.each(accepts)('%s.%s accepts %s', (name, field, value) => {
    expect(accepted(name, decode(name, withField(name, field, value)))[field]).toBe(value);
  });

  const rejects: Array<[SubjectName, string, unknown]> = [
    ['status', 'notification_type', 'push'],
    ['status', 'notification_type', 'SMS'],
    ['status', 'notification_type', ''],
    ['status', 'key_type', 'live'],
    ['status', 'key_type', 'Normal'],
    ['status', 'status', 'bounced'],
    ['status', 'status', 'Delivered'],
    ['status', 'status', 'pending_virus_check'],
    ['status', 'status', 3],
    ['letterStatus', 'postage', 'third'],
    ['letterStatus', 'postage', 'First'],
    ['letterStatus', 'postage', 'rest_of_world'],
    ['despatch', 'cost_threshold', 'presorted'],
    ['despatch', 'cost_threshold', 'Sorted'],
    ['letter_rate', 'post_class', 'third'],
  ];
  it.each(rejects)('%s.%s rejects %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// Nullable fields: null and missing both mean null; a value is kept.

describe('nullable fields: null and missing both accepted, meaning null', () => {
  const table: Array<[SubjectName, string, unknown]> = [
    ['status', 'template_id', U4],
    ['status', 'job_id', U5],
    ['status', 'rate_multiplier', 3],
    ['status', 'international', true],
    ['status', 'sent_by', 'mmg'],
    ['letterStatus', 'postage', 'second'],
    ['organisation', 'purchase_order_number', 'PO-1'],
    ['organisation', 'billing_contact_names', 'Ada Lovelace'],
    ['organisation', 'billing_contact_email_addresses', 'ada@example.gov.uk'],
    ['organisation', 'billing_reference', 'REF-1'],
    ['service', 'organisation_id', U4],
    ['service', 'purchase_order_number', 'PO-2'],
    ['service', 'billing_contact_names', 'Grace Hopper'],
    ['service', 'billing_contact_email_addresses', 'grace@example.gov.uk'],
    ['service', 'billing_reference', 'REF-2'],
  ];

  it.each(table)('%s.%s = null', (name, field) => {
    const e = accepted(name, decode(name, withField(name, field, null)));
    expect(e).toHaveProperty(field, null);
  });

  it.each(table)('%s.%s missing', (name, field) => {
    const e = accepted(name, decode(name, without(name, field)));
    expect(e).toHaveProperty(field, null);
  });

  it.each(table)('%s.%s present keeps its value', (name, field, value) => {
    const e = accepted(name, decode(name, withField(name, field, value)));
    expect(e).toHaveProperty(field, value);
  });

  it('letter_rate.end_date: null and missing mean null', () => {
    expect(accepted('letter_rate', decode('letter_rate', withField('letter_rate', 'end_date', null))).end_date).toBeNull();
    expect(accepted('letter_rate', decode('letter_rate', without('letter_rate', 'end_date'))).end_date).toBeNull();
  });

  const wrongType: Array<[SubjectName, string, unknown]> = [
    ['status', 'international', 'true'],
    ['status', 'international', 1],
    ['status', 'sent_by', 42],
    ['status', 'template_id', 42],
    ['organisation', 'billing_reference', 7],
    ['service', 'purchase_order_number', false],
  ];
  it.each(wrongType)('%s.%s rejects the wrong type %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// Integers

describe('billable_units: integer from 0 to 1,000,000', () => {
  it.each([0, 1, 3, 100000, 1_000_000])('accepts %j', (v) => {
    expect(accepted('status', decode('status', withField('status', 'billable_units', v))).billable_units).toBe(v);
  });
  it.each([-1, 1.5, '3', true, null, 1_000_001, 2 ** 31, 1e308])('rejects %j', (v) => {
    expectInvalid(decode('status', withField('status', 'billable_units', v)), 'billable_units');
  });
});

describe('rate_multiplier: integer from 0 to 1,000 or null', () => {
  it.each([0, 1, 2, 1000, null])('accepts %j', (v) => {
    expect(accepted('status', decode('status', withField('status', 'rate_multiplier', v))).rate_multiplier).toBe(v);
  });
  it.each([-1, 1.5, '2', false, 1001, 1_000_000])('rejects %j', (v) => {
    expectInvalid(decode('status', withField('status', 'rate_multiplier', v)), 'rate_multiplier');
  });
});

describe('other integer and boolean fields of reference data', () => {
  const rejects: Array<[SubjectName, string, unknown]> = [
    ['annual_billing', 'financial_year_start', 2024.5],
    ['annual_billing', 'financial_year_start', '2024'],
    ['annual_billing', 'free_sms_fragment_limit', 1.5],
    ['annual_billing', 'free_sms_fragment_limit', '150000'],
    ['service', 'restricted', 'false'],
    ['service', 'active', 1],
    ['service', 'count_as_live', 'yes'],
    ['api_key', 'revoked', 'false'],
  ];
  it.each(rejects)('%s.%s rejects %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// Timestamps

describe('timestamps: ISO-8601, UTC, missing Z means UTC, offsets converted', () => {
  const fields: Array<[SubjectName, string]> = [
    ['status', 'created_at'],
    ['status', 'updated_at'],
    ['inbound', 'created_at'],
    ['sms_rate', 'valid_from'],
    ['letter_rate', 'start_date'],
    ['letter_rate', 'end_date'],
  ];

  // [input, expected epoch ms (hand computed)]
  const good: Array<[string, number]> = [
    ['2024-04-15T10:11:12.123Z', Date.UTC(2024, 3, 15, 10, 11, 12, 123)],
    ['2024-04-15T10:11:12Z', Date.UTC(2024, 3, 15, 10, 11, 12, 0)],
    ['2024-04-15T10:11:12.123', Date.UTC(2024, 3, 15, 10, 11, 12, 123)], // no Z: UTC, not local, not London
    ['2024-04-15T10:11:12', Date.UTC(2024, 3, 15, 10, 11, 12, 0)],
    ['2024-01-15T10:11:12', Date.UTC(2024, 0, 15, 10, 11, 12, 0)],
    ['2024-04-15T10:11:12.123+01:00', Date.UTC(2024, 3, 15, 9, 11, 12, 123)],
    ['2024-04-15T00:30:00+01:00', Date.UTC(2024, 3, 14, 23, 30, 0, 0)], // crosses back a day
    ['2024-04-15T22:30:00-02:00', Date.UTC(2024, 3, 16, 0, 30, 0, 0)], // crosses forward a day
    ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12, 0, 0, 0)], // leap day
    ['2000-01-01T00:00:00Z', Date.UTC(2000, 0, 1)],
    ['2099-12-31T23:59:59Z', Date.UTC(2099, 11, 31, 23, 59, 59)],
  ];

  const cases = fields.flatMap(([n, f]) => good.map(([input, ms]) => [n, f, input, ms] as const));
  it.each(cases)('%s.%s accepts %s', (name, field, input, ms) => {
    const ts = accepted(name, decode(name, withField(name, field, input)))[field] as { iso: string; ms: number };
    expect(ts.ms).toBe(ms);
    expect(ts.iso.endsWith('Z')).toBe(true);
    expect(Date.parse(ts.iso)).toBe(ms);
  });

  it.each(fields)('%s.%s: without Z equals the Z form', (name, field) => {
    const withZ = accepted(name, decode(name, withField(name, field, '2024-10-27T01:30:00.500Z')))[field];
    const noZ = accepted(name, decode(name, withField(name, field, '2024-10-27T01:30:00.500')))[field];
    expect(noZ).toEqual(withZ);
  });

  it.each(fields)('%s.%s: +01:00 is converted to the same instant as its Z form', (name, field) => {
    const offset = accepted(name, decode(name, withField(name, field, '2024-07-01T13:00:00+01:00')))[field] as { ms: number };
    const utc = accepted(name, decode(name, withField(name, field, '2024-07-01T12:00:00Z')))[field] as { ms: number };
    expect(offset.ms).toBe(utc.ms);
    expect(offset.ms).toBe(Date.UTC(2024, 6, 1, 12, 0, 0));
  });

  const bad: unknown[] = [
    '2024-02-30T10:00:00Z', // 30 February
    '2024-02-30T10:00:00',
    '2023-02-29T12:00:00Z', // not a leap year
    '2024-04-31T12:00:00Z', // April has 30 days
    '2024-13-01T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-04-15T25:00:00Z',
    '2024-04-15T10:61:00Z',
    'not a date',
    '',
    1713175872123, // epoch ms is not ISO-8601
  ];
  const badCases = fields.flatMap(([n, f]) => bad.map((v) => [n, f, v] as const));
  it.each(badCases)('%s.%s rejects %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });

  // Calendar validity must not depend on whether the producer wrote an offset.
  const badWithOffset = ['2024-02-30T10:00:00+01:00', '2023-02-29T12:00:00-01:00', '2024-04-31T12:00:00+00:00'];
  const badOffsetCases = fields.flatMap(([n, f]) => badWithOffset.map((v) => [n, f, v] as const));
  it.each(badOffsetCases)('%s.%s rejects the impossible date %s', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });

  const outOfRange = ['1999-12-31T23:59:59Z', '1999-06-01T00:00:00Z', '2100-01-01T00:00:00Z', '2100-06-01T12:00:00'];
  const rangeCases = fields.flatMap(([n, f]) => outOfRange.map((v) => [n, f, v] as const));
  it.each(rangeCases)('%s.%s rejects out-of-range %s', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

// ---------------------------------------------------------------------------------------------
// despatched_on

describe('despatched_on: strictly YYYY-MM-DD', () => {
  it.each(['2024-04-16', '2024-02-29', '2025-12-31'])('accepts %s', (v) => {
    expect(accepted('despatch', decode('despatch', withField('despatch', 'despatched_on', v))).despatched_on).toBe(v);
  });
  it.each([
    '2024-4-16',
    '2024-04-6',
    '24-04-16',
    '20240416',
    '2024/04/16',
    '16-04-2024',
    '2024-04-16T00:00:00Z',
    '2024-04-16T00:00:00',
    ' 2024-04-16',
    '2024-04-16 ',
    '2024-02-30',
    '2023-02-29',
    '2024-13-01',
    '2024-00-01',
    '2024-04-00',
    '',
    20240416,
  ])('rejects %j', (v) => {
    expectInvalid(decode('despatch', withField('despatch', 'despatched_on', v)), 'despatched_on');
  });
});

// ---------------------------------------------------------------------------------------------
// Forward compatibility

describe('unknown extra fields are ignored', () => {
  const names: SubjectName[] = ['status', 'despatch', 'inbound', ...REFERENCE_SUBJECTS];
  it.each(names)('%s', (name) => {
    const plain = accepted(name, decode(name, SUBJECTS[name].base()));
    const extra = accepted(
      name,
      decode(name, { ...SUBJECTS[name].base(), some_future_field: 'x', nested_future: { a: [1, 2] }, version: 2 }),
    );
    expect(extra).toMatchObject(plain);
    for (const k of Object.keys(plain)) expect(extra[k]).toEqual(plain[k]);
  });
});

// ---------------------------------------------------------------------------------------------
// Message-level problems

describe('values that are not one JSON object', () => {
  const topics: Array<[string, SourceTopic, string]> = [
    ['status', TOPICS.notificationStatus, U2],
    ['despatch', TOPICS.letterDespatch, U2],
    ['inbound', TOPICS.inboundSms, U2],
    ['reference', TOPICS.referenceData, `service:${U3}`],
  ];

  const notJson = ['{"event_id": "11111111-1111-1111-1111-111111111111"', 'not json', "{'a': 1}", '{"a":1}}'];
  it.each(topics.flatMap(([n, t, k]) => notJson.map((v) => [n, t, k, v] as const)))(
    '%s: invalid JSON %j',
    (_n, topic, key, value) => {
      expectInvalid(decodeMessage(topic, key, value), /JSON/);
    },
  );

  const nonObjects = ['[]', '[{"event_id":"x"}]', '42', '"a string"', 'true', 'null'];
  it.each(topics.flatMap(([n, t, k]) => nonObjects.map((v) => [n, t, k, v] as const)))(
    '%s: non-object JSON %s',
    (_n, topic, key, value) => {
      expectInvalid(decodeMessage(topic, key, value), /object/);
    },
  );

  it.each(topics)('%s: empty value (string)', (_n, topic, key) => {
    expectInvalid(decodeMessage(topic, key, ''), /JSON|empty|value/i);
  });

  it.each(topics)('%s: empty value (zero bytes)', (_n, topic, key) => {
    expectInvalid(decodeMessage(topic, key, Buffer.alloc(0)), /JSON|empty|value/i);
  });

  it.each(topics.filter(([n]) => n !== 'reference'))('%s: a null value is invalid (only reference data has tombstones)', (_n, topic, key) => {
    expectInvalid(decodeMessage(topic, key, null), /value/);
  });

  it('accepts UTF-8 bytes (Buffer) as well as strings', () => {
    const value = { ...SUBJECTS.inbound.base(), provider: 'fírétext' };
    const e = accepted('inbound', decodeMessage(TOPICS.inboundSms, Buffer.from(U2), Buffer.from(JSON.stringify(value), 'utf8')));
    expect(e.provider).toBe('fírétext');
  });
});

describe('oversized values (> 256 KiB) are rejected with a reason', () => {
  /** A valid message of the subject padded with an unknown field to exactly `bytes` UTF-8 bytes. */
  function padded(name: SubjectName, bytes: number, filler = 'x'): string {
    const prefix = JSON.stringify({ ...SUBJECTS[name].base(), padding: '' });
    const missing = bytes - Buffer.byteLength(prefix);
    const fillerBytes = Buffer.byteLength(filler);
    expect(missing % fillerBytes).toBe(0);
    const s = JSON.stringify({ ...SUBJECTS[name].base(), padding: filler.repeat(missing / fillerBytes) });
    expect(Buffer.byteLength(s)).toBe(bytes);
    return s;
  }
  const names: SubjectName[] = ['status', 'despatch', 'inbound', 'service'];

  it.each(names)('%s: exactly 256 KiB is accepted', (name) => {
    accepted(name, decodeMessage(SUBJECTS[name].topic, SUBJECTS[name].key, padded(name, LIMIT_BYTES)));
  });

  it.each(names)('%s: 256 KiB + 1 byte is rejected (string value)', (name) => {
    expectInvalid(decodeMessage(SUBJECTS[name].topic, SUBJECTS[name].key, padded(name, LIMIT_BYTES + 1)), /262144|256/);
  });

  it.each(names)('%s: 256 KiB + 1 byte is rejected (Buffer value)', (name) => {
    const value = Buffer.from(padded(name, LIMIT_BYTES + 1), 'utf8');
    expectInvalid(decodeMessage(SUBJECTS[name].topic, SUBJECTS[name].key, value), /bytes/);
  });

  it('counts bytes, not characters', () => {
    // Two-byte characters: fewer than 256 Ki characters but more than 256 KiB.
    const base = JSON.stringify({ ...SUBJECTS.status.base(), padding: '' });
    const size = Buffer.byteLength(base);
    const padding = 'é'.repeat(Math.ceil((LIMIT_BYTES + 2 - size) / 2));
    const value = JSON.stringify({ ...SUBJECTS.status.base(), padding });
    expect(value.length).toBeLessThanOrEqual(LIMIT_BYTES);
    expect(Buffer.byteLength(value)).toBeGreaterThan(LIMIT_BYTES);
    expectInvalid(decodeMessage(TOPICS.notificationStatus, U2, value), /bytes/);
  });

  it('a huge non-JSON value is rejected too', () => {
    expectInvalid(decodeMessage(TOPICS.letterDespatch, U2, 'x'.repeat(LIMIT_BYTES * 2)), /bytes/);
  });
});

// ---------------------------------------------------------------------------------------------
// Reference data

describe('reference data: each of the six types', () => {
  it('organisation', () => {
    const d = decode('organisation', SUBJECTS.organisation.base());
    expect(d).toMatchObject({ kind: 'reference', key: `organisation:${U4}`, type: 'organisation' });
    expect(accepted('organisation', d)).toEqual({
      type: 'organisation',
      id: U4,
      name: 'Department of Examples',
      purchase_order_number: 'PO-1',
      billing_contact_names: 'Ada Lovelace',
      billing_contact_email_addresses: 'ada@example.gov.uk',
      billing_reference: 'REF-1',
    });
  });

  it('service', () => {
    const d = decode('service', SUBJECTS.service.base());
    expect(d).toMatchObject({ kind: 'reference', key: `service:${U3}`, type: 'service' });
    expect(accepted('service', d)).toEqual({
      type: 'service',
      id: U3,
      name: 'Renew a thing',
      organisation_id: U4,
      restricted: false,
      active: true,
      count_as_live: true,
      purchase_order_number: 'PO-2',
      billing_contact_names: 'Grace Hopper',
      billing_contact_email_addresses: 'grace@example.gov.uk',
      billing_reference: 'REF-2',
    });
  });

  it('service in trial mode, inactive, not counted as live, no organisation', () => {
    const e = accepted(
      'service',
      decode('service', { ...SUBJECTS.service.base(), restricted: true, active: false, count_as_live: false, organisation_id: null }),
    );
    expect(e).toMatchObject({ restricted: true, active: false, count_as_live: false, organisation_id: null });
  });

  it('annual_billing', () => {
    const d = decode('annual_billing', SUBJECTS.annual_billing.base());
    expect(d).toMatchObject({ kind: 'reference', key: `annual_billing:${U3}:2024`, type: 'annual_billing' });
    expect(accepted('annual_billing', d)).toEqual({
      type: 'annual_billing',
      service_id: U3,
      financial_year_start: 2024,
      free_sms_fragment_limit: 150000,
    });
  });

  it('sms_rate', () => {
    const d = decode('sms_rate', SUBJECTS.sms_rate.base());
    expect(d).toMatchObject({ kind: 'reference', key: 'sms_rate:2024-04-01T00:00:00Z', type: 'sms_rate' });
    const r = accepted('sms_rate', d);
    expect(r.type).toBe('sms_rate');
    expect(r.rate).toBe('0.0197');
    expect(r.valid_from).toMatchObject({ ms: Date.UTC(2024, 3, 1) });
  });

  it('letter_rate', () => {
    const d = decode('letter_rate', SUBJECTS.letter_rate.base());
    expect(d).toMatchObject({ kind: 'reference', key: 'letter_rate:2024-04-01T00:00:00Z:second:2', type: 'letter_rate' });
    const r = accepted('letter_rate', d);
    expect(r).toMatchObject({ type: 'letter_rate', sheet_count: 2, post_class: 'second', rate: '0.78' });
    expect(r.start_date).toMatchObject({ ms: Date.UTC(2024, 3, 1) });
    expect(r.end_date).toMatchObject({ ms: Date.UTC(2025, 3, 1) });
  });

  it('api_key', () => {
    const d = decode('api_key', SUBJECTS.api_key.base());
    expect(d).toMatchObject({ kind: 'reference', key: `api_key:${U5}`, type: 'api_key' });
    expect(accepted('api_key', d)).toEqual({ type: 'api_key', id: U5, service_id: U3, secret: 's3cret-value-0123456789abcdefghijklmnopqr', revoked: false });
  });

  it('an unknown type is rejected', () => {
    expectInvalid(decode('service', { ...SUBJECTS.service.base(), type: 'widget' }), 'type');
  });
});

describe('reference data: the key prefix must match the value type', () => {
  // Each valid value under every other type's valid key.
  const pairs = REFERENCE_SUBJECTS.flatMap((keyOf) =>
    REFERENCE_SUBJECTS.filter((valueOf) => valueOf !== keyOf).map((valueOf) => [keyOf, valueOf] as const),
  );
  it.each(pairs)('key of %s, value of %s', (keyOf, valueOf) => {
    expectInvalid(decode(valueOf, SUBJECTS[valueOf].base(), SUBJECTS[keyOf].key), 'type');
  });
});

describe('reference data: bad keys are rejected', () => {
  const table: Array<[string | null, SubjectName]> = [
    ['service:not-a-uuid', 'service'],
    [`service:${U3}:extra`, 'service'],
    ['service:', 'service'],
    ['service', 'service'],
    ['organisation:not-a-uuid', 'organisation'],
    ['organisation:1234', 'organisation'],
    ['api_key:not-a-uuid', 'api_key'],
    [`annual_billing:${U3}:20x4`, 'annual_billing'],
    [`annual_billing:${U3}:24`, 'annual_billing'],
    [`annual_billing:${U3}`, 'annual_billing'],
    ['annual_billing:not-a-uuid:2024', 'annual_billing'],
    ['sms_rate:', 'sms_rate'],
    ['letter_rate:', 'letter_rate'],
    [`widget:${U3}`, 'service'],
    [`Service:${U3}`, 'service'],
    [U3, 'service'],
    ['', 'service'],
    [null, 'service'],
  ];
  it.each(table)('key %j', (key, valueOf) => {
    expectInvalid(decode(valueOf, SUBJECTS[valueOf].base(), key), 'key');
  });

  it.each(table)('key %j with a null value (not a tombstone)', (key) => {
    expectInvalid(decodeMessage(TOPICS.referenceData, key, null), 'key');
  });
});

describe('reference data: money kept exact', () => {
  const moneyFields: Array<[SubjectName, string]> = [
    ['sms_rate', 'rate'],
    ['letter_rate', 'rate'],
  ];
  const good: Array<[unknown, string]> = [
    [0.638, '0.638'],
    ['0.638', '0.638'],
    ['1234.5', '1234.5'],
    [1234.5, '1234.5'],
    [0.1, '0.1'], // not 0.1000000000000000055511151231257827
    [0.0197, '0.0197'],
    [0, '0'],
    ['0', '0'],
    [2, '2'],
    ['0.0000000001', '0.0000000001'], // 10 decimals: allowed
    [1e-10, '0.0000000001'],
    ['123456789012345678.1234567891', '123456789012345678.1234567891'],
  ];
  it.each(moneyFields.flatMap(([n, f]) => good.map(([v, s]) => [n, f, v, s] as const)))('%s.%s: %j -> %s', (name, field, value, expected) => {
    expect(accepted(name, decode(name, withField(name, field, value)))[field]).toBe(expected);
  });

  const bad: unknown[] = [-1, '-1', -0.01, '-0.5', '0.00000000001', 0.00000000001, '0.12345678901', 'abc', '', '1,50', '£1.50', true, [1], { amount: 1 }];
  it.each(moneyFields.flatMap(([n, f]) => bad.map((v) => [n, f, v] as const)))('%s.%s rejects %j', (name, field, value) => {
    expectInvalid(decode(name, withField(name, field, value)), field);
  });
});

describe('reference data: a null value with a valid key deletes the key', () => {
  it.each(REFERENCE_SUBJECTS)('%s tombstone', (name) => {
    const d = decodeMessage(TOPICS.referenceData, SUBJECTS[name].key, null);
    expect(d).toEqual({ kind: 'reference-deleted', key: SUBJECTS[name].key, type: name });
  });

  it('a tombstone key given as bytes', () => {
    const d = decodeMessage(TOPICS.referenceData, Buffer.from(`service:${U3}`), null);
    expect(d).toEqual({ kind: 'reference-deleted', key: `service:${U3}`, type: 'service' });
  });
});
