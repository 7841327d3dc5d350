// The hot-path status decoder must accept exactly what the zod schema accepts, with the same
// output: on every broken variant it either returns null (zod then explains) or zod's own result.
import { describe, expect, it } from 'vitest';
import { fastStatusEvent, notificationStatusEvent, parseTimestamp } from '../src/index.ts';

type Json = Record<string, unknown>;

const valid = (): Json => ({
  event_id: '11111111-1111-1111-1111-111111111111',
  notification_id: 'a2222222-2222-4222-8222-222222222222',
  service_id: '33333333-3333-3333-3333-333333333333',
  template_id: '44444444-4444-4444-4444-444444444444',
  job_id: null,
  notification_type: 'sms',
  key_type: 'normal',
  status: 'delivered',
  created_at: '2024-04-15T10:11:12.123456Z',
  updated_at: '2024-04-15T10:12:00Z',
  billable_units: 2,
  rate_multiplier: 1,
  international: false,
  sent_by: 'mmg',
  postage: null,
});

// Values tried in every field: each is valid for some field and invalid for most.
const PROBES: unknown[] = [
  undefined, null, '', 0, -1, 1.5, 2_147_483_647, 2_147_483_648, 1_000_000, 1_000_001, 1000, 1001, -0, true, 'true',
  [], {}, 'x'.repeat(255), 'x'.repeat(256), 'ümlaut',
  '11111111-1111-1111-1111-111111111111', 'ABCDEF12-3456-7890-ABCD-EF1234567890', 'abcdef12-3456-7890-abcd-ef123456789', 'g1111111-1111-1111-1111-111111111111',
  '11111111111111111111111111111111', '{11111111-1111-1111-1111-111111111111}', ' 11111111-1111-1111-1111-111111111111',
  'email', 'sms', 'letter', 'SMS', 'normal', 'team', 'test', 'delivered', 'returned-letter', 'failed', 'unknown',
  'first', 'second', 'economy', 'europe', 'rest-of-world', 'third',
  '2024-04-15T10:11:12Z', '2024-04-15T10:11:12.1Z', '2024-04-15T10:11:12.123456789Z', '2024-04-15T10:11:12.1234567890Z',
  '2024-04-15T10:11:12.Z', '2024-04-15T10:11:12', '2024-04-15T10:11:12+01:00', '2024-04-15t10:11:12Z', '2024-04-15 10:11:12Z',
  '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-13-01T00:00:00Z', '2024-00-01T00:00:00Z',
  '2024-04-15T24:00:00Z', '2024-04-15T23:60:00Z', '2024-04-15T23:59:60Z', '1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00Z',
  '2099-12-31T23:59:59.999Z', '2100-01-01T00:00:00Z', '0050-01-01T00:00:00Z', '2024-04-15T10:11:1aZ', '٢٠٢٤-04-15T10:11:12Z',
];

function agree(event: Json): 'fast' | 'zod-only' | 'rejected' {
  const slow = notificationStatusEvent.safeParse(event);
  const fast = fastStatusEvent(event);
  if (!slow.success) {
    expect(fast, `fast accepted what zod rejects: ${JSON.stringify(event)}`).toBeNull();
    return 'rejected';
  }
  if (fast === null) return 'zod-only';
  expect(fast).toEqual(slow.data);
  return 'fast';
}

describe('fastStatusEvent agrees with the zod schema', () => {
  it('takes the fast path for a canonical event', () => {
    expect(agree(valid())).toBe('fast');
  });

  const fields = Object.keys(valid());
  it.each(fields)('every probe value in %s', (field) => {
    const outcomes = new Set<string>();
    for (const probe of PROBES) {
      const event = valid();
      if (probe === undefined) delete event[field];
      else event[field] = probe;
      outcomes.add(agree(event));
    }
    // Each field has values both ways, so the comparison above compared something.
    expect(outcomes.has('rejected') || field === 'sent_by').toBe(true);
    expect(outcomes.has('fast')).toBe(true);
  });

  it('random combinations of probes in several fields at once', () => {
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const tally = { fast: 0, 'zod-only': 0, rejected: 0 };
    for (let i = 0; i < 5_000; i++) {
      const event = valid();
      for (let k = 1 + next(3); k > 0; k--) {
        const field = fields[next(fields.length)] as string;
        const probe = PROBES[next(PROBES.length)];
        if (probe === undefined) delete event[field];
        else event[field] = probe;
      }
      tally[agree(event)]++;
    }
    expect(tally.fast).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
  });

  it('uppercase ids come out lower-cased, as from the schema', () => {
    const event = { ...valid(), service_id: 'ABCDEF12-3456-7890-ABCD-EF1234567890' };
    expect(fastStatusEvent(event)?.service_id).toBe('abcdef12-3456-7890-abcd-ef1234567890');
  });
});

describe('parseTimestamp: the character-code path and the general path give one answer', () => {
  // Every canonical UTC form of many instants, compared with what Date.parse makes of it.
  it('canonical UTC timestamps keep their text and parse to Date.parse', () => {
    for (let ms = Date.UTC(2000, 0, 1); ms < Date.UTC(2100, 0, 1); ms += 86_400_000 * 13 + 3_600_000 * 7 + 61_001) {
      const iso = new Date(ms).toISOString();
      for (const text of [iso, iso.replace('.', '.0').replace(/Z$/, '00Z'), iso.replace(/\.\d+Z$/, 'Z')]) {
        expect(parseTimestamp(text)).toEqual({ iso: text, ms: Date.parse(text) });
      }
    }
  });

  it.each([
    ['2024-04-15T10:11:12.1239Z', Date.UTC(2024, 3, 15, 10, 11, 12, 123)],
    ['2024-04-15T10:11:12.9Z', Date.UTC(2024, 3, 15, 10, 11, 12, 900)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
  ])('%s is %d ms (fraction truncated to milliseconds)', (text, ms) => {
    expect(parseTimestamp(text)).toEqual({ iso: text, ms });
  });

  it.each(['2024-04-15T10:11:12.Z', '2023-02-29T00:00:00Z', '2024-04-15T10:11:60Z', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z'])(
    '%s is refused with a reason',
    (text) => {
      expect(typeof parseTimestamp(text)).toBe('string');
    },
  );
});
