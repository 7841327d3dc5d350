// Poison that passes the contract's syntax: valid JSON on all four source topics, hostile in
// every field (fast-check, fixed seed), plus the hand-made cases that once stopped a partition or
// lost an event. Real broker, real embedded engine, the whole pipeline of `npm start`.
//
// Every message produced is in a ledger with its partition, offset and whether the contract (as
// written below, by hand, not by the code under test) accepts it. The test then asserts:
// - every message the oracle refuses is in `<topic>.dlq` exactly once, with a reason, and every
//   one it accepts is not;
// - the reports equal numbers computed here from the accepted messages alone;
// - no partition's writes failed for longer than STALL_BOUND_MS and the lag reached 0.
//
// A failure names the case (`fc status #17`); SEED replays the same messages.
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import { DLQ_HEADERS, SOURCE_TOPICS, dlqTopicOf } from '@notify-stats/events';
import type { BatchSink } from '@notify-stats/ingest';
import { INGEST_GROUP_ID, consumerLag } from '@notify-stats/kafka';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, statusEvent } from '../support/events.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { readTopic, type ReadMessage } from '../support/read-topic.ts';
import { waitFor } from '../support/wait.ts';

const SEED = 20_240_515;
const STALL_BOUND_MS = 10_000;
const PARTITIONS = 6;

// ---------------------------------------------------------------------------------------------
// The contract, by hand (events.md), with the schema's length and size limits copied from
// packages/events: a change there must be made here too, on purpose.
// ---------------------------------------------------------------------------------------------

const MAX_MESSAGE_BYTES = 256 * 1024; // larger messages are dead-lettered unread
const MAX_BILLABLE_UNITS = 1_000_000; // status-event.ts: no kept sum may wrap 64 bits or pass 2^53
const MAX_RATE_MULTIPLIER = 1_000;
const STATUSES = [
  'created', 'pending-virus-check', 'sending', 'pending', 'sent', 'delivered', 'cancelled', 'returned-letter',
  'validation-failed', 'virus-scan-failed', 'technical-failure', 'temporary-failure', 'permanent-failure', 'failed',
];
const POSTAGES = ['first', 'second', 'economy', 'europe', 'rest-of-world'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Check = (v: unknown) => boolean;
const isUuid: Check = (v) => typeof v === 'string' && UUID_RE.test(v);
const orNull = (ok: Check): Check => (v) => v === null || v === undefined || ok(v);
const intIn = (lo: number, hi: number): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const textOf = (lo: number, hi: number): Check => (v) => typeof v === 'string' && v.length >= lo && v.length <= hi;
const member = (xs: readonly string[]): Check => (v) => typeof v === 'string' && xs.includes(v);
const isBool: Check = (v) => typeof v === 'boolean';

/** Timestamps with their London day, or null when the contract refuses them (hand-computed). */
const TIMESTAMPS: ReadonlyArray<readonly [string, string | null]> = [
  ['2024-05-10T10:00:00Z', '2024-05-10'], // the bases
  ['2024-05-10T10:00:05Z', '2024-05-10'],
  ['2024-05-10T08:00:00Z', '2024-05-10'],
  ['2000-01-01T00:00:00Z', '2000-01-01'],
  ['2000-01-01T00:00:00.000000001Z', '2000-01-01'],
  ['2000-01-01T00:00:00+00:00', '2000-01-01'],
  ['2099-12-31T23:59:59.999Z', '2099-12-31'],
  ['2099-12-31T23:59:59.999999999Z', '2099-12-31'],
  ['2024-02-29T12:00:00Z', '2024-02-29'],
  ['2024-05-10T10:00:00', '2024-05-10'], // no offset: UTC
  ['2024-05-10T00:30:00+01:00', '2024-05-10'], // 23:30Z on the 9th, 00:30 BST on the 10th
  ['2024-05-10T10:00:00.123+14:00', '2024-05-09'], // 20:00Z on the 9th, 21:00 BST
  ['2024-03-31T00:59:59Z', '2024-03-31'], // still GMT: clocks go forward at 01:00Z
  ['2024-10-26T23:30:00Z', '2024-10-27'], // BST: 00:30 on the 27th
  ['1999-12-31T23:59:59Z', null],
  ['1999-12-31T23:59:59.999Z', null],
  ['2000-01-01T00:30:00+01:00', null], // 1999-12-31T23:30Z
  ['2100-01-01T00:00:00Z', null],
  ['2099-12-31T23:59:59.999-01:00', null], // 2100-01-01T00:59Z
  ['0001-01-01T00:00:00Z', null],
  ['0000-01-01T00:00:00Z', null],
  ['-100000-01-01T00:00:00Z', null],
  ['+275760-09-13T00:00:00Z', null],
  ['-271821-04-20T00:00:00Z', null],
  ['2024-02-30T10:00:00Z', null],
  ['2023-02-29T10:00:00Z', null],
  ['2024-04-31T10:00:00Z', null],
  ['2024-13-01T10:00:00Z', null],
  ['2024-00-10T10:00:00Z', null],
  ['2024-01-01T23:60:00Z', null],
  ['2024-05-10T10:00:00+99:00', null],
  ['2024-05-10', null],
  ['10:00:00Z', null],
  ['', null],
  [' 2024-05-10T10:00:00Z', null],
  ['2024-05-10T10:00:00Z ', null],
  ['２０２４-05-10T10:00:00Z', null],
  ['2024-05-10T10:00:00\u0000Z', null],
  ['2024-05-10T10:00:00.Z', null],
  ['Fri, 10 May 2024 10:00:00 GMT', null],
  ['1715335200', null],
];
const TIMESTAMP_DAY = new Map<string, string | null>(TIMESTAMPS);
const isTimestamp: Check = (v) => typeof v === 'string' && TIMESTAMP_DAY.get(v) != null;

/** Dates (despatched_on), true when the contract takes them. */
const DAYS: ReadonlyArray<readonly [string, boolean]> = [
  ['2000-01-01', true],
  ['2099-12-31', true],
  ['2024-02-29', true],
  ['2024-05-13', true],
  ['1999-12-31', false],
  ['2100-01-01', false],
  ['0001-01-01', false],
  ['0000-01-01', false],
  ['-100000-01-01', false],
  ['2024-02-30', false],
  ['2023-02-29', false],
  ['2024-04-31', false],
  ['2024-13-01', false],
  ['2024-00-10', false],
  ['2024-5-13', false],
  ['20240513', false],
  ['2024-05-13T00:00:00Z', false],
  ['13/05/2024', false],
  ['２０２４-05-13', false],
  [' 2024-05-13', false],
  ['2024-05-13\u0000', false],
  ['', false],
];
const isDay: Check = (v) => typeof v === 'string' && DAYS.some(([d, ok]) => ok && d === v);

// ---------------------------------------------------------------------------------------------
// JSON with values JSON.stringify cannot write (-0, 2**63 exactly, 1e400) and values derived
// from the base event (its own id upper-cased).
// ---------------------------------------------------------------------------------------------

class Raw {
  constructor(readonly text: string) {}
}
class Own {
  constructor(
    readonly label: string,
    readonly derive: (base: string) => string,
  ) {}
}
type J = null | boolean | number | string | Raw | Own | J[] | { [k: string]: J };

function toJson(v: J): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Own) throw new Error('Own values are resolved before writing');
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  // JSON.stringify writes a lone surrogate as its escape (`"\ud800"`) and U+0000 as `"\u0000"`.
  return JSON.stringify(v);
}

const NUMBERS = [
  '0', '-0', '1', '-1', '1.5', '1e0', '2.0', '0.1e1', '1e308', '-1e308', '1e400', '-1e400', '5e-324', '2147483647',
  '2147483648', '4294967296', '9007199254740993', '9223372036854775808', '18446744073709551616', '1000', '1001', '1000000', '1000001',
  '123456789012345678901234567890',
].map((t) => new Raw(t));

const SPECIALS = [
  '\ud800', '\udbff', '\udc00', '\udfff\ud800', '\ud83d', '\u0000', '\u0001', '\u001f', '\u007f', '\uffff', '\ufffe',
  '\ufeff', '\ufffd', '😀', '👩🏽‍🚀', '🏳️‍🌈', '\u200f', '\u200e', '\u202e', '\u2066', '\u061c', 'e\u0301',
  '\u0301\u0301\u0301', 'Z\u0351\u036b\u0343\u036a\u0302', '\u2028', '\u2029', '\n', '\r', '\t', '"', '\\', '/',
  '\\u0000', 'ǅ', 'ß', 'İ', '𝕏', '﷽', '\u00a0', "'; DROP TABLE notification_events; --", '%s%n', '${7*7}', '{{7*7}}',
  '\u001b[2J', 'NaN', 'null', 'ѕms', 'مرحبا', 'שלום',
];
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
const hostileString = fc
  .array(fc.oneof(fc.constantFrom(...SPECIALS), codeUnit, fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(''));
/** One hostile unit repeated until its JSON text is `kb` KB (1 to 200). */
const longString = fc
  .record({ unit: fc.constantFrom('a', '\ud800', '😀', 'e\u0301', '\u0000', '\u202e', '{', '"'), kb: fc.integer({ min: 1, max: 200 }) })
  .map(({ unit, kb }) => unit.repeat(Math.floor((kb * 1024) / (Buffer.byteLength(JSON.stringify(unit)) - 2))));
// Near misses only: a different valid id would change identities (which notification a snapshot
// belongs to), which the oracle here does not model; the pools keep each case's own ids.
const UUIDISH = ['00000000-0000-0000-0000-00000000000', '00000000000000000000000000000000', 'not-a-uuid', 'g0000000-0000-4000-8000-000000000000', '00000000-0000-0000-0000-0000000000000'];

/** Any JSON value: wrong types for every field. */
const anyJson: fc.Arbitrary<J> = fc.oneof(
  { arbitrary: fc.constantFrom<J>(null, true, false, [], {}, [null], { $ne: null }, ['\ud800', 1], { a: { b: [{}] } }), weight: 2 },
  { arbitrary: fc.constantFrom<J>(...NUMBERS), weight: 2 },
  { arbitrary: hostileString, weight: 3 },
  { arbitrary: longString, weight: 1 },
  { arbitrary: fc.constantFrom<J>(...TIMESTAMPS.map(([t]) => t)), weight: 1 },
  { arbitrary: fc.constantFrom<J>(...DAYS.map(([d]) => d)), weight: 1 },
  { arbitrary: fc.constantFrom<J>(...UUIDISH), weight: 1 },
);
const OWN_IDS = [
  new Own('upper-cased', (s) => s.toUpperCase()),
  new Own('braced', (s) => `{${s}}`),
  new Own('no dashes', (s) => s.replace(/-/g, '')),
  new Own('leading space', (s) => ` ${s}`),
  new Own('trailing NUL', (s) => `${s}\u0000`),
  new Own('urn', (s) => `urn:uuid:${s}`),
  new Own('lone surrogate', (s) => `${s.slice(0, 35)}\ud800`),
];
const idArb = fc.oneof(fc.constantFrom<J>(...OWN_IDS), anyJson);
const UPPER = OWN_IDS[0] as Own;
const VALID_TIMESTAMPS = TIMESTAMPS.filter(([, day]) => day !== null).map(([t]) => t);
/** Hostile text of 1 to `max` UTF-16 units: specials, lone surrogates, long runs up to the limit. */
const acceptableText = (max: number) =>
  fc.oneof(
    { arbitrary: hostileString.filter((t) => t.length >= 1 && t.length <= max), weight: 4 },
    { arbitrary: fc.constantFrom('\ud800', '😀', '\u0000', 'e\u0301', '\u202e', '\uffff').map((u) => u.repeat(Math.floor(max / u.length))), weight: 1 },
  );
const OTHER_ID = 'f0000000-0000-4000-8000-0000000000ff';
const optionalIdArb = fc.oneof(fc.constantFrom<J>(null, OTHER_ID, OTHER_ID.toUpperCase()), idArb);
const enumArb = (values: readonly string[]) => fc.oneof(fc.constantFrom<J>(...values), anyJson);
const textArb = fc.oneof({ arbitrary: hostileString, weight: 4 }, { arbitrary: longString, weight: 1 }, { arbitrary: anyJson, weight: 2 });
const timestampArb = fc.oneof(fc.constantFrom<J>(...TIMESTAMPS.map(([t]) => t)), anyJson);
const numberArb = fc.oneof(fc.constantFrom<J>(...NUMBERS), anyJson);
const boolArb = fc.oneof(fc.constantFrom<J>(true, false, 'true', 'false', 0, 1), anyJson);

interface Field {
  name: string;
  /** Anything: mostly what the contract refuses. */
  arb: fc.Arbitrary<J>;
  /** Hostile values the contract accepts (the oracle still decides). */
  valid?: fc.Arbitrary<J>;
  ok: Check;
}
/** The Kafka key, mutated like a field (reference data only: its key is identity). */
const KEY = '$key';
const TOMBSTONE = Symbol('kafka null value');

interface Case {
  mutations: Array<{ field: number; remove: boolean; value: J }>;
  extra: { name: string; value: J } | null;
  whole: J | typeof TOMBSTONE | null;
}

/**
 * One to three fields changed (or removed), maybe an unknown field, rarely a whole value that is
 * not an object. `acceptable`: only from the fields' `valid` pools, so that most cases are
 * accepted and their hostile values reach storage and the reports.
 */
const caseArb = (fields: readonly Field[], acceptable = false): fc.Arbitrary<Case> => {
  const choices = fields.map((f, i) => [f, i] as const).filter(([f]) => !acceptable || f.valid);
  return fc.record({
    mutations: fc.uniqueArray(
      fc.constantFrom(...choices).chain(([f, field]) =>
        fc.record({
          field: fc.constant(field),
          remove: acceptable ? fc.constant(false) : fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
          value: acceptable ? (f.valid as fc.Arbitrary<J>) : f.arb,
        }),
      ),
      { minLength: 1, maxLength: acceptable ? 3 : 2, selector: (m) => m.field },
    ),
    // Unknown fields are ignored (forward compatibility): a hostile name, any value.
    extra: fc.oneof(
      { arbitrary: fc.constant(null), weight: acceptable ? 1 : 3 },
      { arbitrary: fc.record({ name: hostileString, value: anyJson }), weight: 1 },
    ),
    whole: fc.oneof(
      { arbitrary: fc.constant(null), weight: acceptable ? 1_000_000 : 14 },
      {
        arbitrary: fc.constantFrom<J | typeof TOMBSTONE>(
          TOMBSTONE, new Raw('null'), new Raw('1e308'), new Raw('-0'), new Raw('"{\\"event_id\\":1}"'), new Raw('[]'),
          new Raw('[{}]'), new Raw('true'), new Raw('{}'), new Raw('"\\ud800"'), new Raw('9223372036854775808'),
        ),
        weight: 1,
      },
    ),
  });
};
/** n cases: half anything, half acceptable, interleaved. */
const sampleCases = (fields: readonly Field[], n: number, seed: number): Case[] => {
  const wild = fc.sample(caseArb(fields), { seed, numRuns: Math.ceil(n / 2) });
  const tame = fc.sample(caseArb(fields, true), { seed: seed + 1000, numRuns: Math.floor(n / 2) });
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? wild[i / 2] : tame[(i - 1) / 2]) as Case);
};

interface Built {
  key: string | null;
  value: string | null;
  valid: boolean;
  /** The value as any JSON reader sees it (when it is an object). */
  parsed: Record<string, unknown> | null;
}

function build(base: Record<string, J>, baseKey: string | null, c: Case | null, fields: readonly Field[], keyOk: Check | null): Built {
  let key = baseKey;
  const obj: Record<string, J> = { ...base };
  for (const m of c?.mutations ?? []) {
    const f = fields[m.field] as Field;
    const value = m.value instanceof Own ? m.value.derive(String(f.name === KEY ? baseKey : base[f.name])) : m.value;
    // A compacted topic takes no message without a key (the broker refuses it): "removed" is empty.
    if (f.name === KEY) key = m.remove ? '' : typeof value === 'string' ? value : toJson(value);
    else if (m.remove) delete obj[f.name];
    else obj[f.name] = value;
  }
  const keyValid = keyOk === null || keyOk(key);
  if (c?.whole != null) {
    if (c.whole === TOMBSTONE) return { key, value: null, valid: keyOk !== null && keyValid, parsed: null };
    return { key, value: toJson(c.whole), valid: false, parsed: null };
  }
  if (c?.extra) obj[`x_${c.extra.name}`] = c.extra.value;
  const value = toJson(obj);
  const parsed = JSON.parse(value) as Record<string, unknown>;
  const fieldsValid = fields.every((f) => f.name === KEY || f.ok(Object.hasOwn(parsed, f.name) ? parsed[f.name] : undefined));
  return { key, value, valid: keyValid && fieldsValid && Buffer.byteLength(value) <= MAX_MESSAGE_BYTES, parsed };
}

const id = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;

// ---------------------------------------------------------------------------------------------
// Topics: base events and the fields fast-check mutates.
// ---------------------------------------------------------------------------------------------

const SVC = {
  fcStatus: 'c1000000-0000-4000-8000-000000000001',
  surrogate: 'c2000000-0000-4000-8000-000000000002',
  months: 'c3000000-0000-4000-8000-000000000003',
  after: 'c4000000-0000-4000-8000-000000000004',
  big: 'c5000000-0000-4000-8000-000000000005',
  letters: 'c6000000-0000-4000-8000-000000000006',
  inbound: 'c7000000-0000-4000-8000-000000000007',
  deep: 'c8000000-0000-4000-8000-000000000008',
  proto: 'c9000000-0000-4000-8000-000000000009',
};

const statusFields: Field[] = [
  { name: 'event_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'notification_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'service_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'template_id', arb: optionalIdArb, valid: fc.constantFrom<J>(null, OTHER_ID, OTHER_ID.toUpperCase()), ok: orNull(isUuid) },
  { name: 'job_id', arb: optionalIdArb, valid: fc.constantFrom<J>(null, OTHER_ID, OTHER_ID.toUpperCase()), ok: orNull(isUuid) },
  { name: 'notification_type', arb: enumArb(['SMS', 'Sms', ' sms', 'sms\u0000', 'text', 'ѕms']), ok: member(['email', 'sms', 'letter']) },
  { name: 'key_type', arb: enumArb(['NORMAL', 'live', 'normal\u200f']), ok: member(['normal', 'team', 'test']) },
  { name: 'status', arb: enumArb(['DELIVERED', 'deliverd', 'delivered ', 'de\u00adlivered']), ok: member(STATUSES) },
  { name: 'created_at', arb: timestampArb, valid: fc.constantFrom<J>(...VALID_TIMESTAMPS), ok: isTimestamp },
  { name: 'updated_at', arb: timestampArb, valid: fc.constantFrom<J>(...VALID_TIMESTAMPS), ok: isTimestamp },
  { name: 'billable_units', arb: numberArb, valid: fc.constantFrom<J>(...['0', '-0', '1e0', '2.0', '0.1e1', '1000000'].map((t) => new Raw(t))), ok: intIn(0, MAX_BILLABLE_UNITS) },
  { name: 'rate_multiplier', arb: numberArb, valid: fc.constantFrom<J>(null, ...['0', '-0', '1e0', '1000'].map((t) => new Raw(t))), ok: orNull(intIn(0, MAX_RATE_MULTIPLIER)) },
  { name: 'international', arb: boolArb, valid: fc.constantFrom<J>(null, true, false), ok: orNull(isBool) },
  { name: 'sent_by', arb: textArb, valid: fc.oneof(acceptableText(255), fc.constant<J>(null), fc.constant<J>('unknown')), ok: orNull(textOf(0, 255)) },
  { name: 'postage', arb: enumArb(['FIRST', 'first class', '1st']), valid: fc.constant<J>(null), ok: orNull(member(POSTAGES)) },
];
const statusBase = (i: number, prefix: string) =>
  statusEvent({
    event_id: id(`${prefix}1000000`, i),
    notification_id: id(`${prefix}2000000`, i),
    service_id: SVC.fcStatus,
    created_at: '2024-05-10T10:00:00Z',
    updated_at: '2024-05-10T10:00:05Z',
    billable_units: 1,
    sent_by: 'firetext',
  }) as Record<string, J>;

const despatchFields: Field[] = [
  { name: 'event_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  {
    name: 'notification_id',
    arb: fc.oneof(fc.constantFrom<J>(new Own('a letter nobody sent', (s) => s.replace(/^b2/, 'b9'))), idArb),
    valid: fc.constantFrom<J>(UPPER, new Own('a letter nobody sent', (s) => s.replace(/^b2/, 'b9'))),
    ok: isUuid,
  },
  {
    name: 'despatched_on',
    arb: fc.oneof(fc.constantFrom<J>(...DAYS.map(([d]) => d)), anyJson),
    valid: fc.constantFrom<J>(...DAYS.filter(([, ok]) => ok).map(([d]) => d)),
    ok: isDay,
  },
  {
    name: 'cost_threshold',
    arb: enumArb(['sorted', 'unsorted', 'SORTED', 'Sorted', 'sorted ', 'unsorted\u0000']),
    valid: fc.constantFrom<J>('sorted', 'unsorted'),
    ok: member(['sorted', 'unsorted']),
  },
];

const inboundFields: Field[] = [
  { name: 'event_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'inbound_sms_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'service_id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'created_at', arb: timestampArb, valid: fc.constantFrom<J>(...VALID_TIMESTAMPS), ok: isTimestamp },
  { name: 'provider', arb: textArb, valid: acceptableText(255), ok: textOf(1, 255) },
];

const keyArb = (type: string) =>
  fc.oneof(
    fc.constantFrom<J>(
      new Own('id upper-cased', (k) => k.replace(/:(.*)$/, (_, rest: string) => `:${rest.toUpperCase()}`)),
      new Own('prefix capitalised', (k) => k[0]!.toUpperCase() + k.slice(1)),
      new Own('extra part', (k) => `${k}:x`),
      new Own('no prefix', (k) => k.slice(type.length + 1)),
      new Own('other type', (k) => k.replace(/^[a-z_]+:/, type === 'service' ? 'organisation:' : 'service:')),
      new Own('trailing NUL', (k) => `${k}\u0000`),
      new Own('space after colon', (k) => k.replace(':', ': ')),
      `${type}:`,
    ),
    hostileString,
  );
const keyCheck = (type: string): Check => (k) => typeof k === 'string' && k.startsWith(`${type}:`) && UUID_RE.test(k.slice(type.length + 1));
const billingFields = ['purchase_order_number', 'billing_contact_names', 'billing_contact_email_addresses', 'billing_reference'];
const upperKey = new Own('id upper-cased', (k) => k.replace(/:(.*)$/, (_, rest: string) => `:${rest.toUpperCase()}`));
const billingText: Field['valid'] = fc.oneof(acceptableText(10_000), fc.constant<J>(null), fc.constant<J>(''));
const serviceFields: Field[] = [
  { name: KEY, arb: keyArb('service'), valid: fc.constant(upperKey), ok: () => true },
  { name: 'type', arb: enumArb(['organisation', 'Service', 'services', 'sms_rate']), ok: member(['service']) },
  { name: 'id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'name', arb: fc.oneof(textArb, fc.constant<J>('')), valid: acceptableText(1000), ok: textOf(1, 1000) },
  { name: 'organisation_id', arb: optionalIdArb, valid: fc.constantFrom<J>(null, OTHER_ID, OTHER_ID.toUpperCase()), ok: orNull(isUuid) },
  { name: 'restricted', arb: boolArb, valid: fc.boolean(), ok: isBool },
  { name: 'active', arb: boolArb, valid: fc.boolean(), ok: isBool },
  { name: 'count_as_live', arb: boolArb, valid: fc.boolean(), ok: isBool },
  ...billingFields.map((name) => ({ name, arb: textArb, valid: billingText, ok: orNull(textOf(0, 10_000)) })),
];
const organisationFields: Field[] = [
  { name: KEY, arb: keyArb('organisation'), valid: fc.constant(upperKey), ok: () => true },
  { name: 'type', arb: enumArb(['service', 'Organisation', 'org']), ok: member(['organisation']) },
  { name: 'id', arb: idArb, valid: fc.constant(UPPER), ok: isUuid },
  { name: 'name', arb: fc.oneof(textArb, fc.constant<J>('')), valid: acceptableText(1000), ok: textOf(1, 1000) },
  ...billingFields.map((name) => ({ name, arb: textArb, valid: billingText, ok: orNull(textOf(0, 10_000)) })),
];
const nullBilling = Object.fromEntries(billingFields.map((f) => [f, null]));

// ---------------------------------------------------------------------------------------------
// What was produced, and what the reports must say about it.
// ---------------------------------------------------------------------------------------------

interface Out {
  key: string | null;
  value: string | null;
  partition: number;
  valid: boolean;
  label: string;
  /** The dead letter's reason must match this (besides being non-empty). */
  reason?: RegExp;
}
interface Sent extends Out {
  topic: string;
  offset: string;
}

let broker: TestBroker;
let p: TestPipeline;
const ledger: Sent[] = [];
/** Every write the engine failed, as the worker saw it (the real sink, observed). */
const writeFailures: Array<{ topic: string; message: string }> = [];
const observed = (base: BatchSink): BatchSink => ({
  write: async (topic, outcome) => {
    try {
      await base.write(topic, outcome);
    } catch (err) {
      writeFailures.push({ topic, message: String((err as Error)?.message ?? err).slice(0, 200) });
      throw err;
    }
  },
});

/** Produces to explicit partitions (acks from all), records every message's offset; returns when all were acknowledged. */
async function send(topic: string, messages: readonly Out[], compression = CompressionTypes.None): Promise<number> {
  let batch: Out[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    const meta = await p.producer.send({ topic, acks: -1, compression, messages: batch.map((m) => ({ key: m.key, value: m.value, partition: m.partition })) });
    const base = new Map(meta.map((r) => [r.partition, BigInt(r.baseOffset ?? '-1')]));
    const seen = new Map<number, bigint>();
    for (const m of batch) {
      const k = seen.get(m.partition) ?? 0n;
      seen.set(m.partition, k + 1n);
      ledger.push({ ...m, topic, offset: String((base.get(m.partition) as bigint) + k) });
    }
    batch = [];
    bytes = 0;
  };
  for (const m of messages) {
    const size = Buffer.byteLength(m.value ?? '') + Buffer.byteLength(m.key ?? '') + 64;
    if (batch.length && bytes + size > 700 * 1024) await flush();
    batch.push(m);
    bytes += size;
  }
  await flush();
  return Date.now();
}

/** Expected report contents, accumulated from the accepted messages. */
class Expected {
  readonly volumes = new Map<string, { sms: number; frag: bigint; charge: bigint; email: number; letters: number; sheets: number }>();
  readonly providers = new Map<string, { day: string; provider: string; n: number; frag: bigint; charge: bigint }>();
  readonly totals = { sms: 0, email: 0, letter: 0 };
  readonly despatched = new Map<string, number>(); // `${day}|${threshold}` -> letters

  notification(type: 'sms' | 'email' | 'letter', day: string, units: number, multiplier: number, provider: string): void {
    const v = this.volumes.get(day) ?? { sms: 0, frag: 0n, charge: 0n, email: 0, letters: 0, sheets: 0 };
    this.totals[type]++;
    if (type === 'sms') {
      v.sms++;
      v.frag += BigInt(units);
      v.charge += BigInt(units) * BigInt(multiplier);
      const key = `${day}\u0000${provider}`;
      const pv = this.providers.get(key) ?? { day, provider, n: 0, frag: 0n, charge: 0n };
      pv.n++;
      pv.frag += BigInt(units);
      pv.charge += BigInt(units) * BigInt(multiplier);
      this.providers.set(key, pv);
    } else if (type === 'email') {
      v.email++;
    } else {
      v.letters++;
      v.sheets += units;
    }
    this.volumes.set(day, v);
  }
}

/** GBP 0.0197 per chargeable unit, exactly: units * 197 / 10000 as the API prints it. */
const SMS_RATE = '0.0197';
const smsCost = (chargeable: bigint) => {
  const tenThousandths = chargeable * 197n;
  return Number(`${tenThousandths / 10_000n}.${String(tenThousandths % 10_000n).padStart(4, '0')}`);
};
const LETTER_RATE = 0.5; // second class, 1 sheet
const financialYearOf = (day: string) => (Number(day.slice(5, 7)) >= 4 ? Number(day.slice(0, 4)) : Number(day.slice(0, 4)) - 1);
const sortBy = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers, { partitions: PARTITIONS, sink: observed });
  await waitFor('the pipeline to be ready', async () => (await p.app.inject({ url: '/readyz' })).statusCode === 200, 60_000);
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

/** Every letter of a DLQ topic, once at least `expected` arrived and no more came for 2 s. */
async function deadLetters(topic: string, expected: number): Promise<ReadMessage[]> {
  return readTopic(broker.brokers, dlqTopicOf(topic), expected, 2000);
}
const origin = (m: { partition: number | string; offset: string }) => `${m.partition}:${m.offset}`;

describe('poison that passes the contract', () => {
  const figures: Record<string, unknown> = { seed: SEED };

  it('dead-letters exactly the messages the contract refuses, counts every other one, and never stalls', async () => {
    const expected = new Expected();
    const stall = { maxFailingMs: 0, maxNotReadyMs: 0, samples: 0, reasons: new Set<string>() };
    let monitoring = true;
    const monitor = (async () => {
      let notReadySince: number | null = null;
      while (monitoring) {
        for (const s of p.ingest.stalls()) {
          stall.maxFailingMs = Math.max(stall.maxFailingMs, s.failingForMs);
          stall.reasons.add(s.reason.slice(0, 120));
        }
        const res = await p.app.inject({ url: '/readyz' }).catch(() => undefined);
        const ready = res?.statusCode === 200;
        if (!ready) stall.reasons.add(`/readyz ${res?.statusCode}: ${res?.body.slice(0, 200)}`);
        const now = Date.now();
        if (ready) notReadySince = null;
        else notReadySince ??= now;
        if (notReadySince !== null) stall.maxNotReadyMs = Math.max(stall.maxNotReadyMs, now - notReadySince);
        stall.samples++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    onTestFinished(() => {
      monitoring = false;
    });
    const started = Date.now();

    // ---- reference data: hand-made rate keys out of the window, then valid data after them ----
    const RATE_PARTITION = 2;
    const rangeReason = /out of range \(2000-01-01 to 2099-12-31\)/;
    const ref = (key: string, value: J, valid: boolean, label: string, reason?: RegExp): Out => ({
      key, value: toJson(value), partition: RATE_PARTITION, valid, label, ...(reason ? { reason } : {}),
    });
    await send(TOPICS.referenceData, [
      // Values dated inside the window: only the key's date is wrong, and the key decides identity.
      ref('sms_rate:-100000-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-01-01T00:00:00Z', rate: 9.99 }, false, 'rate key year -100000', /-100000-01-01T00:00:00Z.*out of range \(2000-01-01 to 2099-12-31\)/),
      ref('letter_rate:-100000-01-01T00:00:00Z:second:2', { type: 'letter_rate', start_date: '2024-01-01T00:00:00Z', end_date: null, sheet_count: 2, post_class: 'second', rate: 9.99 }, false, 'letter rate key year -100000', rangeReason),
      ref('sms_rate:1900-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2024-01-01T00:00:00Z', rate: 9.99 }, false, 'rate key 1900', /1900-01-01T00:00:00Z.*out of range \(2000-01-01 to 2099-12-31\)/),
      // Valid after them on the same partition: the prices every report below uses.
      ref('sms_rate:2000-01-01T00:00:00Z', { type: 'sms_rate', valid_from: '2000-01-01T00:00:00Z', rate: SMS_RATE }, true, 'sms rate'),
      ref('letter_rate:2000-01-01T00:00:00Z:second:1', { type: 'letter_rate', start_date: '2000-01-01T00:00:00Z', end_date: null, sheet_count: 1, post_class: 'second', rate: '0.5' }, true, 'letter rate'),
      // A service name holding a lone surrogate, written as the JSON escape.
      ref(`service:${SVC.surrogate}`, { type: 'service', id: SVC.surrogate, name: 'Caf\u00e9 \ud800 Service', organisation_id: null, restricted: false, active: true, count_as_live: true, ...nullBilling }, true, 'service name with a lone surrogate'),
      // Money the contract allows but the engine's Decimal(38, 10) cannot hold: refused by storage, isolated.
      ref('sms_rate:2099-06-01T00:00:00Z', { type: 'sms_rate', valid_from: '2099-06-01T00:00:00Z', rate: new Raw('1e308') }, false, 'rate 1e308', /^storage refused the message: /),
      ref('sms_rate:2099-06-02T00:00:00Z', { type: 'sms_rate', valid_from: '2099-06-02T00:00:00Z', rate: new Raw('1e28') }, false, 'rate 1e28', /^storage refused the message: /),
    ]);
    const surrogateService = ledger.find((m) => m.label === 'service name with a lone surrogate');
    expect(surrogateService?.value).toContain('"Caf\u00e9 \\ud800 Service"');

    // ---- reference data: fast-check services and organisations, each followed by a plain one ----
    const refCases = (kind: 'service' | 'organisation', n: number, seedOffset: number) => {
      const fields = kind === 'service' ? serviceFields : organisationFields;
      const cases = sampleCases(fields, n, SEED + seedOffset);
      const out: Array<Out & { parsed: Record<string, unknown> | null }> = [];
      for (let i = 0; i < 2 * n; i++) {
        const c = i % 2 === 0 ? (cases[i / 2] as Case) : null;
        const ident = id(kind === 'service' ? 'e1000000' : 'e2000000', i);
        const base: Record<string, J> =
          kind === 'service'
            ? { type: 'service', id: ident, name: `fc service ${i}`, organisation_id: null, restricted: false, active: true, count_as_live: true, ...nullBilling }
            : { type: 'organisation', id: ident, name: `fc organisation ${i}`, ...nullBilling };
        const b = build(base, `${kind}:${ident}`, c, fields, keyCheck(kind));
        out.push({ key: b.key, value: b.value, partition: i % PARTITIONS, valid: b.valid, label: `fc ${kind} #${i}${c ? '' : ' (plain)'}`, parsed: b.parsed });
      }
      return out;
    };
    const services = refCases('service', 80, 1);
    const organisations = refCases('organisation', 40, 2);
    await send(TOPICS.referenceData, [...services, ...organisations]);

    // ---- status: fast-check cases, each followed by a plain valid event ----
    const statusCases = sampleCases(statusFields, 300, SEED + 3);
    const statusOut: Out[] = [];
    const storedStatus: Array<{ event_id: string; day: string; sent_by: string | null }> = [];
    for (let i = 0; i < 2 * statusCases.length; i++) {
      const c = i % 2 === 0 ? (statusCases[i / 2] as Case) : null;
      const base = statusBase(i, 'a');
      const b = build(base, String(base.notification_id), c, statusFields, null);
      statusOut.push({ key: b.key, value: b.value, partition: i % PARTITIONS, valid: b.valid, label: `fc status #${i}${c ? '' : ' (plain)'}` });
      if (!b.valid) continue;
      const e = b.parsed as Record<string, unknown>;
      // The pools hold no other valid type, key type or status: every accepted case is a delivered normal SMS.
      expect([e.notification_type, e.key_type, e.status], `fc status #${i}`).toEqual(['sms', 'normal', 'delivered']);
      const day = TIMESTAMP_DAY.get(String(e.created_at));
      if (!day) throw new Error(`fc status #${i}: no London day for ${String(e.created_at)}`);
      const sentBy = e.sent_by == null ? null : (e.sent_by as string).toWellFormed();
      expected.notification('sms', day, Number(e.billable_units), Number(e.rate_multiplier ?? 1), sentBy ?? 'unknown');
      storedStatus.push({ event_id: String(e.event_id).toLowerCase(), day, sent_by: sentBy });
    }
    await send(TOPICS.notificationStatus, statusOut);

    // ---- status: hand-made cases ----
    // `"mmg\ud800"` in the JSON text: stored with U+FFFD.
    const surrogate = statusEvent({ service_id: SVC.surrogate, sent_by: 'mmg\ud800', billable_units: 2, created_at: '2024-04-16T09:00:00Z', updated_at: '2024-04-16T09:00:03Z' });
    const surrogateText = JSON.stringify(surrogate);
    expect(surrogateText).toContain('"sent_by":"mmg\\ud800"');
    expected.notification('sms', '2024-04-16', 2, 1, 'mmg\ufffd');
    // 101 months in one request to one partition: one fetch, one chunk, 101 month partitions in one INSERT.
    const months = Array.from({ length: 101 }, (_, i) => {
      const day = `${2015 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-15`;
      expected.notification('email', day, 0, 1, 'ses');
      return statusEvent({ service_id: SVC.months, notification_type: 'email', billable_units: 0, rate_multiplier: null, sent_by: 'ses', created_at: `${day}T12:00:00Z`, updated_at: `${day}T12:00:01Z` });
    });
    // Valid events after the rate poison.
    const after = Array.from({ length: 10 }, () => {
      expected.notification('sms', '2024-04-17', 1, 1, 'firetext');
      return statusEvent({ service_id: SVC.after, sent_by: 'firetext', created_at: '2024-04-17T08:00:00Z', updated_at: '2024-04-17T08:00:01Z' });
    });
    const plain = (e: Record<string, unknown>, partition: number, label: string): Out => ({ key: String(e.notification_id), value: JSON.stringify(e), partition, valid: true, label });
    await send(TOPICS.notificationStatus, [{ key: String(surrogate.notification_id), value: surrogateText, partition: 1, valid: true, label: 'sent_by with a lone surrogate' }]);
    await send(TOPICS.notificationStatus, months.map((e, i) => plain(e, 0, `month ${i}`)));
    // Invalid (no event_id) and deep enough to make a recursive reader throw: whatever processing
    // throws for one message must make that message a dead letter, not stop its partition.
    const { event_id: _none, ...noEventId } = statusEvent({ service_id: SVC.deep, created_at: '2024-04-19T10:00:00Z', updated_at: '2024-04-19T10:00:01Z' });
    const deepInvalid = `${JSON.stringify(noEventId).slice(0, -1)},"x_note":"caf\\u00e9","x_deep":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    await send(TOPICS.notificationStatus, [{ key: String(noEventId.notification_id), value: deepInvalid, partition: 4, valid: false, label: 'no event_id, nested 5,000 deep' }]);
    await send(TOPICS.notificationStatus, after.map((e, i) => plain(e, i % PARTITIONS, `after rate poison ${i}`)));

    // 3 MB of one character, gzip-compressed on the wire (a few KB), then a valid event on the same partition.
    const BIG_PARTITION = 3;
    const bigEvent = statusEvent({ service_id: SVC.big, created_at: '2024-04-18T08:00:00Z', updated_at: '2024-04-18T08:00:01Z' });
    const bigValue = JSON.stringify({ ...bigEvent, padding: 'x'.repeat(3 * 1024 * 1024) });
    const bigAfter = [1, 2].map(() => statusEvent({ service_id: SVC.big, sent_by: 'mmg', billable_units: 3, created_at: '2024-04-18T09:00:00Z', updated_at: '2024-04-18T09:00:01Z' }));
    for (const _ of bigAfter) expected.notification('sms', '2024-04-18', 3, 1, 'mmg');
    await send(
      TOPICS.notificationStatus,
      [
        { key: String(bigEvent.notification_id), value: bigValue, partition: BIG_PARTITION, valid: false, label: '3 MB gzip', reason: /larger than/ },
        plain(bigAfter[0]!, BIG_PARTITION, 'after 3 MB (1)'),
      ],
      CompressionTypes.GZIP,
    );
    await send(TOPICS.notificationStatus, [plain(bigAfter[1]!, BIG_PARTITION, 'after 3 MB (2)')]);

    // ---- letter despatch: each case despatches a letter of its own (sent first, valid) ----
    const despatchCases = sampleCases(despatchFields, 80, SEED + 4);
    const letters: Out[] = [];
    const despatches: Out[] = [];
    for (let i = 0; i < 2 * despatchCases.length; i++) {
      const c = i % 2 === 0 ? (despatchCases[i / 2] as Case) : null;
      const letterId = id('b2000000', i);
      const letter = statusEvent({
        event_id: id('b3000000', i), notification_id: letterId, service_id: SVC.letters, notification_type: 'letter', postage: 'second',
        billable_units: 1, rate_multiplier: null, sent_by: 'dvla', created_at: '2024-05-09T10:00:00Z', updated_at: '2024-05-09T15:00:00Z',
      });
      letters.push(plain(letter, i % PARTITIONS, `letter for despatch #${i}`));
      expected.notification('letter', '2024-05-09', 1, 1, 'dvla');
      const base: Record<string, J> = { event_id: id('b1000000', i), notification_id: letterId, despatched_on: '2024-05-13', cost_threshold: 'sorted' };
      const b = build(base, letterId, c, despatchFields, null);
      despatches.push({ key: b.key, value: b.value, partition: i % PARTITIONS, valid: b.valid, label: `fc despatch #${i}${c ? '' : ' (plain)'}` });
      const d = b.parsed;
      if (b.valid && d && String(d.notification_id).toLowerCase() === letterId) {
        const k = `${String(d.despatched_on)}|${String(d.cost_threshold)}`;
        expected.despatched.set(k, (expected.despatched.get(k) ?? 0) + 1);
      }
    }
    await send(TOPICS.notificationStatus, letters);
    await send(TOPICS.letterDespatch, despatches);

    // ---- inbound sms ----
    const inboundCases = sampleCases(inboundFields, 100, SEED + 5);
    const inbound: Out[] = [];
    const storedInbound: Array<{ id: string; provider: string; day: string }> = [];
    for (let i = 0; i < 2 * inboundCases.length; i++) {
      const c = i % 2 === 0 ? (inboundCases[i / 2] as Case) : null;
      const base: Record<string, J> = { event_id: id('d1000000', i), inbound_sms_id: id('d2000000', i), service_id: SVC.inbound, created_at: '2024-05-10T08:00:00Z', provider: 'mmg' };
      const b = build(base, String(base.inbound_sms_id), c, inboundFields, null);
      inbound.push({ key: b.key, value: b.value, partition: i % PARTITIONS, valid: b.valid, label: `fc inbound #${i}${c ? '' : ' (plain)'}` });
      if (b.valid) {
        const e = b.parsed as Record<string, unknown>;
        storedInbound.push({ id: String(e.inbound_sms_id).toLowerCase(), provider: (e.provider as string).toWellFormed(), day: TIMESTAMP_DAY.get(String(e.created_at)) as string });
      }
    }
    const producedAt = await send(TOPICS.inboundSms, inbound);

    // ---- drained, never stalled: fails as soon as a partition has been stuck for the bound ----
    const stuck = () => `${[...stall.reasons].join('\n')}`;
    for (const deadline = Date.now() + 180_000; ; ) {
      const lag = await consumerLag(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS);
      if (lag.every((l) => l.lag === 0)) break;
      expect(stall.maxFailingMs, `writes failing; lag ${lag.reduce((n, l) => n + l.lag, 0)}:\n${stuck()}`).toBeLessThan(STALL_BOUND_MS);
      expect(stall.maxNotReadyMs, `not ready; lag ${lag.reduce((n, l) => n + l.lag, 0)}:\n${stuck()}`).toBeLessThan(STALL_BOUND_MS);
      expect(Date.now(), 'lag 0 within 180 s').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    const drainedMs = Date.now() - started;
    await p.waitForFacts(producedAt, 120_000);
    monitoring = false;
    await monitor;
    expect(stall.samples).toBeGreaterThan(5);
    expect(stall.maxFailingMs, stuck()).toBeLessThan(STALL_BOUND_MS);
    expect(stall.maxNotReadyMs, stuck()).toBeLessThan(STALL_BOUND_MS);
    // The engine refused only the two unstorable rates (which went through isolation); nothing
    // else, not the 101 months in one INSERT, not a lone surrogate, not an edge date.
    expect(writeFailures.filter((f) => !(f.topic === TOPICS.referenceData && /decimal/i.test(f.message)))).toEqual([]);
    expect(writeFailures.length).toBeGreaterThan(0);

    // ---- the DLQ holds exactly the refused messages, once each, with reasons and origins ----
    const labelOf = new Map(ledger.map((m) => [`${m.topic}|${origin(m)}`, m]));
    const dlqFigures: Record<string, { produced: number; valid: number; deadLettered: number }> = {};
    const deadByTopic = new Map<string, ReadMessage[]>();
    for (const topic of [TOPICS.referenceData, TOPICS.notificationStatus, TOPICS.letterDespatch, TOPICS.inboundSms]) {
      const mine = ledger.filter((m) => m.topic === topic);
      const refused = mine.filter((m) => !m.valid);
      const dead = await deadLetters(topic, refused.length);
      deadByTopic.set(topic, dead);
      const named = (o: string) => `${o} ${labelOf.get(`${topic}|${o}`)?.label ?? 'not produced by this test'}`;
      const got = dead.map((m) => named(origin({ partition: m.headers[DLQ_HEADERS.sourcePartition] ?? '?', offset: m.headers[DLQ_HEADERS.sourceOffset] ?? '?' })));
      const wrongly = dead
        .filter((m) => labelOf.get(`${topic}|${origin({ partition: m.headers[DLQ_HEADERS.sourcePartition] ?? '?', offset: m.headers[DLQ_HEADERS.sourceOffset] ?? '?' })}`)?.valid !== false)
        .map((m) => `${m.headers[DLQ_HEADERS.reason]} <- ${JSON.stringify(m.value?.slice(0, 600))}`);
      expect(sortBy(got, (x) => x), `dead letters of ${topic}; accepted by the contract but dead-lettered:\n${wrongly.join('\n')}`).toEqual(
        sortBy(refused.map((m) => named(origin(m))), (x) => x),
      );
      for (const m of dead) {
        const o = origin({ partition: m.headers[DLQ_HEADERS.sourcePartition] ?? '?', offset: m.headers[DLQ_HEADERS.sourceOffset] ?? '?' });
        const sent = labelOf.get(`${topic}|${o}`) as Sent;
        const reason = m.headers[DLQ_HEADERS.reason] ?? '';
        expect(reason.length, `reason of ${sent.label}`).toBeGreaterThan(0);
        if (sent.reason) expect(reason, sent.label).toMatch(sent.reason);
        expect(m.headers[DLQ_HEADERS.sourceTopic], sent.label).toBe(topic);
        const original = sent.value === null ? null : Buffer.from(sent.value).toString();
        const cutFrom = m.headers[DLQ_HEADERS.truncatedFrom];
        if (cutFrom === undefined) expect(m.value === original, `payload of ${sent.label}`).toBe(true);
        else {
          expect(Number(cutFrom), sent.label).toBe(Buffer.byteLength(original ?? ''));
          expect(original?.startsWith(m.value?.slice(0, 1000) ?? '\u0000'), sent.label).toBe(true);
        }
      }
      dlqFigures[topic] = { produced: mine.length, valid: mine.length - refused.length, deadLettered: dead.length };
    }
    const bigLetter = (deadByTopic.get(TOPICS.notificationStatus) ?? []).find((m) => m.headers[DLQ_HEADERS.sourcePartition] === String(BIG_PARTITION) && m.headers[DLQ_HEADERS.sourceOffset] === ledger.find((s) => s.label === '3 MB gzip')?.offset);
    expect(bigLetter, 'the 3 MB message in the DLQ').toBeDefined();
    figures.dlq = dlqFigures;
    figures.bigLetter = { bytes: Buffer.byteLength(bigLetter?.value ?? ''), truncatedFrom: bigLetter?.headers[DLQ_HEADERS.truncatedFrom] ?? null };

    // ---- raw layer: lone surrogates stored as U+FFFD, every accepted event once ----
    const surrogateRow = await queryRows<{ sent_by: string }>(p.ch.client, 'SELECT sent_by FROM notification_events FINAL WHERE event_id = {id: UUID}', { id: String(surrogate.event_id) });
    expect(surrogateRow).toEqual([{ sent_by: 'mmg\ufffd' }]);
    const fcRows = await queryRows<{ event_id: string; day: string; sent_by: string | null }>(
      p.ch.client,
      `SELECT toString(event_id) AS event_id, toString(created_day) AS day, sent_by FROM notification_events FINAL WHERE service_id = {s: UUID}`,
      { s: SVC.fcStatus },
    );
    expect(sortBy(fcRows, (r) => r.event_id)).toEqual(sortBy(storedStatus, (r) => r.event_id));
    const inboundRows = await queryRows<{ id: string; provider: string; day: string }>(
      p.ch.client,
      `SELECT toString(inbound_sms_id) AS id, provider, toString(created_day) AS day FROM inbound_sms FINAL WHERE service_id = {s: UUID}`,
      { s: SVC.inbound },
    );
    expect(sortBy(inboundRows, (r) => r.id)).toEqual(sortBy(storedInbound, (r) => r.id));

    // ---- reference data as stored ----
    const expectRef = (kind: 'service' | 'organisation', cases: typeof services) =>
      cases
        .filter((c) => c.valid && c.value !== null)
        .map((c) => {
          const v = c.parsed as Record<string, unknown>;
          const wf = (x: unknown) => (x == null ? null : (x as string).toWellFormed());
          return {
            key: (c.key as string).toWellFormed(),
            id: (c.key as string).slice(kind.length + 1).toLowerCase(), // the key decides identity
            name: wf(v.name),
            ...(kind === 'service'
              ? { organisation_id: v.organisation_id == null ? '' : String(v.organisation_id).toLowerCase(), restricted: v.restricted, active: v.active, count_as_live: v.count_as_live }
              : {}),
            ...Object.fromEntries(billingFields.map((f) => [f, wf(v[f])])),
          };
        });
    const storedServices = await queryRows<Record<string, unknown>>(
      p.ch.client,
      `SELECT key, toString(id) AS id, name, ifNull(toString(organisation_id), '') AS organisation_id, restricted, active, count_as_live,
              ${billingFields.join(', ')} FROM ref_services FINAL WHERE startsWith(toString(id), 'e1000000')`,
    );
    expect(sortBy(storedServices, (r) => String(r.key))).toEqual(sortBy(expectRef('service', services), (r) => r.key));
    const storedOrganisations = await queryRows<Record<string, unknown>>(
      p.ch.client,
      `SELECT key, toString(id) AS id, name, ${billingFields.join(', ')} FROM ref_organisations FINAL WHERE startsWith(toString(id), 'e2000000')`,
    );
    expect(sortBy(storedOrganisations, (r) => String(r.key))).toEqual(sortBy(expectRef('organisation', organisations), (r) => r.key));

    // No rate key outside the window left a mark (a Date column would have clamped it to 1970-01-01).
    const [marks] = await queryRows<{ n: number; epoch: number }>(
      p.ch.client,
      `SELECT count() AS n, countIf(day = '1970-01-01') AS epoch FROM dirty_days FINAL WHERE day < '2000-01-01' OR day > '2099-12-31'`,
    );
    expect({ n: Number(marks?.n), epoch: Number(marks?.epoch) }).toEqual({ n: 0, epoch: 0 });

    // ---- reports ----
    const report = async <T>(url: string): Promise<T> => {
      const res = await p.get(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
      return res.json<T>();
    };
    const ALL = 'start_date=2000-01-01&end_date=2099-12-31';
    const typeStats = (n: number) => ({ total: n, delivered: n, failed: 0, requested: n, 'technical-failure': 0, 'temporary-failure': 0, 'permanent-failure': 0 });
    expect(await report(`/platform-stats?${ALL}`)).toEqual({ sms: typeStats(expected.totals.sms), email: typeStats(expected.totals.email), letter: typeStats(expected.totals.letter) });
    // The 101 months, alone in their range.
    expect(await report('/platform-stats?start_date=2015-01-01&end_date=2023-05-31')).toEqual({ sms: typeStats(0), email: typeStats(101), letter: typeStats(0) });

    const volumes = [...expected.volumes].map(([day, v]) => ({
      day,
      sms_totals: v.sms,
      sms_fragment_totals: Number(v.frag),
      sms_chargeable_units: Number(v.charge),
      email_totals: v.email,
      letter_totals: v.letters,
      letter_sheet_totals: v.sheets,
    }));
    expect([...expected.volumes.values()].every((v) => v.charge < 2n ** 53n)).toBe(true);
    expect(await report(`/platform-stats/daily-volumes-report?${ALL}`)).toEqual(sortBy(volumes, (r) => r.day));

    const providerKey = (r: { day: string; provider: string }) => `${r.day}\u0000${r.provider}`;
    const providers = [...expected.providers.values()].map((r) => ({
      day: r.day,
      provider: r.provider,
      sms_totals: r.n,
      sms_fragment_totals: Number(r.frag),
      sms_chargeable_units: Number(r.charge),
      sms_cost: smsCost(r.charge),
    }));
    const gotProviders = await report<Array<{ day: string; provider: string }>>(`/platform-stats/daily-sms-provider-volumes-report?${ALL}`);
    expect(sortBy(gotProviders, providerKey)).toEqual(sortBy(providers, providerKey));
    expect(gotProviders.find((r) => r.day === '2024-04-16')).toEqual({ day: '2024-04-16', provider: 'mmg\ufffd', sms_totals: 1, sms_fragment_totals: 2, sms_chargeable_units: 2, sms_cost: 0.0394 });

    // Letters by despatch day: one financial year per request.
    const despatchRows = [...expected.despatched].map(([k, letters]) => {
      const [date, cost_threshold] = k.split('|') as [string, string];
      return { date, postage: 'second', cost_threshold, sheets: 1, rate: LETTER_RATE, letters, cost: letters * LETTER_RATE };
    });
    const dvlaKey = (r: { date: string; cost_threshold: string }) => `${r.date}|${r.cost_threshold}`;
    const years = [...new Set(despatchRows.map((r) => financialYearOf(r.date)))];
    const gotDvla: Array<{ date: string; cost_threshold: string }> = [];
    for (const fy of years) gotDvla.push(...(await report<typeof gotDvla>(`/platform-stats/data-for-dvla-billing-report?start_date=${fy}-04-01&end_date=${fy + 1}-03-31`)));
    expect(sortBy(gotDvla, dvlaKey)).toEqual(sortBy(despatchRows, dvlaKey));
    const [despatchTotal] = await queryRows<{ n: number }>(p.ch.client, 'SELECT sum(letters) AS n FROM fact_letter_despatch');
    expect(Number(despatchTotal?.n)).toBe(despatchRows.reduce((n, r) => n + r.letters, 0));

    // Services: the surrogate's name with U+FFFD, every accepted live fc service with its name.
    const byService = await report<Array<Record<string, unknown>>>('/platform-stats/volumes-by-service?start_date=2024-04-01&end_date=2024-04-30');
    expect(byService.find((r) => r.service_id === SVC.surrogate)).toMatchObject({ service_name: 'Caf\u00e9 \ufffd Service', sms_notifications: 1, sms_chargeable_units: 2 });
    const liveFc = expectRef('service', services)
      .filter((s) => s.restricted === false && s.active === true && s.count_as_live === true)
      .map((s) => ({ service_id: s.id, service_name: s.name, organisation_id: s.organisation_id, organisation_name: '' }));
    const gotFc = byService
      .filter((r) => String(r.service_id).startsWith('e1000000'))
      .map((r) => ({ service_id: r.service_id, service_name: r.service_name, organisation_id: r.organisation_id, organisation_name: r.organisation_name }));
    expect(sortBy(gotFc, (r) => String(r.service_id))).toEqual(sortBy(liveFc, (r) => r.service_id));

    // Inbound: the service's messaging statistics count each accepted message once.
    const messaging = await report<Array<{ messagesReceived: number }>>(
      `/v2/stats/messaging?by=off&start=${Date.UTC(2000, 0, 1) / 1000}&end=${Date.UTC(2100, 0, 1) / 1000}&service_id=${SVC.inbound}`,
    );
    expect(messaging.map((m) => m.messagesReceived)).toEqual([storedInbound.length]);

    figures.accepted = { sms: expected.totals.sms, email: expected.totals.email, letter: expected.totals.letter, inbound: storedInbound.length, despatchesCounted: despatchRows.reduce((n, r) => n + r.letters, 0) };
    figures.providers = providers.length;
    figures.stall = { maxFailingMs: stall.maxFailingMs, maxNotReadyMs: stall.maxNotReadyMs, reasons: [...stall.reasons] };
    figures.drainedMs = drainedMs;
    figures.refusedWrites = writeFailures.length;
    mkdirSync('../test-artifacts', { recursive: true });
    writeFileSync('../test-artifacts/poison.json', JSON.stringify(figures, null, 2));
  }, 360_000);
});

// Found by this suite: messages that pass JSON.parse and go wrong in the lone-surrogate
// normalisation (decode.ts `wellFormed`), which runs only when the text holds a `\u` escape.
describe('found by this suite', () => {
  /** The dead letter of one status message, reading the DLQ until the letters the ledger expects are there. */
  const deadOf = async (sent: Sent) => {
    const refused = ledger.filter((m) => m.topic === TOPICS.notificationStatus && !m.valid).length;
    const dead = await deadLetters(TOPICS.notificationStatus, refused);
    return dead.find((m) => m.headers[DLQ_HEADERS.sourcePartition] === String(sent.partition) && m.headers[DLQ_HEADERS.sourceOffset] === sent.offset);
  };

  it('stores a valid event whose unknown field nests 5,000 arrays deep (and holds an escape)', async () => {
    const e = statusEvent({ service_id: SVC.deep, created_at: '2024-04-20T10:00:00Z', updated_at: '2024-04-20T10:00:01Z' });
    // Unknown fields are ignored (events.md); the escape makes the normaliser walk the value.
    const value = `${JSON.stringify(e).slice(0, -1)},"x_note":"caf\\u00e9","x_deep":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(() => JSON.parse(value)).not.toThrow();
    await send(TOPICS.notificationStatus, [{ key: String(e.notification_id), value, partition: 4, valid: true, label: 'deep unknown field' }]);
    const sent = ledger.at(-1) as Sent;
    await p.waitForLagZero(60_000);
    const dead = await deadOf(sent);
    expect(dead?.headers[DLQ_HEADERS.reason] ?? 'not dead-lettered').toBe('not dead-lettered');
    const rows = await queryRows<{ n: number }>(p.ch.client, 'SELECT count() AS n FROM notification_events FINAL WHERE event_id = {id: UUID}', { id: String(e.event_id) });
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('dead-letters an event without event_id even when a "__proto__" member supplies one', async () => {
    const { event_id: missing, ...rest } = statusEvent({ service_id: SVC.proto, created_at: '2024-04-21T10:00:00Z', updated_at: '2024-04-21T10:00:01Z' });
    // JSON.parse makes "__proto__" an ordinary member; copying it with `out[k] = v` sets the prototype instead.
    const value = `${JSON.stringify(rest).slice(0, -1)},"__proto__":{"event_id":"${String(missing)}"},"x_note":"caf\\u00e9"}`;
    expect(Object.hasOwn(JSON.parse(value), 'event_id')).toBe(false);
    await send(TOPICS.notificationStatus, [{ key: String(rest.notification_id), value, partition: 5, valid: false, label: '__proto__ event_id' }]);
    const sent = ledger.at(-1) as Sent;
    await p.waitForLagZero(60_000);
    const rows = await queryRows<{ n: number }>(p.ch.client, 'SELECT count() AS n FROM notification_events FINAL WHERE service_id = {s: UUID}', { s: SVC.proto });
    expect(Number(rows[0]?.n), 'stored although event_id is missing').toBe(0);
    expect((await deadOf(sent))?.headers[DLQ_HEADERS.reason]).toMatch(/event_id/);
  });
});
