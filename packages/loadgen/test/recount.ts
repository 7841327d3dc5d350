// An independent fold of generated messages, straight from events.md and reports.md: decode every
// message with the contract's own decoder, dedupe by event_id, keep each notification's newest
// snapshot, count. It shares nothing with src/tally.ts.
import {
  BILLABLE_STATUSES,
  decodeMessage,
  statusRank,
  type LetterDespatchEvent,
  type NotificationStatusEvent,
} from '@notify-stats/events';
import { londonDayOf } from '@notify-stats/london';
import type { LoadMessage } from '../src/index.ts';

export interface Recount {
  current: Map<string, NotificationStatusEvent>;
  despatch: Map<string, LetterDespatchEvent>;
  invalid: number;
  reference: number;
  duplicates: number;
}

function newer(a: NotificationStatusEvent, b: NotificationStatusEvent): boolean {
  if (a.updated_at.ms !== b.updated_at.ms) return a.updated_at.ms > b.updated_at.ms;
  if (a.status !== b.status) return statusRank(a.status) > statusRank(b.status);
  return a.event_id > b.event_id;
}

export function recount(messages: readonly LoadMessage[]): Recount {
  const seen = new Set<string>();
  const r: Recount = { current: new Map(), despatch: new Map(), invalid: 0, reference: 0, duplicates: 0 };
  for (const m of messages) {
    const d = decodeMessage(m.topic, m.key, m.value);
    if (d.kind === 'invalid') {
      r.invalid++;
      continue;
    }
    if (d.kind === 'reference') {
      r.reference++;
      continue;
    }
    if (d.kind !== 'status' && d.kind !== 'despatch') throw new Error(`unexpected ${d.kind}`);
    if (seen.has(d.event.event_id)) {
      r.duplicates++;
      continue;
    }
    seen.add(d.event.event_id);
    if (d.kind === 'status') {
      const cur = r.current.get(d.event.notification_id);
      if (!cur || newer(d.event, cur)) r.current.set(d.event.notification_id, d.event);
    } else {
      const cur = r.despatch.get(d.event.notification_id);
      if (!cur || d.event.despatched_on > cur.despatched_on || (d.event.despatched_on === cur.despatched_on && d.event.event_id > cur.event_id)) {
        r.despatch.set(d.event.notification_id, d.event);
      }
    }
  }
  return r;
}

const add = (o: Record<string, number>, k: string, n = 1) => {
  if (n !== 0) o[k] = (o[k] ?? 0) + n;
};

/** Counted (non-test) notifications as flat `key -> number` maps, easy to compare. */
export function summarise(r: Recount) {
  const byTypeStatus: Record<string, number> = {};
  const perDay: Record<string, number> = {};
  const billing: Record<string, number> = {};
  const despatches: Record<string, number> = {};
  let test = 0;
  for (const e of r.current.values()) {
    if (e.key_type === 'test') {
      test++;
      continue;
    }
    const day = londonDayOf(e.created_at.ms);
    const t = e.notification_type;
    add(byTypeStatus, `${t}|${e.status}`);
    add(perDay, `${day}|${t}|notifications`);
    add(perDay, `${day}|${t}|status:${e.status}`);
    if ((BILLABLE_STATUSES[t] as readonly string[]).includes(e.status)) {
      const chargeable = e.billable_units * (e.rate_multiplier ?? 1);
      add(perDay, `${day}|${t}|billable`);
      add(perDay, `${day}|${t}|billableUnits`, e.billable_units);
      add(perDay, `${day}|${t}|chargeableUnits`, chargeable);
      const letter = t === 'letter';
      const key = [day, e.service_id, t, e.sent_by ?? 'unknown', e.rate_multiplier ?? 1, e.international ?? false, letter ? e.postage : null, letter ? e.billable_units : null].join('|');
      add(billing, `${key}|notifications`);
      add(billing, `${key}|billableUnits`, e.billable_units);
      add(billing, `${key}|chargeableUnits`, chargeable);
    }
  }
  for (const d of r.despatch.values()) {
    const letter = r.current.get(d.notification_id);
    if (!letter || letter.key_type === 'test') continue;
    add(despatches, `${d.despatched_on}|${letter.postage}|${d.cost_threshold}|${letter.billable_units}`);
  }
  return { byTypeStatus, perDay, billing, despatches, test, counted: [...r.current.values()].filter((e) => e.key_type !== 'test').length };
}
