// A small world of events for the rollup tests, and an oracle that computes the facts from those
// events in plain TypeScript, straight from the contract (events.md, reports.md): it shares no
// SQL and no version packing with the code under test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  RAW_TABLES,
  insertRows,
  markDirty,
  migrate,
  openClickhouse,
  queryRows,
  type Clickhouse,
  type ClickHouseClient,
  type LetterDespatchRow,
  type NotificationEventRow,
} from '@notify-stats/clickhouse';
import { BILLABLE_STATUSES, STATUSES, statusRank, type Status } from '@notify-stats/events';
import { londonMidnightUtc } from '@notify-stats/london';

/** What a test empties between cases: every table a cycle reads or writes. */
const TEST_TABLES = [
  'notification_events', 'notification_changes', 'letter_despatches', 'despatch_changes', 'counted_notifications',
  'counted_despatches', 'fact_notification_status', 'fact_billing', 'fact_letter_despatch', 'fact_notification_status_month',
  'fact_billing_month', 'fact_delivery_latency', 'restatement_baselines', 'alert_log', 'ref_annual_billing', 'ref_spend_thresholds', 'rollup_cycles', 'ref_sms_rates', 'ref_letter_rates', 'dirty_days', 'day_builds', 'pipeline_state',
  'rollup_staged_snapshots', 'rollup_staged_despatches', 'rollup_staged_status', 'rollup_staged_billing', 'rollup_staged_despatch',
  'rollup_staged_latency',
];

export async function emptyTables(client: ClickHouseClient): Promise<void> {
  for (const t of TEST_TABLES) await client.command({ query: `TRUNCATE TABLE ${t}` });
}

export async function openMigrated(prefix: string): Promise<Clickhouse> {
  const ch = await openClickhouse({ path: mkdtempSync(path.join(tmpdir(), `notify-stats-${prefix}-`)) });
  await migrate(ch.client);
  return ch;
}

// Across a month's end, so that the monthly sums see notifications move month and rates cross one.
export const DAYS = ['2024-05-31', '2024-06-01', '2024-06-02'] as const;
const SERVICES = ['10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002'];
const TEMPLATE = '20000000-0000-4000-8000-000000000001';
const hex = (n: number, width = 12) => n.toString(16).padStart(width, '0');
export const notificationId = (i: number) => `30000000-0000-4000-8000-${hex(i)}`;

/** One status event of the world; `n` picks the notification. */
export interface StatusSpec {
  n: number;
  day: number;
  /** Seconds after 09:00 on the day of `updatedDay`: few values, so ties happen. */
  second: number;
  updatedDay: number;
  /** Milliseconds after 08:00 on the created day: latencies from under zero to over an hour. */
  createdMs?: number;
  status: Status;
  type: 'sms' | 'email' | 'letter';
  keyType: 'normal' | 'test';
  units: number;
  postage: 'first' | 'second' | null;
  service: number;
  sentBy: 'mmg' | 'firetext' | null;
  multiplier: number;
  /** The event id's last digits: small, so equal-time ties are broken by event_id both ways. */
  eid: number;
}

export interface DespatchSpec {
  n: number;
  day: number;
  threshold: 'sorted' | 'unsorted';
  eid: number;
}

export type RateSpec = { kind: 'sms'; fromDay: number; rate: string } | { kind: 'letter'; fromDay: number; postage: 'first' | 'second'; sheets: number; rate: string };

// Notifications 0-3 are letters, 4-9 SMS, 10-11 email: a notification keeps its type.
const typeOf = (n: number): StatusSpec['type'] => (n < 4 ? 'letter' : n < 10 ? 'sms' : 'email');

export const statusSpec: fc.Arbitrary<StatusSpec> = fc
  .record({
    n: fc.integer({ min: 0, max: 11 }),
    day: fc.integer({ min: 0, max: 2 }),
    second: fc.integer({ min: 0, max: 3 }),
    updatedDay: fc.integer({ min: 0, max: 4 }),
    createdMs: fc.integer({ min: 0, max: 3_700_000 }),
    status: fc.constantFrom(...STATUSES),
    keyType: fc.constantFrom('normal', 'normal', 'normal', 'test'),
    units: fc.integer({ min: 1, max: 3 }),
    postage: fc.constantFrom('first', 'second', null),
    service: fc.integer({ min: 0, max: 1 }),
    sentBy: fc.constantFrom('mmg', 'firetext', null),
    multiplier: fc.constantFrom(1, 1, 2),
    eid: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((r) => ({ ...r, type: typeOf(r.n) }));

export const despatchSpec: fc.Arbitrary<DespatchSpec> = fc.record({
  n: fc.integer({ min: 0, max: 3 }),
  day: fc.integer({ min: 0, max: 2 }),
  threshold: fc.constantFrom('sorted', 'unsorted'),
  eid: fc.integer({ min: 0, max: 1_000_000 }),
});

export const rateSpec: fc.Arbitrary<RateSpec> = fc.oneof(
  fc.record({ kind: fc.constant('sms' as const), fromDay: fc.integer({ min: 0, max: 2 }), rate: fc.constantFrom('0.0197', '0.0227', '0.03') }),
  fc.record({
    kind: fc.constant('letter' as const),
    fromDay: fc.integer({ min: 0, max: 2 }),
    postage: fc.constantFrom('first', 'second'),
    sheets: fc.integer({ min: 1, max: 3 }),
    rate: fc.constantFrom('0.35', '0.5', '0.61'),
  }),
);

const dayOf = (i: number) => DAYS[Math.min(i, DAYS.length - 1)] as string;

export function statusRow(s: StatusSpec, partition: number, offset: number): NotificationEventRow {
  const created = dayOf(s.day);
  const updated = new Date(Date.parse(`${created}T09:00:00Z`) + s.updatedDay * 86_400_000 + s.second * 1000).toISOString();
  return {
    event_id: `40000000-0000-4000-8000-${hex(s.eid)}`,
    notification_id: notificationId(s.n),
    service_id: SERVICES[s.service] as string,
    template_id: s.n % 2 ? TEMPLATE : null,
    job_id: null,
    notification_type: s.type,
    key_type: s.keyType,
    status: s.status,
    status_rank: statusRank(s.status),
    created_at: new Date(Date.parse(`${created}T08:00:00Z`) + (s.createdMs ?? 0)).toISOString(),
    created_day: created,
    updated_at: updated,
    billable_units: s.type === 'email' ? 0 : s.units,
    rate_multiplier: s.type === 'sms' ? s.multiplier : null,
    international: s.type === 'sms' ? false : null,
    sent_by: s.type === 'sms' ? s.sentBy : null,
    postage: s.type === 'letter' ? s.postage : null,
    source_partition: partition,
    source_offset: String(offset),
  };
}

export function despatchRow(d: DespatchSpec, partition: number, offset: number): LetterDespatchRow {
  return {
    event_id: `50000000-0000-4000-8000-${hex(d.eid)}`,
    notification_id: notificationId(d.n),
    despatched_on: dayOf(d.day),
    cost_threshold: d.threshold,
    source_partition: partition,
    source_offset: String(offset),
  };
}

/**
 * What the ingest does, as far as the rollups can tell: rows land with their Kafka position
 * (offsets grow per partition), rates land with a dirty mark for the day they start.
 */
export class World {
  readonly statuses = new Map<string, NotificationEventRow>();
  readonly despatches = new Map<string, LetterDespatchRow>();
  readonly smsRates = new Map<string, { valid_from: string; rate: string }>();
  readonly letterRates = new Map<string, { start_date: string; post_class: string; sheet_count: number; rate: string }>();
  private readonly offsets = new Map<string, number>();
  private version = 0;

  constructor(readonly client: ClickHouseClient) {}

  private next(topic: string, partition: number): number {
    const key = `${topic}:${partition}`;
    const o = this.offsets.get(key) ?? 0;
    this.offsets.set(key, o + 1);
    return o;
  }

  /** Lands the events; an event id seen before lands again as the same event (a duplicate or a replay). */
  async ingest(statuses: readonly StatusSpec[], despatches: readonly DespatchSpec[] = []): Promise<void> {
    const sRows = statuses.map((s) => {
      const partition = s.n % 2;
      const row = statusRow(s, partition, this.next('s', partition));
      const known = this.statuses.get(row.event_id);
      const landed = known ? { ...known, source_partition: partition, source_offset: row.source_offset } : row;
      this.statuses.set(landed.event_id, known ?? landed);
      return landed;
    });
    const dRows = despatches.map((d) => {
      const partition = d.n % 2;
      const row = despatchRow(d, partition, this.next('d', partition));
      const known = this.despatches.get(row.event_id);
      const landed = known ? { ...known, source_partition: partition, source_offset: row.source_offset } : row;
      this.despatches.set(landed.event_id, known ?? landed);
      return landed;
    });
    await insertRows(this.client, RAW_TABLES.notificationEvents, sRows);
    await insertRows(this.client, RAW_TABLES.letterDespatches, dRows);
  }

  async rate(r: RateSpec): Promise<void> {
    const from = `${dayOf(r.fromDay)}T00:00:00.000Z`;
    const version = String(++this.version);
    if (r.kind === 'sms') {
      this.smsRates.set(from, { valid_from: from, rate: r.rate });
      await this.client.insert({ table: 'ref_sms_rates', values: [{ key: `sms_rate:${from}`, valid_from: from, rate: r.rate, version, is_deleted: 0 }], format: 'JSONEachRow' });
    } else {
      const key = `letter_rate:${r.postage}:${r.sheets}:${from}`;
      this.letterRates.set(key, { start_date: from, post_class: r.postage, sheet_count: r.sheets, rate: r.rate });
      await this.client.insert({
        table: 'ref_letter_rates',
        values: [{ key, start_date: from, end_date: null, sheet_count: r.sheets, post_class: r.postage, rate: r.rate, version, is_deleted: 0 }],
        format: 'JSONEachRow',
      });
    }
    // The ingest marks the first London day the rate covers; 00:00 UTC in May is 01:00 in London.
    await markDirty(this.client, [{ scope: r.kind === 'sms' ? 'sms_rate' : 'letter_rate', day: dayOf(r.fromDay) }]);
  }

  // ---- the oracle ------------------------------------------------------------------------

  private smsRate(day: string): string {
    const midnight = londonMidnightUtc(day).getTime();
    let best: { at: number; rate: string } | null = null;
    for (const r of this.smsRates.values()) {
      const at = Date.parse(r.valid_from);
      if (at <= midnight && (!best || at > best.at)) best = { at, rate: r.rate };
    }
    return best?.rate ?? '0';
  }

  private letterRate(day: string, postage: string, sheets: number): string {
    const midnight = londonMidnightUtc(day).getTime();
    let best: { at: number; rate: string } | null = null;
    for (const r of this.letterRates.values()) {
      const at = Date.parse(r.start_date);
      if (r.post_class === postage && r.sheet_count === sheets && at <= midnight && (!best || at > best.at)) best = { at, rate: r.rate };
    }
    return best?.rate ?? '0';
  }

  /** The current snapshot of each notification (events.md: updated_at, then status rank, then event_id). */
  private snapshots(): Map<string, NotificationEventRow> {
    const out = new Map<string, NotificationEventRow>();
    const newer = (a: NotificationEventRow, b: NotificationEventRow) =>
      a.updated_at !== b.updated_at ? a.updated_at > b.updated_at : a.status_rank !== b.status_rank ? a.status_rank > b.status_rank : a.event_id > b.event_id;
    for (const e of this.statuses.values()) {
      const cur = out.get(e.notification_id);
      if (!cur || newer(e, cur)) out.set(e.notification_id, e);
    }
    return out;
  }

  /** The facts as key -> counters, from the events alone. */
  expectedFacts(): Facts {
    const facts: Facts = { status: new Map(), billing: new Map(), despatch: new Map(), statusMonth: new Map(), billingMonth: new Map(), latency: new Map() };
    const add = (m: Map<string, number[]>, key: string, values: number[]) => {
      const cur = m.get(key) ?? values.map(() => 0);
      m.set(key, cur.map((v, i) => v + (values[i] as number)));
    };
    const snaps = this.snapshots();
    for (const s of snaps.values()) {
      add(facts.status, [s.created_day, s.service_id, s.template_id ?? ZERO, ZERO, s.notification_type, s.key_type, s.status].join('|'), [1]);
      if (s.status === 'delivered' && s.key_type !== 'test') {
        const latencyMs = Date.parse(s.updated_at) - Date.parse(s.created_at);
        add(facts.latency, [s.created_day, s.notification_type, providerOf(s), latencyBucket(latencyMs)].join('|'), [1]);
      }
      const billable = (BILLABLE_STATUSES[s.notification_type as 'sms'] as readonly string[]).includes(s.status);
      if (s.key_type === 'test' || !billable) continue;
      const sms = s.notification_type === 'sms';
      const letter = s.notification_type === 'letter';
      const multiplier = sms ? (s.rate_multiplier ?? 1) : 1;
      const provider = providerOf(s);
      const rate = sms ? this.smsRate(s.created_day) : letter ? this.letterRate(s.created_day, s.postage ?? '', s.billable_units) : '0';
      const units = s.notification_type === 'email' ? 0 : s.billable_units;
      const key = [s.created_day, s.service_id, s.template_id ?? ZERO, s.notification_type, provider, multiplier, 'false', decimal(rate), letter ? (s.postage ?? '') : '', letter ? s.billable_units : 0];
      add(facts.billing, key.join('|'), [1, units, units * multiplier]);
    }
    const latest = new Map<string, LetterDespatchRow>();
    for (const d of this.despatches.values()) {
      const cur = latest.get(d.notification_id);
      if (!cur || d.despatched_on > cur.despatched_on || (d.despatched_on === cur.despatched_on && d.event_id > cur.event_id)) latest.set(d.notification_id, d);
    }
    for (const d of latest.values()) {
      const s = snaps.get(d.notification_id);
      if (!s || s.key_type === 'test' || s.postage === null) continue;
      const rate = this.letterRate(d.despatched_on, s.postage, s.billable_units);
      add(facts.despatch, [d.despatched_on, s.postage, d.cost_threshold, s.billable_units, decimal(rate)].join('|'), [1]);
    }
    // The monthly sums: the same counters by month, without template and job.
    const month = (day: string) => `${day.slice(0, 7)}-01`;
    for (const [k, v] of facts.status) {
      const [day, service, , , type, keyType, status] = k.split('|') as string[];
      add(facts.statusMonth, [month(day as string), service, type, keyType, status].join('|'), v);
    }
    for (const [k, v] of facts.billing) {
      const [day, service, , ...rest] = k.split('|') as string[];
      add(facts.billingMonth, [month(day as string), service, ...rest].join('|'), v);
    }
    for (const m of Object.values(facts) as Map<string, number[]>[]) for (const [k, v] of m) if (v.every((x) => x === 0)) m.delete(k);
    return facts;
  }
}

const ZERO = '00000000-0000-0000-0000-000000000000';
const providerOf = (s: NotificationEventRow) =>
  s.notification_type === 'email' ? 'ses' : s.notification_type === 'letter' ? 'dvla' : (s.sent_by ?? 'unknown');

/**
 * docs/delivery-latency.md's buckets, written out from its words: edge k (1..193) is
 * round(100 * 2^((k-1)/8)) ms, and a latency's bucket is the number of edges at or below it.
 */
function latencyBucket(ms: number): number {
  let bucket = 0;
  for (let k = 1; k <= 193; k++) if (Math.round(100 * 2 ** ((k - 1) / 8)) <= ms) bucket = k;
  return bucket;
}
/** A decimal as text without trailing zeros, so '0.0200000000' and '0.02' compare equal. */
const decimal = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

export interface Facts {
  status: Map<string, number[]>;
  billing: Map<string, number[]>;
  despatch: Map<string, number[]>;
  statusMonth: Map<string, number[]>;
  billingMonth: Map<string, number[]>;
  latency: Map<string, number[]>;
}

/** The fact tables as key -> summed counters, keys whose sums are all zero left out (as every report does). */
export async function storedFacts(client: ClickHouseClient): Promise<Facts> {
  const read = async (sql: string, ratePosition = -1) => {
    const rows = await queryRows<{ k: string; v: number[] }>(client, sql);
    const key = (k: string) => k.split('|').map((part, i) => (i === ratePosition ? decimal(part) : part)).join('|');
    return new Map(rows.map((r) => [key(r.k), r.v.map(Number)]));
  };
  return {
    status: await read(`SELECT concat(toString(day), '|', toString(service_id), '|', toString(template_id), '|', toString(job_id), '|',
                                       notification_type, '|', key_type, '|', status) AS k, [sum(notification_count)] AS v
                        FROM fact_notification_status GROUP BY k HAVING v[1] != 0`),
    billing: await read(`SELECT concat(toString(day), '|', toString(service_id), '|', toString(template_id), '|', notification_type, '|', provider,
                                        '|', toString(rate_multiplier), '|', toString(international), '|', toString(rate), '|', postage, '|', toString(sheets)) AS k,
                                 [sum(notifications_sent), sum(billable_units), sum(chargeable_units)] AS v
                         FROM fact_billing GROUP BY k HAVING v[1] != 0 OR v[2] != 0 OR v[3] != 0`, 7),
    despatch: await read(`SELECT concat(toString(day), '|', postage, '|', cost_threshold, '|', toString(sheets), '|', toString(rate)) AS k, [sum(letters)] AS v
                          FROM fact_letter_despatch GROUP BY k HAVING v[1] != 0`, 4),
    statusMonth: await read(`SELECT concat(toString(month), '|', toString(service_id), '|', notification_type, '|', key_type, '|', status) AS k,
                                    [sum(notification_count)] AS v
                             FROM fact_notification_status_month GROUP BY k HAVING v[1] != 0`),
    billingMonth: await read(`SELECT concat(toString(month), '|', toString(service_id), '|', notification_type, '|', provider, '|', toString(rate_multiplier),
                                            '|', toString(international), '|', toString(rate), '|', postage, '|', toString(sheets)) AS k,
                                     [sum(notifications_sent), sum(billable_units), sum(chargeable_units)] AS v
                              FROM fact_billing_month GROUP BY k HAVING v[1] != 0 OR v[2] != 0 OR v[3] != 0`, 6),
    latency: await read(`SELECT concat(toString(day), '|', notification_type, '|', provider, '|', toString(bucket)) AS k, [sum(delivered)] AS v
                         FROM fact_delivery_latency GROUP BY k HAVING v[1] != 0`),
  };
}

/** Key by key, as sorted entries, so a failure shows which keys differ. */
export const asEntries = (f: Facts) =>
  Object.fromEntries(Object.entries(f).map(([t, m]) => [t, [...(m as Map<string, number[]>)].sort(([a], [b]) => (a < b ? -1 : 1))]));
