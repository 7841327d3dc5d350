import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { annualBilling, get, insert, letterFact, openTestApp, service, smsFact, ZERO_UUID, type TestApp } from './helpers.ts';

const S = 'c2000000-0000-4000-8000-000000000001';
const OTHER = 'c2000000-0000-4000-8000-000000000002';
const KEY = { id: 'd2000000-0000-4000-8000-000000000001', secret: 'messaging-secret-0123456789abcdefgh' };

const apiKey = (k: { id: string; secret: string }, serviceId: string) => ({
  key: `api_key:${k.id}`,
  id: k.id,
  service_id: serviceId,
  secret: k.secret,
  revoked: false,
  version: 1,
  is_deleted: 0,
});

const status = (day: string, st: string, count: number, o: { type?: string; key_type?: string; service_id?: string } = {}) => ({
  day,
  service_id: o.service_id ?? S,
  template_id: ZERO_UUID,
  job_id: ZERO_UUID,
  notification_type: o.type ?? 'sms',
  key_type: o.key_type ?? 'normal',
  status: st,
  notification_count: count,
});

let inboundEvent = 0;
const inbound = (id: string, createdAt: string, day: string, serviceId = S) => ({
  event_id: `e2000000-0000-4000-8000-${String(++inboundEvent).padStart(12, '0')}`,
  inbound_sms_id: id,
  service_id: serviceId,
  created_at: createdAt,
  created_day: day,
  provider: 'mmg',
});

let t: TestApp;
async function ask(query: string) {
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode(KEY.secret));
  return t.app.inject({ method: 'GET', url: `/v2/stats/messaging?${query}`, headers: { authorization: `Bearer ${token}` } });
}
async function periods(query: string) {
  const res = await ask(query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as unknown[];
}

// London midnights as unix seconds.
const MAR_01 = 1709251200; // 2024-03-01T00:00:00Z (GMT)
const MAR_31 = 1711843200; // 2024-03-31T00:00:00Z (GMT; the clocks go forward at 01:00 UTC that day)
const APR_01 = 1711926000; // 2024-03-31T23:00:00Z (BST)
const APR_02 = 1712012400; // 2024-04-01T23:00:00Z
const APR_10 = 1712703600; // 2024-04-09T23:00:00Z
const MAY_01 = 1714518000; // 2024-04-30T23:00:00Z
const DEC_01_2023 = 1701388800; // 2023-12-01T00:00:00Z

beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_services', [service({ id: S, name: 'Messaging service' }), service({ id: OTHER, name: 'Other' })]);
  await insert(t.client, 'ref_api_keys', [apiKey(KEY, S)]);
  // Allowance 10 in FY2023 (to 2024-03-31), 5 in FY2024: the year boundary resets it.
  await insert(t.client, 'ref_annual_billing', [annualBilling(S, 2023, 10), annualBilling(S, 2024, 5)]);
  await insert(t.client, 'fact_billing', [
    smsFact({ day: '2024-03-20', service_id: S, units: 8, rate: '0.02' }), // C = 8 <= 10: free
    smsFact({ day: '2024-03-31', service_id: S, units: 5, rate: '0.02' }), // C = 13: 3 charged, 0.06
    smsFact({ day: '2024-04-01', service_id: S, units: 7, rate: '0.025' }), // FY2024, C = 7: 2 charged, 0.05
    smsFact({ day: '2024-04-15', service_id: S, units: 2, multiplier: 2, rate: '0.025' }), // 4 units, C = 11: 4 charged, 0.1
    letterFact({ day: '2024-04-01', service_id: S, postage: 'second', rate: '0.5', letters: 2 }),
    smsFact({ day: '2024-04-01', service_id: OTHER, units: 1000, rate: '0.025' }), // never S's
  ]);
  await insert(t.client, 'fact_notification_status', [
    status('2024-03-20', 'delivered', 8),
    status('2024-03-31', 'delivered', 3),
    status('2024-03-31', 'temporary-failure', 1),
    status('2024-03-31', 'pending', 1),
    status('2024-04-01', 'delivered', 5),
    status('2024-04-01', 'sending', 1),
    status('2024-04-01', 'validation-failed', 1),
    status('2024-04-15', 'delivered', 2),
    status('2024-04-01', 'delivered', 100, { key_type: 'test' }), // test keys never count
    status('2024-04-01', 'delivered', 50, { type: 'email' }),
    status('2024-04-01', 'sending', 2, { type: 'letter' }),
    status('2024-04-01', 'delivered', 77, { service_id: OTHER }),
    // One of each status on its own day, counts 2^n so every sum says which statuses are in it.
    ...[
      'created', 'pending-virus-check', 'sending', 'pending', 'sent', 'delivered', 'cancelled', 'returned-letter',
      'validation-failed', 'virus-scan-failed', 'technical-failure', 'temporary-failure', 'permanent-failure', 'failed',
    ].map((st, i) => status('2024-06-03', st, 2 ** i)),
  ]);
  await insert(t.client, 'inbound_sms', [
    inbound('f2000000-0000-4000-8000-000000000001', '2024-03-31T10:00:00Z', '2024-03-31'),
    inbound('f2000000-0000-4000-8000-000000000001', '2024-03-31T10:00:00Z', '2024-03-31'), // redelivered: once
    inbound('f2000000-0000-4000-8000-000000000002', '2024-03-31T22:59:00Z', '2024-03-31'),
    inbound('f2000000-0000-4000-8000-000000000003', '2024-03-31T23:30:00Z', '2024-04-01'), // 00:30 BST
    inbound('f2000000-0000-4000-8000-000000000004', '2024-04-01T09:00:00Z', '2024-04-01', OTHER),
  ]);
});
afterAll(() => t.close());
afterEach(() => vi.useRealTimers());

const zero = (date: string) => ({
  date,
  costs: 0,
  deliveryRate: 0,
  replyRate: 0,
  messagesReceived: 0,
  messagesSentParts: 0,
  messagesSentDelivered: 0,
  messagesSentAccepted: 0,
  messagesSentBuffered: 0,
  messagesSentFailed: 0,
  messagesSentRejected: 0,
});

const MARCH = {
  costs: 0.06,
  deliveryRate: 11 / 13,
  replyRate: 2 / 13,
  messagesReceived: 2,
  messagesSentParts: 13,
  messagesSentDelivered: 11,
  messagesSentAccepted: 0,
  messagesSentBuffered: 1,
  messagesSentFailed: 1,
  messagesSentRejected: 0,
};
const APRIL = {
  costs: 0.15,
  deliveryRate: 7 / 9,
  replyRate: 1 / 9,
  messagesReceived: 1,
  messagesSentParts: 11,
  messagesSentDelivered: 7,
  messagesSentAccepted: 1,
  messagesSentBuffered: 0,
  messagesSentFailed: 0,
  messagesSentRejected: 1,
};

describe('GET /v2/stats/messaging', () => {
  it('by=off: one element for the range, date empty, costs after the allowance', async () => {
    expect(await periods(`by=off&start=${MAR_01}&end=${MAY_01}`)).toEqual([
      {
        date: '',
        costs: 0.21,
        deliveryRate: 18 / 22,
        replyRate: 3 / 22,
        messagesReceived: 3,
        messagesSentParts: 24,
        messagesSentDelivered: 18,
        messagesSentAccepted: 1,
        messagesSentBuffered: 1,
        messagesSentFailed: 1,
        messagesSentRejected: 1,
      },
    ]);
    // by defaults to off
    expect(await periods(`start=${MAR_01}&end=${MAY_01}`)).toEqual(await periods(`by=off&start=${MAR_01}&end=${MAY_01}`));
  });

  it('by=month: London months, starting at +0000 in GMT and +0100 in BST', async () => {
    expect(await periods(`by=month&start=${MAR_01}&end=${MAY_01}`)).toEqual([
      { date: '2024-03-01T00:00:00+0000', ...MARCH },
      { date: '2024-04-01T00:00:00+0100', ...APRIL },
    ]);
  });

  it('by=day: 2024-03-31 and 2024-04-01 are separate days across the clock change', async () => {
    expect(await periods(`by=day&start=${MAR_31}&end=${APR_02}`)).toEqual([
      {
        date: '2024-03-31T00:00:00+0000',
        costs: 0.06,
        deliveryRate: 0.6,
        replyRate: 0.4,
        messagesReceived: 2,
        messagesSentParts: 5,
        messagesSentDelivered: 3,
        messagesSentAccepted: 0,
        messagesSentBuffered: 1,
        messagesSentFailed: 1,
        messagesSentRejected: 0,
      },
      {
        date: '2024-04-01T00:00:00+0100',
        costs: 0.05,
        deliveryRate: 5 / 7,
        replyRate: 1 / 7,
        messagesReceived: 1,
        messagesSentParts: 7,
        messagesSentDelivered: 5,
        messagesSentAccepted: 1,
        messagesSentBuffered: 0,
        messagesSentFailed: 0,
        messagesSentRejected: 1,
      },
    ]);
  });

  it('by=year: every year of the range, empty ones included', async () => {
    expect(await periods(`by=year&start=${DEC_01_2023}&end=${MAY_01}`)).toEqual([
      zero('2023-01-01T00:00:00+0000'),
      {
        date: '2024-01-01T00:00:00+0000',
        costs: 0.21,
        deliveryRate: 18 / 22,
        replyRate: 3 / 22,
        messagesReceived: 3,
        messagesSentParts: 24,
        messagesSentDelivered: 18,
        messagesSentAccepted: 1,
        messagesSentBuffered: 1,
        messagesSentFailed: 1,
        messagesSentRejected: 1,
      },
    ]);
  });

  it('takes the London day of start and of the second before end', async () => {
    // 2024-03-31T23:30:00Z is 00:30 on 1 April in London: March 31 is not in the range.
    const res = await periods(`by=day&start=1711927800&end=${APR_02}`);
    expect(res).toEqual([expect.objectContaining({ date: '2024-04-01T00:00:00+0100', costs: 0.05 })]);
    // end exactly at a London midnight leaves that day out; one second later takes it in.
    expect(await periods(`by=day&start=${MAR_31}&end=${APR_01}`)).toHaveLength(1);
    expect(await periods(`by=day&start=${MAR_31}&end=${APR_01 + 1}`)).toHaveLength(2);
  });

  it('maps every status to exactly one of the peer buckets', async () => {
    // created 1, pending-virus-check 2, sending 4, pending 8, sent 16, delivered 32, cancelled 64,
    // returned-letter 128, validation-failed 256, virus-scan-failed 512, technical-failure 1024,
    // temporary-failure 2048, permanent-failure 4096, failed 8192.
    const [day] = await periods('by=day&start=1717369200&end=1717455600'); // 2024-06-03 in London
    expect(day).toEqual({
      date: '2024-06-03T00:00:00+0100',
      costs: 0,
      deliveryRate: 48 / 16383,
      replyRate: 0,
      messagesReceived: 0,
      messagesSentParts: 0,
      messagesSentDelivered: 16 + 32,
      messagesSentAccepted: 1 + 2 + 4,
      messagesSentBuffered: 8,
      messagesSentFailed: 128 + 512 + 1024 + 2048 + 4096 + 8192,
      messagesSentRejected: 64 + 256,
    });
  });

  it('notification_type=letter and email: their own counts and costs, no inbound', async () => {
    expect(await periods(`by=month&start=${APR_01}&end=${MAY_01}&notification_type=letter`)).toEqual([
      { ...zero('2024-04-01T00:00:00+0100'), costs: 1, messagesSentParts: 2, messagesSentAccepted: 2 },
    ]);
    expect(await periods(`by=month&start=${APR_01}&end=${MAY_01}&notification_type=email`)).toEqual([
      { ...zero('2024-04-01T00:00:00+0100'), deliveryRate: 1, messagesSentDelivered: 50 },
    ]);
  });

  it('costs equal the billing report sms_cost for the same service and days', async () => {
    const cases: Array<[string, number, number, number]> = [
      ['start_date=2024-04-01&end_date=2024-04-30', APR_01, MAY_01, 0.15],
      ['start_date=2024-04-10&end_date=2024-04-30', APR_10, MAY_01, 0.1], // the allowance went before the range
      ['start_date=2024-03-01&end_date=2024-03-31', MAR_01, APR_01, 0.06],
    ];
    for (const [billingRange, start, end, expected] of cases) {
      const report = (await get(t.app, `/platform-stats/data-for-billing-report?${billingRange}`)).json() as Array<{ service_id: string; sms_cost: number }>;
      expect(report.find((r) => r.service_id === S)?.sms_cost, billingRange).toBe(expected);
      const [whole] = (await periods(`by=off&start=${start}&end=${end}`)) as Array<{ costs: number }>;
      expect(whole?.costs, billingRange).toBe(expected);
    }
  });

  it('defaults to the 7 days before now, by day when asked', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2024-04-03T12:00:00Z') });
    const days = (await periods('by=day')) as Array<{ date: string; costs: number }>;
    // 2024-03-27T12:00Z .. now: the London days 27 March to 3 April.
    expect(days.map((d) => d.date)).toEqual([
      '2024-03-27T00:00:00+0000',
      '2024-03-28T00:00:00+0000',
      '2024-03-29T00:00:00+0000',
      '2024-03-30T00:00:00+0000',
      '2024-03-31T00:00:00+0000',
      '2024-04-01T00:00:00+0100',
      '2024-04-02T00:00:00+0100',
      '2024-04-03T00:00:00+0100',
    ]);
    expect(days.map((d) => d.costs)).toEqual([0, 0, 0, 0, 0.06, 0.05, 0, 0]);
    // Only end given: the 7 days before it.
    const before = (await periods(`by=day&end=${APR_02}`)) as Array<{ date: string }>;
    expect(before.map((d) => d.date)[0]).toBe('2024-03-25T00:00:00+0000');
    expect(before).toHaveLength(8);
  });

  it('answers 400 with a clear message for a bad query', async () => {
    const cases: Array<[string, string]> = [
      ['by=week', 'by must be one of off, day, month, year'],
      ['by=day&by=month', 'by must be one of off, day, month, year'],
      ['start=abc&end=1', 'start must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
      ['start=-5&end=1', 'start must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
      ['start=1.5&end=10', 'start must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
      ['start=&end=10', 'start must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
      ['start=1&end=253402300800', 'end must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
      [`start=${APR_02}&end=${APR_01}`, 'start must be before end'],
      [`start=${APR_01}&end=${APR_01}`, 'start must be before end'],
      [`start=${APR_01}&end=${APR_02}&notification_type=push`, 'notification_type must be one of sms, email, letter'],
      [
        'by=day&start=0&end=1714518000',
        'The range holds 19844 periods, more than the 3660 allowed: narrow it or group by a longer period',
      ],
    ];
    for (const [query, message] of cases) {
      const res = await ask(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual({ message, status_code: 400 });
    }
    const widest = await ask('by=year&start=0&end=253402300799');
    expect(widest.json()).toEqual({
      message: 'The range holds 8030 periods, more than the 3660 allowed: narrow it or group by a longer period',
      status_code: 400,
    });
    // As one element any range is fine; ten years of days too.
    expect(await periods('by=off&start=0&end=253402300799')).toHaveLength(1);
    expect(await periods('by=day&start=1400000000&end=1715382000')).toHaveLength(3651);
  });

  it('honours If-None-Match', async () => {
    const first = await ask(`by=month&start=${MAR_01}&end=${MAY_01}`);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode(KEY.secret));
    const again = await t.app.inject({
      method: 'GET',
      url: `/v2/stats/messaging?by=month&start=${MAR_01}&end=${MAY_01}`,
      headers: { authorization: `Bearer ${token}`, 'if-none-match': first.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });
});
