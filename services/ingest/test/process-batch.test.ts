// processBatch: pure decisions of one batch (rows, dead letters, dirty marks), no broker, no storage.
// Expected values are written by hand from shared/spec/events.md.
import { describe, expect, it } from 'vitest';
import { TOPICS } from '@notify-stats/events';
import { processBatch, type IncomingMessage } from '../src/process-batch.ts';
import { statusFields } from './fixtures.ts';

const U1 = '11111111-1111-1111-1111-111111111111';
const U2 = '22222222-2222-2222-2222-222222222222';
const U3 = '33333333-3333-3333-3333-333333333333';
const U4 = '44444444-4444-4444-4444-444444444444';
const U5 = '55555555-5555-5555-5555-555555555555';
const U6 = '66666666-6666-6666-6666-666666666666';
const U7 = '77777777-7777-7777-7777-777777777777';
const U8 = '88888888-8888-8888-8888-888888888888';
const U9 = '99999999-9999-9999-9999-999999999999';

const FIXED_NOW = new Date('2024-05-01T12:00:00.000Z');
const now = () => FIXED_NOW;

type Json = Record<string, unknown>;

// Every field of the contract, the optional ones set.
const status = (over: Json): Json => statusFields({ template_id: U4, job_id: null, rate_multiplier: 1, international: false, postage: null, ...over });

const msg = (offset: string, key: string | null, value: Json | string | null, headers?: IncomingMessage['headers']): IncomingMessage => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  offset,
  headers,
});

const markKeys = (marks: ReadonlyArray<{ scope: string; day: string }>) => marks.map((m) => `${m.scope}|${m.day}`).sort();

// ---------------------------------------------------------------------------------------------

describe('notification status batch', () => {
  const originalHeaders = { traceparent: Buffer.from('00-abc-def-01'), 'x-producer': 'notify-api' };
  const badJson = Buffer.from('{"event_id": "broken');
  const messages: IncomingMessage[] = [
    // 0: sms created 23:30 UTC on 31 March 2024 = 00:30 BST on 1 April
    msg('100', U2, status({ event_id: U1, notification_id: U2, created_at: '2024-03-31T23:30:00Z', updated_at: '2024-04-01T00:00:00Z' })),
    // 1: letter created 23:30 UTC on 30 March 2024 = 23:30 GMT, still 30 March
    msg(
      '101',
      U5,
      status({
        event_id: U4,
        notification_id: U5,
        notification_type: 'letter',
        status: 'returned-letter',
        created_at: '2024-03-30T23:30:00Z',
        updated_at: '2024-04-02T09:00:00Z',
        billable_units: 3,
        rate_multiplier: null,
        sent_by: 'dvla',
        postage: 'first',
      }),
    ),
    // 2: not JSON, with the producer's own headers
    { key: Buffer.from(U6), value: badJson, offset: '102', headers: originalHeaders },
    // 3: email on 1 April (London), same day as message 0
    msg('103', U7, status({ event_id: U6, notification_id: U7, notification_type: 'email', status: 'failed', created_at: '2024-04-01T10:00:00Z', updated_at: '2024-04-01T10:00:01Z', billable_units: 0, rate_multiplier: null, sent_by: 'ses' })),
    // 4: unknown status
    msg('104', U8, status({ event_id: U8, notification_id: U8, status: 'bounced' })),
    // 5: letter created 31 March 23:30 UTC = 1 April London, timestamp without Z
    msg(
      '105',
      U9,
      status({
        event_id: U9,
        notification_id: U9,
        notification_type: 'letter',
        status: 'created',
        created_at: '2024-03-31T23:30:00',
        updated_at: '2024-03-31T23:30:00',
        billable_units: 1,
        rate_multiplier: null,
        postage: 'second',
      }),
    ),
    // 6: a team-key sms on a day in GMT (January)
    msg('106', U3, status({ event_id: U3, notification_id: U3, key_type: 'team', created_at: '2024-01-10T00:30:00Z', updated_at: '2024-01-10T00:31:00Z' })),
  ];
  const out = processBatch(TOPICS.notificationStatus, 3, messages, { now });

  it('counts only the valid messages', () => {
    expect(out.valid).toBe(5);
    expect(out.notificationEvents).toHaveLength(5);
    expect(out.deadLetters).toHaveLength(2);
  });

  it('created_day is the Europe/London date of created_at', () => {
    const byId = new Map(out.notificationEvents.map((r) => [r.event_id, r]));
    expect(byId.get(U1)?.created_day).toBe('2024-04-01'); // 2024-03-31T23:30Z, BST
    expect(byId.get(U4)?.created_day).toBe('2024-03-30'); // 2024-03-30T23:30Z, GMT
    expect(byId.get(U6)?.created_day).toBe('2024-04-01');
    expect(byId.get(U9)?.created_day).toBe('2024-04-01'); // no Z means UTC
    expect(byId.get(U3)?.created_day).toBe('2024-01-10');
  });

  it('rows keep the event fields and the source partition/offset', () => {
    const first = out.notificationEvents.find((r) => r.event_id === U1);
    expect(first).toMatchObject({
      event_id: U1,
      notification_id: U2,
      service_id: U3,
      template_id: U4,
      job_id: null,
      notification_type: 'sms',
      key_type: 'normal',
      status: 'delivered',
      status_rank: 5,
      created_day: '2024-04-01',
      billable_units: 1,
      rate_multiplier: 1,
      international: false,
      sent_by: 'mmg',
      postage: null,
      source_partition: 3,
      source_offset: '100',
    });
    expect(Date.parse(first?.created_at ?? '')).toBe(Date.UTC(2024, 2, 31, 23, 30));
    expect(Date.parse(first?.updated_at ?? '')).toBe(Date.UTC(2024, 3, 1, 0, 0));

    const letter = out.notificationEvents.find((r) => r.event_id === U4);
    expect(letter).toMatchObject({
      notification_type: 'letter',
      status: 'returned-letter',
      status_rank: 7,
      billable_units: 3,
      rate_multiplier: null,
      postage: 'first',
      sent_by: 'dvla',
      source_partition: 3,
      source_offset: '101',
    });
    expect(out.notificationEvents.map((r) => r.source_offset)).toEqual(['100', '101', '103', '105', '106']);
    expect(out.notificationEvents.every((r) => r.source_partition === 3)).toBe(true);
  });

  it('dead letters keep the original key, value and headers and add the dlq headers', () => {
    const [first, second] = out.deadLetters;
    expect(first?.offset).toBe('102');
    expect(Buffer.compare(first?.key as Buffer, Buffer.from(U6))).toBe(0);
    expect(Buffer.compare(first?.value as Buffer, badJson)).toBe(0);
    expect(first?.reason).toMatch(/JSON/);
    expect(first?.headers).toMatchObject({
      traceparent: originalHeaders.traceparent,
      'x-producer': 'notify-api',
      'x-dlq-source-topic': 'notify.notification-status.v1',
      'x-dlq-source-partition': '3',
      'x-dlq-source-offset': '102',
      'x-dlq-failed-at': '2024-05-01T12:00:00.000Z',
    });
    expect(first?.headers['x-dlq-reason']).toBe(first?.reason);

    expect(second?.offset).toBe('104');
    expect(second?.reason).toContain('status');
    expect(second?.headers).toMatchObject({
      'x-dlq-reason': second?.reason,
      'x-dlq-source-topic': 'notify.notification-status.v1',
      'x-dlq-source-partition': '3',
      'x-dlq-source-offset': '104',
      'x-dlq-failed-at': '2024-05-01T12:00:00.000Z',
    });
    expect(Buffer.compare(second?.value as Buffer, messages[4]?.value as Buffer)).toBe(0);
    expect(Buffer.compare(second?.key as Buffer, Buffer.from(U8))).toBe(0);
  });

  it('does not mutate the original headers object', () => {
    expect(Object.keys(originalHeaders).sort()).toEqual(['traceparent', 'x-producer']);
  });

  it('status events mark nothing: the rollups read them from their change log by Kafka position', () => {
    expect(out.dirty).toEqual([]);
  });
});

describe('status_rank follows the status order of events.md', () => {
  const order: Array<[string, number]> = [
    ['created', 0],
    ['pending-virus-check', 1],
    ['sending', 2],
    ['pending', 3],
    ['sent', 4],
    ['delivered', 5],
    ['cancelled', 6],
    ['returned-letter', 7],
    ['validation-failed', 8],
    ['virus-scan-failed', 9],
    ['technical-failure', 10],
    ['temporary-failure', 11],
    ['permanent-failure', 12],
    ['failed', 13],
  ];
  it.each(order)('%s -> %i', (s, rank) => {
    const out = processBatch(TOPICS.notificationStatus, 0, [msg('1', U2, status({ status: s }))], { now });
    expect(out.deadLetters).toEqual([]);
    expect(out.notificationEvents[0]?.status_rank).toBe(rank);
  });

  it('ranks increase strictly along the list', () => {
    const msgs = order.map(([s], i) => msg(String(i), U2, status({ status: s })));
    const ranks = processBatch(TOPICS.notificationStatus, 0, msgs, { now }).notificationEvents.map((r) => r.status_rank);
    expect(ranks).toHaveLength(14);
    for (let i = 1; i < ranks.length; i++) expect(ranks[i]).toBeGreaterThan(ranks[i - 1] as number);
  });
});

describe('created_day across the clock changes', () => {
  const table: Array<[string, string]> = [
    ['2024-03-30T23:30:00Z', '2024-03-30'],
    ['2024-03-31T00:30:00Z', '2024-03-31'],
    ['2024-03-31T22:59:59Z', '2024-03-31'], // 23:59:59 BST
    ['2024-03-31T23:00:00Z', '2024-04-01'], // 00:00 BST
    ['2024-03-31T23:30:00Z', '2024-04-01'],
    ['2024-10-26T22:59:59Z', '2024-10-26'], // 23:59:59 BST
    ['2024-10-26T23:00:00Z', '2024-10-27'], // 00:00 BST, the day clocks go back
    ['2024-10-27T23:30:00Z', '2024-10-27'], // 23:30 GMT
    ['2024-12-31T23:59:59Z', '2024-12-31'],
    ['2024-04-15T10:00:00+01:00', '2024-04-15'],
  ];
  it.each(table)('%s -> %s', (createdAt, day) => {
    const out = processBatch(TOPICS.notificationStatus, 0, [msg('9', U2, status({ created_at: createdAt }))], { now });
    expect(out.notificationEvents[0]?.created_day).toBe(day);
  });
});

describe('letter despatch batch', () => {
  const despatch = (event: string, notification: string, day: string, threshold = 'sorted') => ({
    event_id: event,
    notification_id: notification,
    despatched_on: day,
    cost_threshold: threshold,
  });
  const messages = [
    msg('10', U2, despatch(U1, U2, '2024-04-02')),
    msg('11', U3, despatch(U4, U3, '2024-04-02', 'unsorted')),
    msg('12', U5, despatch(U6, U5, '2024-04-03')),
    msg('13', U7, despatch(U8, U7, '2024-04-03T00:00:00Z')), // not YYYY-MM-DD
    msg('14', U9, despatch(U9, U9, '2024-04-04', 'presorted')),
  ];
  const out = processBatch(TOPICS.letterDespatch, 1, messages, { now });

  it('rows and counts', () => {
    expect(out.valid).toBe(3);
    expect(out.letterDespatches).toEqual([
      { event_id: U1, notification_id: U2, despatched_on: '2024-04-02', cost_threshold: 'sorted', source_partition: 1, source_offset: '10' },
      { event_id: U4, notification_id: U3, despatched_on: '2024-04-02', cost_threshold: 'unsorted', source_partition: 1, source_offset: '11' },
      { event_id: U6, notification_id: U5, despatched_on: '2024-04-03', cost_threshold: 'sorted', source_partition: 1, source_offset: '12' },
    ]);
    expect(out.notificationEvents).toEqual([]);
    expect(out.inboundSms).toEqual([]);
  });

  it('despatches mark nothing: the rollups read them from their change log by Kafka position', () => {
    expect(out.dirty).toEqual([]);
  });

  it('invalid despatches become dead letters naming the field', () => {
    expect(out.deadLetters.map((d) => d.offset)).toEqual(['13', '14']);
    expect(out.deadLetters[0]?.reason).toContain('despatched_on');
    expect(out.deadLetters[1]?.reason).toContain('cost_threshold');
    for (const d of out.deadLetters) {
      expect(d.headers['x-dlq-source-topic']).toBe('notify.letter-despatch.v1');
      expect(d.headers['x-dlq-source-partition']).toBe('1');
      expect(d.headers['x-dlq-source-offset']).toBe(d.offset);
      expect(d.headers['x-dlq-failed-at']).toBe('2024-05-01T12:00:00.000Z');
      expect(d.headers['x-dlq-reason']).toBe(d.reason);
    }
  });
});

describe('inbound sms batch', () => {
  const inbound = (id: string, createdAt: string) => ({
    event_id: id,
    inbound_sms_id: id,
    service_id: U3,
    created_at: createdAt,
    provider: 'mmg',
  });
  const out = processBatch(
    TOPICS.inboundSms,
    2,
    [msg('0', U1, inbound(U1, '2024-06-30T23:15:00Z')), msg('1', U2, inbound(U2, '2024-01-05T12:00:00Z')), msg('2', U4, { ...inbound(U4, '2024-01-05T12:00:00Z'), service_id: 'nope' })],
    { now },
  );

  it('rows with the London created day', () => {
    expect(out.valid).toBe(2);
    expect(out.inboundSms.map((r) => [r.inbound_sms_id, r.service_id, r.created_day, r.provider])).toEqual([
      [U1, U3, '2024-07-01', 'mmg'],
      [U2, U3, '2024-01-05', 'mmg'],
    ]);
    expect(Date.parse(out.inboundSms[0]?.created_at ?? '')).toBe(Date.UTC(2024, 5, 30, 23, 15));
  });

  it('a bad inbound message is a dead letter', () => {
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]?.reason).toContain('service_id');
    expect(out.deadLetters[0]?.headers['x-dlq-source-topic']).toBe('notify.inbound-sms.v1');
    expect(out.deadLetters[0]?.headers['x-dlq-source-offset']).toBe('2');
  });
});

describe('reference data batch', () => {
  const messages: IncomingMessage[] = [
    // The key decides identity: the value's id differs.
    msg('7', `service:${U3}`, {
      type: 'service',
      id: U9,
      name: 'Renew a thing',
      organisation_id: U4,
      restricted: false,
      active: true,
      count_as_live: true,
      purchase_order_number: null,
      billing_reference: 'REF-2',
    }),
    msg('8', `organisation:${U4}`, { type: 'organisation', id: U8, name: 'Dept' }),
    msg('9', `annual_billing:${U3}:2024`, { type: 'annual_billing', service_id: U9, financial_year_start: 2023, free_sms_fragment_limit: 150000 }),
    // 23:00 UTC on 31 March 2024 = London midnight of 1 April (BST)
    msg('10', 'sms_rate:2024-03-31T23:00:00Z', { type: 'sms_rate', valid_from: '2024-03-31T23:00:00Z', rate: 0.0197 }),
    // 23:00 UTC on 26 October 2024 = London midnight of 27 October (still BST)
    msg('11', 'letter_rate:2024-10-26T23:00:00Z:second:2', {
      type: 'letter_rate',
      start_date: '2024-10-26T23:00:00Z',
      end_date: null,
      sheet_count: 2,
      post_class: 'second',
      rate: '0.78',
    }),
    msg('12', `api_key:${U5}`, { type: 'api_key', id: U6, service_id: U3, secret: 'k'.repeat(32), revoked: false }),
    // tombstones
    msg('13', `service:${U7}`, null),
    msg('14', 'sms_rate:2024-06-01T00:00:00Z', null),
    // invalid: bad key, mismatched type
    msg('15', 'service:not-a-uuid', { type: 'service', id: U3, name: 'x', restricted: false, active: true, count_as_live: true }),
    msg('16', `organisation:${U4}`, { type: 'service', id: U4, name: 'x', restricted: false, active: true, count_as_live: true }),
    // a second sms rate on the same London day: one mark
    msg('17', 'sms_rate:2024-04-01T12:00:00Z', { type: 'sms_rate', valid_from: '2024-04-01T12:00:00Z', rate: '0.021' }),
  ];
  const out = processBatch(TOPICS.referenceData, 0, messages, { now });

  it('valid counts tombstones and records, not dead letters', () => {
    expect(out.valid).toBe(9);
    expect(out.deadLetters.map((d) => d.offset)).toEqual(['15', '16']);
    expect(out.deadLetters[0]?.reason).toContain('key');
    expect(out.deadLetters[1]?.reason).toContain('type');
  });

  it('service rows take the id from the key, version from the offset', () => {
    const rows = out.reference.get('service') ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      key: `service:${U3}`,
      id: U3,
      name: 'Renew a thing',
      organisation_id: U4,
      restricted: false,
      active: true,
      count_as_live: true,
      purchase_order_number: null,
      billing_contact_names: null,
      billing_reference: 'REF-2',
      version: '7',
      is_deleted: 0,
    });
    expect(rows[1]).toMatchObject({ key: `service:${U7}`, version: '13', is_deleted: 1 });
  });

  it('organisation and api key rows take the id from the key', () => {
    expect(out.reference.get('organisation')).toEqual([
      expect.objectContaining({ key: `organisation:${U4}`, id: U4, name: 'Dept', version: '8', is_deleted: 0 }),
    ]);
    expect(out.reference.get('api_key')).toEqual([
      expect.objectContaining({ key: `api_key:${U5}`, id: U5, service_id: U3, secret: 'k'.repeat(32), revoked: false, version: '12', is_deleted: 0 }),
    ]);
  });

  it('annual billing takes service and financial year from the key', () => {
    expect(out.reference.get('annual_billing')).toEqual([
      expect.objectContaining({
        key: `annual_billing:${U3}:2024`,
        service_id: U3,
        financial_year_start: 2024,
        free_sms_fragment_limit: 150000,
        version: '9',
        is_deleted: 0,
      }),
    ]);
  });

  it('rates keep exact money and their timestamps', () => {
    const sms = out.reference.get('sms_rate') ?? [];
    expect(sms.map((r) => [r.key, r.version, r.is_deleted, r.rate])).toEqual([
      ['sms_rate:2024-03-31T23:00:00Z', '10', 0, '0.0197'],
      ['sms_rate:2024-06-01T00:00:00Z', '14', 1, undefined],
      ['sms_rate:2024-04-01T12:00:00Z', '17', 0, '0.021'],
    ]);
    expect(Date.parse(String(sms[0]?.valid_from))).toBe(Date.UTC(2024, 2, 31, 23, 0));
    const letter = out.reference.get('letter_rate') ?? [];
    expect(letter).toHaveLength(1);
    expect(letter[0]).toMatchObject({
      key: 'letter_rate:2024-10-26T23:00:00Z:second:2',
      end_date: null,
      sheet_count: 2,
      post_class: 'second',
      rate: '0.78',
      version: '11',
      is_deleted: 0,
    });
    expect(Date.parse(String(letter[0]?.start_date))).toBe(Date.UTC(2024, 9, 26, 23, 0));
  });

  it('tombstones are marked deleted and carry their key and offset', () => {
    const deleted = [...out.reference.values()].flat().filter((r) => r.is_deleted === 1);
    expect(deleted.map((r) => [r.key, r.version]).sort()).toEqual([
      ['service:77777777-7777-7777-7777-777777777777', '13'],
      ['sms_rate:2024-06-01T00:00:00Z', '14'],
    ]);
  });

  it('rate marks carry the London day of valid_from / start_date, de-duplicated; an allowance marks its financial year for the alerts', () => {
    expect(markKeys(out.dirty)).toEqual(['alert_thresholds|2024-04-01', 'letter_rate|2024-10-27', 'sms_rate|2024-04-01', 'sms_rate|2024-06-01']);
  });

  it('no other tables are written', () => {
    expect(out.notificationEvents).toEqual([]);
    expect(out.letterDespatches).toEqual([]);
    expect(out.inboundSms).toEqual([]);
    expect([...out.reference.keys()].sort()).toEqual(['annual_billing', 'api_key', 'letter_rate', 'organisation', 'service', 'sms_rate']);
  });
});

describe('edge cases', () => {
  it('an empty batch', () => {
    const out = processBatch(TOPICS.notificationStatus, 0, [], { now });
    expect(out).toMatchObject({ notificationEvents: [], deadLetters: [], dirty: [], valid: 0 });
    expect(out.reference.size).toBe(0);
  });

  it('a batch of only invalid messages (null value, empty value, oversized)', () => {
    const big = Buffer.alloc(256 * 1024 + 1, 0x20);
    const out = processBatch(
      TOPICS.notificationStatus,
      5,
      [
        { key: null, value: null, offset: '1' },
        { key: null, value: Buffer.alloc(0), offset: '2' },
        { key: Buffer.from(U1), value: big, offset: '3' },
      ],
      { now },
    );
    expect(out.valid).toBe(0);
    expect(out.dirty).toEqual([]);
    expect(out.deadLetters.map((d) => [d.offset, d.headers['x-dlq-source-partition'], d.headers['x-dlq-source-offset']])).toEqual([
      ['1', '5', '1'],
      ['2', '5', '2'],
      ['3', '5', '3'],
    ]);
    expect(out.deadLetters[0]?.key).toBeNull();
    expect(out.deadLetters[0]?.value).toBeNull();
    expect(out.deadLetters[2]?.value).toBe(big);
    for (const d of out.deadLetters) expect(String(d.headers['x-dlq-reason']).length).toBeGreaterThan(0);
  });

  it('string keys and values are accepted as well as bytes', () => {
    const out = processBatch(TOPICS.notificationStatus, 0, [{ key: U2, value: JSON.stringify(status({})), offset: '42' }], { now });
    expect(out.valid).toBe(1);
    expect(out.notificationEvents[0]?.source_offset).toBe('42');
  });

  it('uses the current time when no clock is given', () => {
    const before = Date.now();
    const out = processBatch(TOPICS.notificationStatus, 0, [{ key: null, value: 'x', offset: '1' }]);
    const failedAt = Date.parse(String(out.deadLetters[0]?.headers['x-dlq-failed-at']));
    expect(failedAt).toBeGreaterThanOrEqual(before);
    expect(failedAt).toBeLessThanOrEqual(Date.now());
  });
});

describe('quarantined services', () => {
  it('dead-letters the status events of a rejected service and keeps the others', () => {
    const rejected = '99999999-0000-4000-8000-000000000009';
    const kept = '99999999-0000-4000-8000-000000000001';
    const event = (service_id: string, event_id: string) =>
      JSON.stringify({
        event_id, notification_id: event_id, service_id, template_id: null, job_id: null, notification_type: 'sms',
        key_type: 'normal', status: 'delivered', created_at: '2024-04-15T10:00:00Z', updated_at: '2024-04-15T10:00:01Z',
        billable_units: 1, rate_multiplier: 1, international: false, sent_by: 'mmg', postage: null,
      });
    const out = processBatch(
      TOPICS.notificationStatus,
      0,
      [
        { key: null, value: event(rejected, '11111111-1111-4111-8111-111111111111'), offset: '7' },
        { key: null, value: event(kept, '22222222-2222-4222-8222-222222222222'), offset: '8' },
      ],
      { rejectServices: new Set([rejected]) },
    );
    expect(out.notificationEvents.map((r) => r.service_id)).toEqual([kept]);
    expect(out.deadLetters.map((d) => [d.offset, d.reason])).toEqual([['7', `service ${rejected} is quarantined (INGEST_REJECT_SERVICES)`]]);
  });
});
