// What was produced, folded the way the contract says the pipeline must count it: per
// notification, the snapshot with the greatest updated_at (here: the furthest step of its life,
// since updated_at strictly increases along a life) and the one despatch it may have.
import { BILLABLE_STATUSES, NOTIFICATION_TYPES, STATUSES, type CostThreshold, type NotificationType, type Postage, type Status } from '@notify-stats/events';
import type { Lifecycle } from './lifecycles.ts';
import { INVALID_KINDS, type InvalidKind, type LoadMessage } from './message.ts';
import type { ResolvedOptions } from './options.ts';
import type { ReferenceSummary } from './reference-data.ts';

export type StatusCounts = Partial<Record<Status, number>>;

export interface TypeDayTally {
  /** Counted notifications (non-test) created that London day, whatever their status. */
  notifications: number;
  statuses: StatusCounts;
  /** Of those, the ones whose current status is billable (reports.md section 2). */
  billable: number;
  /** Sum of billable_units of the billable ones (sms fragments, letter sheets, 0 for email). */
  billableUnits: number;
  /** Sum of billable_units x rate_multiplier (null = 1) of the billable ones. */
  chargeableUnits: number;
}

export type DayTally = { day: string } & Record<NotificationType, TypeDayTally>;

export interface LetterTally { day: string; postage: Postage; sheets: number; letters: number }
export interface DespatchTally { day: string; postage: Postage; costThreshold: CostThreshold; sheets: number; letters: number }

/** One billing fact (reports.md section 2, without the rate, which is the day's rate). */
export interface BillingFactTally {
  day: string;
  serviceId: string;
  type: NotificationType;
  provider: string;
  rateMultiplier: number;
  international: boolean;
  postage: Postage | null;
  /** Sheets per letter; null for sms and email. */
  sheets: number | null;
  notifications: number;
  billableUnits: number;
  chargeableUnits: number;
}

export interface Tally {
  options: ResolvedOptions;
  messages: {
    total: number;
    reference: number;
    /** Status messages, duplicate copies included. */
    status: number;
    /** Despatch messages, duplicate copies included. */
    despatch: number;
    invalid: number;
    /** Second copies (same event_id) of status or despatch messages. */
    duplicates: number;
    /** Status changes held back to the end (their duplicate copies not counted again). */
    late: number;
    byTopic: Record<string, number>;
  };
  invalid: { total: number; byTopic: Record<string, number>; byKind: Record<InvalidKind, number> };
  notifications: {
    /** Distinct non-test notifications. */
    counted: number;
    /** Distinct test-key notifications (never in any report). */
    test: number;
    /** Current status of each counted notification. */
    byTypeStatus: Record<NotificationType, StatusCounts>;
  };
  days: DayTally[];
  /** Billable letters per creation day, postage and sheets. */
  letters: LetterTally[];
  /** Counted despatches per despatch day, postage, threshold and sheets. */
  despatches: DespatchTally[];
  billing: BillingFactTally[];
  reference: ReferenceSummary;
}

const BILLABLE: Record<NotificationType, ReadonlySet<Status>> = {
  email: new Set(BILLABLE_STATUSES.email),
  sms: new Set(BILLABLE_STATUSES.sms),
  letter: new Set(BILLABLE_STATUSES.letter),
};

// Accumulators keep status counts in arrays indexed like STATUSES (plain objects whose keys come
// and go turn slow); result() turns them into the published shapes.
const STATUS_INDEX = new Map<Status, number>(STATUSES.map((s, i) => [s, i]));
const TYPES: readonly NotificationType[] = NOTIFICATION_TYPES;

interface TypeDayAcc {
  notifications: number;
  statuses: Int32Array;
  billable: number;
  billableUnits: number;
  chargeableUnits: number;
}
type DayAcc = { day: string } & Record<NotificationType, TypeDayAcc>;

const typeDayAcc = (): TypeDayAcc => ({ notifications: 0, statuses: new Int32Array(STATUSES.length), billable: 0, billableUnits: 0, chargeableUnits: 0 });

function statusCounts(counts: Int32Array): StatusCounts {
  const out: StatusCounts = {};
  STATUSES.forEach((s, i) => {
    if (counts[i]) out[s] = counts[i];
  });
  return out;
}

function grow(a: Uint8Array<ArrayBuffer>, index: number): Uint8Array<ArrayBuffer> {
  if (index < a.length) return a;
  const b = new Uint8Array(Math.max(index + 1, a.length * 2));
  b.set(a);
  return b;
}

const TYPE_INDEX: Record<NotificationType, number> = { email: 0, sms: 1, letter: 2 };
const POSTAGE_INDEX: Record<Postage, number> = { first: 0, second: 1, economy: 2, europe: 3, 'rest-of-world': 4 };
/** The order billing rows are listed in (and their identity). */
export const factOrder = (b: BillingFactTally) =>
  [b.day, b.serviceId, b.type, b.provider, String(b.rateMultiplier).padStart(7, '0'), b.international, b.postage ?? '', b.sheets ?? 0].join('|');

function sortedValues<T>(map: Map<string, T>, keep: (v: T) => boolean): T[] {
  return [...map.keys()].sort().map((k) => map.get(k)!).filter(keep);
}

/** Folds produced (or acknowledged) messages, in any order, into a Tally. */
export class TallyBuilder {
  // Per notification (by Lifecycle.seq): furthest step counted + 1 (0 = none yet); despatch seen.
  private steps: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  private despatched: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  private readonly messages: Tally['messages'] = { total: 0, reference: 0, status: 0, despatch: 0, invalid: 0, duplicates: 0, late: 0, byTopic: {} };
  private readonly invalid: Tally['invalid'] = { total: 0, byTopic: {}, byKind: Object.fromEntries(INVALID_KINDS.map((k) => [k, 0])) as Record<InvalidKind, number> };
  private counted = 0;
  private test = 0;
  private readonly byTypeStatus: Record<NotificationType, Int32Array> = {
    email: new Int32Array(STATUSES.length),
    sms: new Int32Array(STATUSES.length),
    letter: new Int32Array(STATUSES.length),
  };
  private readonly days = new Map<string, DayAcc>();
  private readonly letters = new Map<string, LetterTally>();
  private readonly despatches = new Map<string, DespatchTally>();
  private readonly billing = new Map<number, BillingFactTally>();
  private readonly interned = new Map<string, number>();

  constructor(private readonly generation: { options: ResolvedOptions; reference: ReferenceSummary }) {}

  addAll(messages: Iterable<LoadMessage>): this {
    for (const m of messages) this.add(m);
    return this;
  }

  add(m: LoadMessage): void {
    const c = this.messages;
    c.total++;
    c.byTopic[m.topic] = (c.byTopic[m.topic] ?? 0) + 1;
    if (m.copy) c.duplicates++;
    else if (m.late) c.late++;
    switch (m.kind) {
      case 'reference':
        c.reference++;
        return;
      case 'invalid':
        c.invalid++;
        this.invalid.total++;
        this.invalid.byTopic[m.topic] = (this.invalid.byTopic[m.topic] ?? 0) + 1;
        this.invalid.byKind[m.invalid!]++;
        return;
      case 'status':
        c.status++;
        this.status(m.lifecycle!, m.step);
        return;
      case 'despatch':
        c.despatch++;
        this.despatch(m.lifecycle!);
        return;
    }
  }

  private status(lc: Lifecycle, step: number): void {
    this.steps = grow(this.steps, lc.seq);
    const prev = this.steps[lc.seq]!;
    if (prev === 0) {
      if (lc.keyType === 'test') this.test++;
      else this.counted++;
    }
    if (step + 1 <= prev) return; // an older snapshot, or the same one again
    this.steps[lc.seq] = step + 1;
    if (lc.keyType === 'test') return;
    if (prev > 0) this.apply(lc, prev - 1, -1);
    this.apply(lc, step, 1);
  }

  private apply(lc: Lifecycle, step: number, sign: 1 | -1): void {
    const status = lc.statuses[step]!;
    const s = STATUS_INDEX.get(status)!;
    this.byTypeStatus[lc.type][s]! += sign;
    const td = this.day(lc.day)[lc.type];
    td.notifications += sign;
    td.statuses[s]! += sign;
    if (!BILLABLE[lc.type].has(status)) return;
    // Billable statuses come after `created`, so the snapshot carries the full billable_units.
    const multiplier = lc.rateMultiplier ?? 1;
    const chargeable = lc.units * multiplier;
    td.billable += sign;
    td.billableUnits += sign * lc.units;
    td.chargeableUnits += sign * chargeable;

    const row = this.fact(lc);
    row.notifications += sign;
    row.billableUnits += sign * lc.units;
    row.chargeableUnits += sign * chargeable;

    if (lc.type === 'letter') {
      const lkey = `${lc.day}|${lc.postage}|${lc.units}`;
      let l = this.letters.get(lkey);
      if (!l) this.letters.set(lkey, (l = { day: lc.day, postage: lc.postage!, sheets: lc.units, letters: 0 }));
      l.letters += sign;
    }
  }

  /** The billing fact row a billable notification falls in (grain of reports.md section 2). */
  private fact(lc: Lifecycle): BillingFactTally {
    const letter = lc.type === 'letter';
    const provider = lc.provider ?? 'unknown';
    const rateMultiplier = lc.rateMultiplier ?? 1;
    const international = lc.international ?? false;
    const postage = letter ? lc.postage : null;
    const sheets = letter ? lc.units : null;
    // A numeric key from interned parts: cheaper than a string per lookup, on the hot path
    // (the generator only makes rate multipliers 1 to 3, far below the 1024 slots).
    const key =
      ((((((this.intern(lc.day) * 16_384 + this.intern(lc.serviceId)) * 16_384 + this.intern(provider)) * 3 + TYPE_INDEX[lc.type]) * 1024 +
        rateMultiplier) * 2 + (international ? 1 : 0)) * 8 + (postage ? POSTAGE_INDEX[postage] : 7)) * 16 + (sheets ?? 0);
    let row = this.billing.get(key);
    if (!row) {
      row = { day: lc.day, serviceId: lc.serviceId, type: lc.type, provider, rateMultiplier, international, postage, sheets, notifications: 0, billableUnits: 0, chargeableUnits: 0 };
      this.billing.set(key, row);
    }
    return row;
  }

  private intern(s: string): number {
    let id = this.interned.get(s);
    if (id === undefined) this.interned.set(s, (id = this.interned.size));
    return id;
  }

  private despatch(lc: Lifecycle): void {
    this.despatched = grow(this.despatched, lc.seq);
    if (this.despatched[lc.seq] || lc.keyType === 'test' || !lc.despatch) return;
    this.despatched[lc.seq] = 1;
    const d = lc.despatch;
    const key = `${d.day}|${lc.postage}|${d.costThreshold}|${lc.units}`;
    let row = this.despatches.get(key);
    if (!row) this.despatches.set(key, (row = { day: d.day, postage: lc.postage!, costThreshold: d.costThreshold, sheets: lc.units, letters: 0 }));
    row.letters++;
  }

  private day(day: string): DayAcc {
    let d = this.days.get(day);
    if (!d) this.days.set(day, (d = { day, email: typeDayAcc(), sms: typeDayAcc(), letter: typeDayAcc() }));
    return d;
  }

  /** A snapshot: plain JSON data, sorted, with no zero rows. Adding more afterwards is fine. */
  result(): Tally {
    const copy = <T>(v: T): T => structuredClone(v);
    return {
      options: copy(this.generation.options),
      messages: copy(this.messages),
      invalid: copy(this.invalid),
      notifications: {
        counted: this.counted,
        test: this.test,
        byTypeStatus: { email: statusCounts(this.byTypeStatus.email), sms: statusCounts(this.byTypeStatus.sms), letter: statusCounts(this.byTypeStatus.letter) },
      },
      days: sortedValues(this.days, (d) => TYPES.some((t) => d[t].notifications > 0)).map(
        (d): DayTally => ({
          day: d.day,
          email: { ...d.email, statuses: statusCounts(d.email.statuses) },
          sms: { ...d.sms, statuses: statusCounts(d.sms.statuses) },
          letter: { ...d.letter, statuses: statusCounts(d.letter.statuses) },
        }),
      ),
      letters: copy(sortedValues(this.letters, (l) => l.letters > 0)),
      despatches: copy(sortedValues(this.despatches, (d) => d.letters > 0)),
      billing: copy(
        [...this.billing.values()]
          .filter((b) => b.notifications > 0)
          .sort((a, b) => (factOrder(a) < factOrder(b) ? -1 : factOrder(a) > factOrder(b) ? 1 : 0)),
      ),
      reference: copy(this.generation.reference),
    };
  }
}

