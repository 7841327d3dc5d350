// Tallies of the producing threads' shares, added up into the tally of the whole run.
import { NOTIFICATION_TYPES } from '@notify-stats/events';
import { factOrder, type Tally, type TypeDayTally } from './tally.ts';

const addCounts = (into: Record<string, number>, from: Record<string, number | undefined>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + (v ?? 0);
};

function mergeRows<T extends object>(rows: T[][], key: (r: T) => string, add: (into: T, from: T) => void, order: (r: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const list of rows) {
    for (const r of list) {
      const k = key(r);
      const into = merged.get(k);
      if (into) add(into, r);
      else merged.set(k, structuredClone(r));
    }
  }
  return [...merged.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/**
 * Adds up tallies of disjoint shares of one generation (the producing threads each fold the
 * notifications of their shard), into the tally of the whole.
 */
export function mergeTallies(parts: readonly Tally[]): Tally {
  const [first, ...rest] = parts;
  if (!first) throw new RangeError('no tallies to merge');
  if (rest.length === 0) return first;
  const out = structuredClone(first);
  for (const t of rest) {
    const { byTopic, ...counts } = t.messages;
    addCounts(out.messages as unknown as Record<string, number>, counts);
    addCounts(out.messages.byTopic, byTopic);
    out.invalid.total += t.invalid.total;
    addCounts(out.invalid.byTopic, t.invalid.byTopic);
    addCounts(out.invalid.byKind, t.invalid.byKind);
    out.notifications.counted += t.notifications.counted;
    out.notifications.test += t.notifications.test;
    for (const type of NOTIFICATION_TYPES) addCounts(out.notifications.byTypeStatus[type], t.notifications.byTypeStatus[type]);
  }
  const all = parts;
  const typeDay = (into: TypeDayTally, from: TypeDayTally) => {
    into.notifications += from.notifications;
    into.billable += from.billable;
    into.billableUnits += from.billableUnits;
    into.chargeableUnits += from.chargeableUnits;
    addCounts(into.statuses, from.statuses);
  };
  out.days = mergeRows(all.map((t) => t.days), (d) => d.day, (into, from) => NOTIFICATION_TYPES.forEach((type) => typeDay(into[type], from[type])), (d) => d.day);
  out.letters = mergeRows(all.map((t) => t.letters), (l) => `${l.day}|${l.postage}|${l.sheets}`, (into, from) => (into.letters += from.letters), (l) => `${l.day}|${l.postage}|${l.sheets}`);
  out.despatches = mergeRows(
    all.map((t) => t.despatches),
    (d) => `${d.day}|${d.postage}|${d.costThreshold}|${d.sheets}`,
    (into, from) => (into.letters += from.letters),
    (d) => `${d.day}|${d.postage}|${d.costThreshold}|${d.sheets}`,
  );
  out.billing = mergeRows(
    all.map((t) => t.billing),
    factOrder,
    (into, from) => {
      into.notifications += from.notifications;
      into.billableUnits += from.billableUnits;
      into.chargeableUnits += from.chargeableUnits;
    },
    factOrder,
  );
  return out;
}
