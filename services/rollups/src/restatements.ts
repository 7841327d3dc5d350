import {
  FACT_BILLING,
  FACT_DELIVERY_LATENCY,
  FACT_LETTER_DESPATCH,
  FACT_NOTIFICATION_STATUS,
  queryRows,
  type ClickHouseClient,
} from '@notify-stats/clickhouse';
import { DAY_TOTALS, NOTIFICATION_TYPES, STATUSES, statusTotalName, type DayTotalName, type RestatementEvent, type RestatementReason } from '@notify-stats/events';
import { addDays, firstProvisionalDay } from '@notify-stats/london';
import { sumMoney } from '@notify-stats/money';
import { stableEventId } from './output-publisher.ts';

/**
 * Restatements (issue 22, docs/restatements.md): when the totals of a final London day (older than
 * `ageDays`) change, one event says which totals changed, before and after, and why where known.
 *
 * Each final day's totals as last published are its baseline (`restatement_baselines`). A check
 * reads the current totals of the days it is given, compares them with their baselines, publishes
 * an event for each day that changed, then writes the new baselines. Every check also takes the
 * two days that became final last, so a day has its baseline from the moment it is final (the
 * runner calls at least once a day while it runs). A day found without one (a pipeline started on
 * old history, or stopped while the day became final) gets one and no event: its first change is
 * the baseline. A start re-checks the recent final days that have one. A process stopped
 * between publishing and writing the baselines publishes the same event again on its next check
 * (same day, before and after: same `restatement_id`), so a consumer sees each at least once and
 * can drop a repeat. A replay that changes nothing changes no total, so it publishes nothing.
 */
export interface RestatementOptions {
  /** A day is final once it is older than this many London days. */
  ageDays: number;
  publish(events: RestatementEvent[]): Promise<void>;
  /** Least time between two checks of the days cycles touched (they wait in memory meanwhile). */
  checkEveryMs?: number;
  now?: () => Date;
}

/** How far back a start re-checks final days: a change applied just before a crash is found again. */
export const RECHECK_DAYS = 31;

export type DayTotals = Record<DayTotalName, string>;
const NAMES = Object.keys(DAY_TOTALS) as DayTotalName[];

// Every total, from the fact table that holds it; each source gives every column (zero for the
// totals it does not hold), so the sources add up per day in one UNION ALL.
const SOURCES: ReadonlyArray<{ table: string; totals: Partial<Record<DayTotalName, string>> }> = [
  {
    table: FACT_NOTIFICATION_STATUS.name,
    totals: {
      notifications_email: "sumIf(notification_count, notification_type = 'email')",
      notifications_sms: "sumIf(notification_count, notification_type = 'sms')",
      notifications_letter: "sumIf(notification_count, notification_type = 'letter')",
      ...Object.fromEntries(
        NOTIFICATION_TYPES.flatMap((t) => STATUSES.map((s) => [statusTotalName(t, s), `sumIf(notification_count, notification_type = '${t}' AND status = '${s}')`])),
      ),
    },
  },
  {
    table: FACT_BILLING.name,
    totals: {
      sms_chargeable_units: "sumIf(chargeable_units, notification_type = 'sms')",
      sms_cost: "sumIf(chargeable_units * rate, notification_type = 'sms')",
      letters_sent: "sumIf(notifications_sent, notification_type = 'letter')",
      letter_cost: "sumIf(notifications_sent * rate, notification_type = 'letter')",
    },
  },
  { table: FACT_LETTER_DESPATCH.name, totals: { letters_despatched: 'sum(letters)', despatch_cost: 'sum(letters * rate)' } },
  { table: FACT_DELIVERY_LATENCY.name, totals: { delivered: 'sum(delivered)' } },
];
const typed = (name: DayTotalName, expr: string) => (DAY_TOTALS[name] === 'money' ? `toDecimal128(${expr}, 10)` : `toInt64(${expr})`);
const DAY_TOTALS_SQL = `
  SELECT toString(day) AS d, ${NAMES.map((n) => `sum(${n}) AS ${n}`).join(', ')}
  FROM (${SOURCES.map(
    (s) => `SELECT day, ${NAMES.map((n) => `${typed(n, s.totals[n] ?? '0')} AS ${n}`).join(', ')}
         FROM ${s.table} WHERE day IN {days: Array(Date)} GROUP BY day`,
  ).join(' UNION ALL ')})
  GROUP BY day`;

const zeros = (): DayTotals => Object.fromEntries(NAMES.map((n) => [n, '0'])) as DayTotals;
/** A figure as text: counts as integers, money canonical (no trailing zeros), so equal amounts compare equal. */
const figure = (name: DayTotalName, v: unknown) => (DAY_TOTALS[name] === 'money' ? sumMoney([String(v)]) : String(v));

/** The totals of each day (zeros for a day without facts). */
export async function dayTotals(client: ClickHouseClient, days: readonly string[]): Promise<Map<string, DayTotals>> {
  const out = new Map(days.map((d) => [d, zeros()]));
  if (days.length === 0) return out;
  const rows = await queryRows<Record<string, unknown> & { d: string }>(client, DAY_TOTALS_SQL, { days });
  for (const r of rows) out.set(r.d, Object.fromEntries(NAMES.map((n) => [n, figure(n, r[n])])));
  return out;
}

async function baselines(client: ClickHouseClient, days: readonly string[]): Promise<Map<string, DayTotals>> {
  const rows = await queryRows<{ d: string; totals: string }>(
    client,
    `SELECT toString(day) AS d, argMax(totals, checked_at) AS totals FROM restatement_baselines WHERE day IN {days: Array(Date)} GROUP BY day`,
    { days },
  );
  // A total added since a baseline was written is not in it: compared from its next baseline on.
  return new Map(rows.map((r) => [r.d, JSON.parse(r.totals) as DayTotals]));
}

/**
 * Checks the final days among `days` (day -> why it may have changed) and publishes what changed.
 * Returns the events published.
 */
export async function checkRestatements(
  client: ClickHouseClient,
  days: ReadonlyMap<string, RestatementReason | null>,
  opts: RestatementOptions,
  { withBaselineOnly = false } = {},
): Promise<RestatementEvent[]> {
  const now = (opts.now ?? (() => new Date()))();
  const firstProvisional = firstProvisionalDay(opts.ageDays, now);
  const justFinal = withBaselineOnly ? [] : [addDays(firstProvisional, -2), addDays(firstProvisional, -1)];
  const final = [...new Set([...days.keys(), ...justFinal])].filter((d) => d < firstProvisional).sort();
  if (final.length === 0) return [];
  const current = await dayTotals(client, final);
  const before = await baselines(client, final);
  const events: RestatementEvent[] = [];
  const written: Array<{ day: string; totals: string }> = [];
  for (const day of final) {
    const after = current.get(day) as DayTotals;
    const base = before.get(day);
    if (base) {
      const changed = NAMES.filter((n) => n in base && base[n] !== after[n]);
      if (changed.length === 0) continue;
      events.push({
        // The same for the same day, before and after.
        restatement_id: stableEventId([day, base, after]),
        day,
        reason: days.get(day) ?? null,
        totals: Object.fromEntries(changed.map((n) => [n, { before: base[n] as string, after: after[n] as string }])),
        detected_at: now.toISOString(),
      });
    }
    if (base || !withBaselineOnly) written.push({ day, totals: JSON.stringify(after) });
  }
  if (events.length > 0) await opts.publish(events);
  if (written.length > 0) await client.insert({ table: 'restatement_baselines', values: written, format: 'JSONEachRow' });
  return events;
}

/** The final days a start re-checks (those with a baseline): the last RECHECK_DAYS before the first provisional one. */
export function recheckDays(opts: Pick<RestatementOptions, 'ageDays' | 'now'>): string[] {
  const firstProvisional = firstProvisionalDay(opts.ageDays, (opts.now ?? (() => new Date()))());
  return Array.from({ length: RECHECK_DAYS }, (_, i) => addDays(firstProvisional, -RECHECK_DAYS + i));
}
